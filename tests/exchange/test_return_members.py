"""Return packages apply every member, field by field; per-expert notes never overwrite
each other; malformed signed content is refused with nothing stored; and imports hold
when real processes race."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from review_desk import defense, scoring
from review_desk.exchange.keys import load_or_create_key, public_pem
from review_desk.exchange.return_package import (
    ACCEPTED,
    REFUSED,
    enrol_key,
    import_return,
    make_return,
)
from review_desk.exchange.work_package import make_work_package
from review_desk.exchange.work_package_open import open_work_package
from review_desk.panels import declare_recusal
from review_desk.project import Project
from review_desk.storage import models as m
from tests.backends import raw_sql
from tests.exchange.test_packages import _rezip, dump
from tests.support import run_cli

ROOT = Path(__file__).resolve().parents[2]
OPINION = "离线评分：申报材料完整，建设目标明确，任务可行，保障有力。" * 2
# Rounds of the two-process races: each round is a fresh pair of racing imports.
ROUNDS = 25


def offline_expert(agency: Path, expert: int, folder: Path) -> Path:
    """Open the expert's work package on their 'laptop' and enrol their key."""
    folder.mkdir(parents=True, exist_ok=True)
    with Project(agency) as project:
        make_work_package(project, expert, folder / "work.rdwork")
    own = folder / "own.rdp"
    open_work_package(folder / "work.rdwork", own).close()
    with Project(agency) as project:
        enrol_key(project, expert, public_pem(load_or_create_key(own)))
    return own


def shared_dossier(agency: Path) -> tuple[int, int, int]:
    """Two experts who both have a dossier assigned and no sheet on it yet."""
    with Project(agency) as project, project.reading() as s:
        started = {(x.expert_id, x.dossier_id) for x in s.scalars(select(m.ScoreSheet))}
        recused = {(x.expert_id, x.dossier_id) for x in s.scalars(select(m.Recusal))}
        by_dossier: dict[int, list[int]] = {}
        for a in s.scalars(select(m.Assignment).order_by(m.Assignment.id)):
            pair = (a.expert_id, a.dossier_id)
            if pair not in started and pair not in recused:
                by_dossier.setdefault(a.dossier_id, []).append(a.expert_id)
    dossier, experts = next((d, e) for d, e in by_dossier.items() if len(e) >= 2)
    return experts[0], experts[1], dossier


def _kind(project: Project, dossier: int) -> str:
    with project.reading() as s:
        found = s.get(m.Dossier, dossier)
        assert found is not None
        return found.lead_applicant.kind


def score_fully(own: Path, expert: int, dossier: int, *, submit: bool = True) -> None:
    with Project(own) as local:
        rubric = scoring.rubric_of(local, scoring.load_sheet(local, expert, dossier))
        kind = _kind(local, dossier)
        for c in rubric.criteria:
            if c.applies(kind):
                scoring.set_score(local, expert, dossier, c.id, c.max - c.step)
        scoring.set_comment(local, expert, dossier, rubric.criteria[0].id, "第 3 页场地照片清晰。")
        scoring.set_opinion(local, expert, dossier, OPINION)
        if submit:
            scoring.submit(local, expert, dossier)


def record_notes(own: Path, dossier: int, text: str) -> None:
    """The expert's own defense and inspection notes on their laptop."""
    with Project(own) as local:
        record = next(
            (r for s in defense.sessions(local) for r in s.records if r.dossier_id == dossier),
            None,
        )
        if record is None:  # the dossier has no session yet: hold one locally
            defense.create_session(
                local,
                name="线上答辩",
                starts_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
                mode="online",
                meeting_id="123 456 789",
                dossier_ids=[dossier],
            )
            record = next(
                r for s in defense.sessions(local) for r in s.records if r.dossier_id == dossier
            )
        defense.update_record(
            local,
            record.id,
            attendees=f"{text}：负责人、财务",
            presentation_minutes=14.5,
            questions=[defense.DefenseQuestion(text, "经费来源？", "市财政与企业自筹。")],
            notes=f"{text}的答辩记录",
        )
        defense.save_inspection(
            local,
            dossier,
            inspected_at=datetime(2026, 12, 2, 10, tzinfo=UTC),
            site="实训中心一层",
            shown="数控实训区",
            findings=f"{text}：设备与申报一致",
            notes=f"{text}的考察记录",
        )


def test_every_member_reaches_the_agency_field_by_field(demo_project: Path, tmp_path: Path) -> None:
    expert, _other, dossier = shared_dossier(demo_project)
    own = offline_expert(demo_project, expert, tmp_path / "laptop")
    score_fully(own, expert, dossier)
    record_notes(own, dossier, "专家甲")
    with Project(own) as local, local.reading() as s:
        spare = next(
            a.dossier_id
            for a in s.scalars(select(m.Assignment))
            if a.dossier_id != dossier and s.get(m.Dossier, a.dossier_id) is not None
        )
    with Project(own) as local:
        declare_recusal(local, expert, spare, "与申报单位存在合作关系。", source="expert")
    make_return(own, tmp_path / "r.rdreturn")
    with zipfile.ZipFile(tmp_path / "r.rdreturn") as archive:
        members = {
            n: json.loads(archive.read(n)) for n in ("scores.json", "recusals.json", "records.json")
        }
    with Project(demo_project) as agency:
        outcome = import_return(agency, tmp_path / "r.rdreturn")
        assert outcome.status == ACCEPTED, outcome.as_dict()
        for sheet in members["scores.json"]:
            state = scoring.load_sheet(agency, expert, sheet["dossier_id"])
            assert state.status == sheet["status"]
            assert state.scores == sheet["scores"]
            assert state.comments == sheet["comments"]
            assert state.opinion == sheet["opinion"]
            assert state.vetoes == sheet["vetoes"]
            assert state.rubric_hash == sheet["rubric_hash"]
        with agency.reading() as s:
            for recusal in members["recusals.json"]:
                stored = s.scalars(
                    select(m.Recusal).where(
                        m.Recusal.expert_id == expert,
                        m.Recusal.dossier_id == recusal["dossier_id"],
                    )
                ).one()
                assert stored.reason == recusal["reason"]
            assert members["records.json"]["defense"] and members["records.json"]["inspection"]
            for record in members["records.json"]["defense"]:
                note = s.scalars(
                    select(m.DefenseNote).where(
                        m.DefenseNote.expert_id == expert,
                        m.DefenseNote.dossier_id == record["dossier_id"],
                    )
                ).one()
                for key in ("attendees", "presentation_minutes", "questions", "notes"):
                    assert getattr(note, key) == record[key], key
            for record in members["records.json"]["inspection"]:
                note = s.scalars(
                    select(m.InspectionNote).where(
                        m.InspectionNote.expert_id == expert,
                        m.InspectionNote.dossier_id == record["dossier_id"],
                    )
                ).one()
                assert note.inspected_at == datetime.fromisoformat(record["inspected_at"])
                for key in ("site", "shown", "findings", "notes"):
                    assert getattr(note, key) == record[key], key
            sheet_row = s.scalars(
                select(m.ScoreSheet).where(
                    m.ScoreSheet.expert_id == expert, m.ScoreSheet.dossier_id == dossier
                )
            ).one()
            assert sheet_row.source == "return_package"
            assert (
                sheet_row.source_sha256
                == hashlib.sha256((tmp_path / "r.rdreturn").read_bytes()).hexdigest()
            )
            assert sheet_row.entered_by == "agency"
        assert agency.verify_audit().intact
    # The expert's notes reach the agency's results workbook, named by the expert.
    exported = run_cli(
        "export", str(demo_project), "--out", str(tmp_path / "结果.xlsx"), "--resamples", "0"
    )
    assert exported.returncode == 0, exported.stderr
    from openpyxl import load_workbook

    records = load_workbook(tmp_path / "结果.xlsx", read_only=True)["答辩与考察记录"]
    lines = [[str(v or "") for v in row] for row in records.iter_rows(values_only=True)]
    own_rows = [r for r in lines if r[0].startswith(("答辩（专家", "考察（专家"))]
    assert any("专家甲的答辩记录" in r for r in own_rows)
    assert any("专家甲：设备与申报一致" in r for r in own_rows)


def test_two_panel_members_notes_do_not_overwrite_each_other(
    demo_project: Path, tmp_path: Path
) -> None:
    first, second, dossier = shared_dossier(demo_project)
    for expert, name in ((first, "专家甲"), (second, "专家乙")):
        own = offline_expert(demo_project, expert, tmp_path / name)
        record_notes(own, dossier, name)
        make_return(own, tmp_path / f"{name}.rdreturn")
    with Project(demo_project) as agency:
        for name in ("专家甲", "专家乙"):
            assert import_return(agency, tmp_path / f"{name}.rdreturn").status == ACCEPTED
        with agency.reading() as s:
            notes = {
                n.expert_id: n.notes
                for n in s.scalars(select(m.DefenseNote).where(m.DefenseNote.dossier_id == dossier))
            }
            findings = {
                n.expert_id: n.findings
                for n in s.scalars(
                    select(m.InspectionNote).where(m.InspectionNote.dossier_id == dossier)
                )
            }
    assert notes == {first: "专家甲的答辩记录", second: "专家乙的答辩记录"}
    assert findings == {first: "专家甲：设备与申报一致", second: "专家乙：设备与申报一致"}


def _resigned(source: Path, target: Path, own: Path, change: dict[str, bytes]) -> None:
    """Rewrite members and sign the fixed-up manifest with the expert's genuine key."""
    with zipfile.ZipFile(source) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    for name, data in change.items():
        manifest["members"][name] = hashlib.sha256(data).hexdigest()
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    signature = load_or_create_key(own).sign(manifest_bytes)
    _rezip(source, target, {**change, "manifest.json": manifest_bytes, "manifest.sig": signature})


def test_signed_but_malformed_content_is_refused_with_nothing_stored(
    demo_project: Path, tmp_path: Path
) -> None:
    expert, _other, dossier = shared_dossier(demo_project)
    own = offline_expert(demo_project, expert, tmp_path / "laptop")
    score_fully(own, expert, dossier)
    make_return(own, tmp_path / "r.rdreturn")
    with zipfile.ZipFile(tmp_path / "r.rdreturn") as archive:
        scores = json.loads(archive.read("scores.json"))
    bad_scores = json.loads(json.dumps(scores))
    bad_scores[0]["scores"][next(iter(bad_scores[0]["scores"]))] = "9"
    cases = {
        "records-list": {"records.json": b"[]"},
        "records-missing-key": {"records.json": b'{"defense": []}'},
        "defense-wrong-type": {
            "records.json": b'{"defense": [{"dossier_id": 1, "attendees": 5, '
            b'"presentation_minutes": null, "questions": [], "notes": ""}], "inspection": []}'
        },
        "scores-not-list": {"scores.json": b'{"a": 1}'},
        "score-as-text": {"scores.json": json.dumps(bad_scores).encode()},
        "nan": {"scores.json": json.dumps(scores).replace("9.0", "NaN", 1).encode()},
        "recusals-null": {"recusals.json": b"null"},
        "not-utf8": {"recusals.json": b"\xff\xfe[]"},
    }
    for name, change in cases.items():
        package = tmp_path / f"{name}.rdreturn"
        _resigned(tmp_path / "r.rdreturn", package, own, change)
        file_sha = hashlib.sha256(package.read_bytes()).hexdigest()
        before = dump(demo_project)
        with Project(demo_project) as agency:
            entries = agency.summary().audit_entries
            outcome = import_return(agency, package)
            assert outcome.status == REFUSED and outcome.code == "malformed", (name, outcome)
            assert outcome.reason
            assert agency.summary().audit_entries == entries + 1, name
            assert not agency.files.contains(file_sha), name  # not even the file
        assert dump(demo_project) == before, name
    with Project(demo_project) as agency:
        assert import_return(agency, tmp_path / "r.rdreturn").status == ACCEPTED


def test_a_content_refusal_keeps_no_file_either(demo_project: Path, tmp_path: Path) -> None:
    """A package that fails the score checks (a criterion that does not apply to the
    applicant's kind) writes nothing, not even its file."""
    expert, _other, dossier = shared_dossier(demo_project)
    own = offline_expert(demo_project, expert, tmp_path / "laptop")
    score_fully(own, expert, dossier, submit=False)
    make_return(own, tmp_path / "r.rdreturn")
    with zipfile.ZipFile(tmp_path / "r.rdreturn") as archive:
        scores = json.loads(archive.read("scores.json"))
    with Project(demo_project) as agency:
        rubric = scoring.rubric_of(agency, scoring.load_sheet(agency, expert, dossier))
        kind = _kind(agency, dossier)
    foreign = next((c for c in rubric.criteria if not c.applies(kind)), None)
    sheet = next(s for s in scores if s["dossier_id"] == dossier)
    if foreign is None:  # every criterion applies: use one outside the range instead
        key = next(iter(sheet["scores"]))
        sheet["scores"][key] = 1000.0
    else:
        sheet["scores"][foreign.id] = foreign.max
    package = tmp_path / "bad.rdreturn"
    _resigned(tmp_path / "r.rdreturn", package, own, {"scores.json": json.dumps(scores).encode()})
    before = dump(demo_project)
    with Project(demo_project) as agency:
        outcome = import_return(agency, package)
        assert outcome.status == REFUSED and outcome.code == "content", outcome.as_dict()
        assert not agency.files.contains(hashlib.sha256(package.read_bytes()).hexdigest())
    assert dump(demo_project) == before


IMPORTER = """
import sys
from pathlib import Path
from review_desk.project import Project
from review_desk.exchange.return_package import import_return
project = Project(sys.argv[1])
print("READY", flush=True)
for line in sys.stdin:
    outcome = import_return(project, Path(line.strip()))
    print(outcome.status, outcome.code, flush=True)
"""


def _workers(script: str, *args: str, count: int = 2) -> list[subprocess.Popen[str]]:
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        for _ in range(count)
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "READY"
    return workers


def _race(workers: list[subprocess.Popen[str]], lines: list[str]) -> list[str]:
    """Send each worker its line at (nearly) the same moment; return their answers."""
    for worker, line in zip(workers, lines, strict=True):
        assert worker.stdin is not None
        worker.stdin.write(line + "\n")
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.flush()
    answers = []
    for worker in workers:
        assert worker.stdout is not None
        answers.append(worker.stdout.readline().strip())
    return answers


def _stop(workers: list[subprocess.Popen[str]]) -> None:
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.close()
        worker.wait(timeout=60)


def test_two_returns_of_one_expert_imported_at_once_newest_in_force(
    demo_project: Path, tmp_path: Path
) -> None:
    expert, _other, dossier = shared_dossier(demo_project)
    own = offline_expert(demo_project, expert, tmp_path / "laptop")
    workers = _workers(IMPORTER, str(demo_project))
    try:
        for round_ in range(ROUNDS):
            older, newer = 0.5 * (round_ % 10), 0.5 * (round_ % 10) + 0.5
            with Project(own) as local:
                scoring.set_score(local, expert, dossier, "A1", older)
            make_return(own, tmp_path / f"{round_}-a.rdreturn")
            with Project(own) as local:
                scoring.set_score(local, expert, dossier, "A1", newer)
            make_return(own, tmp_path / f"{round_}-b.rdreturn")
            packages = [
                str(tmp_path / f"{round_}-a.rdreturn"),
                str(tmp_path / f"{round_}-b.rdreturn"),
            ]
            if round_ % 2:
                packages.reverse()
            answers = _race(workers, packages)
            assert all(a.split()[0] in (ACCEPTED, REFUSED) for a in answers), answers
            with Project(demo_project) as agency:
                state = scoring.load_sheet(agency, expert, dossier)
                assert state.scores.get("A1") == newer, (round_, answers)
    finally:
        _stop(workers)
    with Project(demo_project) as agency, agency.reading() as s:
        accepted = s.scalars(
            select(m.ReturnPackage).where(
                m.ReturnPackage.expert_id == expert, m.ReturnPackage.status == ACCEPTED
            )
        ).all()
        assert len(accepted) == 1 and accepted[0].sequence == 2 * ROUNDS
        assert agency.verify_audit().intact


SAVER = """
import sys
from review_desk.project import Project
from review_desk import scoring
project = Project(sys.argv[1])
print("READY", flush=True)
for line in sys.stdin:
    expert, dossier, criterion, value = line.split()
    try:
        scoring.set_score(project, int(expert), int(dossier), criterion, float(value))
        print("ACK", flush=True)
    except scoring.ScoringError as error:
        print("REFUSED", str(error).replace("\\n", " "), flush=True)
    except Exception as error:
        print("RAW", type(error).__name__, str(error).replace("\\n", " ")[:200], flush=True)
"""


def test_two_saves_creating_the_same_sheet_at_once(demo_project: Path) -> None:
    expert, _other, dossier = shared_dossier(demo_project)
    workers = _workers(SAVER, str(demo_project))
    try:
        for round_ in range(50):
            answers = _race(
                workers, [f"{expert} {dossier} A1 {round_ % 9}", f"{expert} {dossier} A2 5"]
            )
            assert answers == ["ACK", "ACK"], (round_, answers)
            with Project(demo_project) as project:
                state = scoring.load_sheet(project, expert, dossier)
            assert state.scores == {"A1": float(round_ % 9), "A2": 5.0}, round_
            with raw_sql(demo_project) as c:  # start the next round with no sheet
                ids = c.execute(
                    text("SELECT id FROM score_sheet WHERE expert_id=:e AND dossier_id=:d"),
                    {"e": expert, "d": dossier},
                ).all()
                assert len(ids) == 1
                c.execute(text("DELETE FROM score WHERE sheet_id=:s"), {"s": ids[0][0]})
                c.execute(text("DELETE FROM score_sheet WHERE id=:s"), {"s": ids[0][0]})
    finally:
        _stop(workers)


LOCKER = """
import sys, time
from review_desk.project import Project
# Another seat in the middle of a save: it holds the lock every save ends with (the
# audit log's; on SQLite, the one database write lock).
with Project(sys.argv[1]) as project, project.writing(key="audit"):
    print("LOCKED", flush=True)
    if sys.argv[2] == "until-told":
        sys.stdin.readline()
    else:
        time.sleep(float(sys.argv[2]))
"""


def hold_write_lock(project: Path, seconds: float | None) -> subprocess.Popen[str]:
    """Another program holding the project's write lock for a while (with None, until
    a line is written to its standard input)."""
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(project), str(seconds or "until-told")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert locker.stdout is not None and locker.stdout.readline().strip() == "LOCKED"
    return locker


def test_an_import_waiting_for_another_writer_says_busy_and_retries(
    demo_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expert, _other, dossier = shared_dossier(demo_project)
    own = offline_expert(demo_project, expert, tmp_path / "laptop")
    score_fully(own, expert, dossier)
    make_return(own, tmp_path / "r.rdreturn")
    monkeypatch.setenv("REVIEW_DESK_BUSY_TIMEOUT_MS", "1000")  # 5 s left to release
    locker = hold_write_lock(demo_project, None)
    importer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ui",
            "package",
            "import",
            str(demo_project),
            str(tmp_path / "r.rdreturn"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert importer.stderr is not None and locker.stdin is not None
    first = importer.stderr.readline()  # the importer waits, and says so
    locker.stdin.write("release\n")
    locker.stdin.flush()
    locker.wait(timeout=60)
    out, rest = importer.communicate(timeout=120)
    stderr = first + rest
    assert importer.returncode == 0, out + stderr
    assert "正忙" in first and "重试" in first
    assert "Traceback" not in stderr and "OperationalError" not in stderr
    with Project(demo_project) as agency:
        assert scoring.load_sheet(agency, expert, dossier).status == scoring.SUBMITTED
