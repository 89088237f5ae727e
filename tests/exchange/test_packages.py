"""The offline exchange end to end, and every way a return package must be refused."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from review_desk import scoring
from review_desk.exchange.keys import load_or_create_key, public_pem
from review_desk.exchange.return_package import (
    ACCEPTED,
    DUPLICATE,
    REFUSED,
    enrol_key,
    import_return,
    make_return,
)
from review_desk.exchange.work_package import make_work_package
from review_desk.project import Project
from review_desk.storage import models as m
from tests.backends import raw_sql, tables_of
from tests.conftest import copy_project

ROOT = Path(__file__).resolve().parents[2]


def dump(
    location: Path | str, *, audit: bool = False
) -> list[tuple[str, list[tuple[object, ...]]]]:
    """The project's content, without the audit log (every outcome is audited) unless
    ``audit``."""
    with raw_sql(location) as c:
        return [
            (t, sorted((tuple(r) for r in c.execute(text(f'SELECT * FROM "{t}"'))), key=repr))
            for t in tables_of(c)
            if audit or t != "audit_log"
        ]


@pytest.fixture
def exchange(
    exchange_source: dict[str, object],
    tmp_path: Path,
    project_on_backend: Callable[[str, Path, Path], Path | str],
) -> dict[str, object]:
    """A private copy of the session's exchange starting point (``exchange_source`` in
    tests/exchange/conftest.py): the agency project with the expert's key enrolled (on
    this run's backend), and the expert's own project (with its key, a file on the
    laptop) with one dossier submitted offline."""
    source_agency, source_own = exchange_source["agency"], exchange_source["own"]
    assert isinstance(source_agency, Path) and isinstance(source_own, Path)
    agency = project_on_backend("exchange", source_agency, tmp_path / source_agency.name)
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    own = copy_project(source_own, laptop / source_own.name)
    shutil.copy2(source_own.with_name(source_own.name + ".key"), laptop)
    return {
        "agency": agency,
        "own": own,
        "expert": exchange_source["expert"],
        "dossier": exchange_source["dossier"],
        "tmp": tmp_path,
    }


def test_offline_round_trip(exchange: dict[str, object]) -> None:
    agency, own, tmp = exchange["agency"], exchange["own"], exchange["tmp"]
    assert isinstance(agency, Path | str) and isinstance(own, Path) and isinstance(tmp, Path)
    made = make_return(own, tmp / "r1.rdreturn")
    assert made.sequence == 1 and set(made.members) == {
        "scores.json",
        "recusals.json",
        "records.json",
    }
    with Project(agency) as project:
        outcome = import_return(project, tmp / "r1.rdreturn")
        assert outcome.status == ACCEPTED, outcome.as_dict()
        state = scoring.load_sheet(project, exchange["expert"], exchange["dossier"])  # type: ignore[arg-type]
        assert state.status == scoring.SUBMITTED and state.opinion.startswith("离线评分")
        before = dump(agency)
        again = import_return(project, tmp / "r1.rdreturn")
        assert again.status == DUPLICATE
        assert dump(agency) == before
        assert project.verify_audit().intact


def _rezip(source: Path, target: Path, change: dict[str, bytes]) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, change.get(info.filename, old.read(info.filename)))


def _refused(agency: Path, package: Path) -> str:
    """Import a package that must be refused; return the refusal's code."""
    before = dump(agency)
    with Project(agency) as project:
        entries = project.summary().audit_entries
        outcome = import_return(project, package)
        assert outcome.status == REFUSED, outcome.as_dict()
        assert project.summary().audit_entries == entries + 1  # the refusal is audited
    assert dump(agency) == before  # and nothing else is written
    assert outcome.reason
    return outcome.code


def test_every_member_with_a_flipped_byte_is_refused(exchange: dict[str, object]) -> None:
    agency, own, tmp = exchange["agency"], exchange["own"], exchange["tmp"]
    make_return(own, tmp / "r.rdreturn")  # type: ignore[arg-type,operator]
    with zipfile.ZipFile(tmp / "r.rdreturn") as archive:  # type: ignore[operator]
        members = {name: archive.read(name) for name in archive.namelist()}
    for name, data in members.items():
        flipped = bytearray(data)
        flipped[len(flipped) // 2] ^= 0x01
        package = tmp / f"flip-{name}.rdreturn"  # type: ignore[operator]
        _rezip(tmp / "r.rdreturn", package, {name: bytes(flipped)})  # type: ignore[operator]
        _refused(agency, package)  # type: ignore[arg-type]
    raw = bytearray((tmp / "r.rdreturn").read_bytes())  # type: ignore[operator]
    for offset in range(40, len(raw), max(1, len(raw) // 40)):
        damaged = bytearray(raw)
        damaged[offset] ^= 0xFF
        package = tmp / f"raw-{offset}.rdreturn"  # type: ignore[operator]
        package.write_bytes(bytes(damaged))
        _refused(agency, package)  # type: ignore[arg-type]


def test_edited_scores_and_foreign_or_unenrolled_keys_are_refused(
    exchange: dict[str, object],
) -> None:
    agency, own, tmp, expert = (
        exchange["agency"],
        exchange["own"],
        exchange["tmp"],
        exchange["expert"],
    )
    assert isinstance(tmp, Path) and isinstance(agency, Path | str) and isinstance(own, Path)
    make_return(own, tmp / "r.rdreturn")
    with zipfile.ZipFile(tmp / "r.rdreturn") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        scores = json.loads(archive.read("scores.json"))
    for sheet in scores:
        for key in sheet["scores"]:
            sheet["scores"][key] = 0.0
    edited = json.dumps(scores, ensure_ascii=False).encode()
    _rezip(tmp / "r.rdreturn", tmp / "edited.rdreturn", {"scores.json": edited})
    assert _refused(agency, tmp / "edited.rdreturn") == "member_changed"
    # The edit with a fixed-up manifest: the signature no longer matches.
    import hashlib

    manifest["members"]["scores.json"] = hashlib.sha256(edited).hexdigest()
    fixed = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    _rezip(
        tmp / "r.rdreturn", tmp / "fixed.rdreturn", {"scores.json": edited, "manifest.json": fixed}
    )
    assert _refused(agency, tmp / "fixed.rdreturn") == "signature"
    # Signed with another key, claiming to be the expert.
    other = Ed25519PrivateKey.generate()
    _rezip(
        tmp / "r.rdreturn",
        tmp / "foreign.rdreturn",
        {"scores.json": edited, "manifest.json": fixed, "manifest.sig": other.sign(fixed)},
    )
    assert _refused(agency, tmp / "foreign.rdreturn") == "signature"
    # A key nobody enrolled: the expert's key is replaced by another one.
    with Project(agency) as project:
        enrol_key(project, expert, public_pem(other))  # type: ignore[arg-type]
    assert _refused(agency, tmp / "r.rdreturn") == "signature"
    with Project(agency) as project, project.transaction() as s:
        s.get(m.Expert, expert).public_key = None
    assert _refused(agency, tmp / "r.rdreturn") == "unenrolled"


def test_sequence_replay_and_supersession(exchange: dict[str, object]) -> None:
    agency, own, tmp, expert, dossier = (
        exchange[k] for k in ("agency", "own", "tmp", "expert", "dossier")
    )
    assert isinstance(tmp, Path) and isinstance(agency, Path | str) and isinstance(own, Path)
    make_return(own, tmp / "r1.rdreturn")
    with Project(own) as local:
        with local.reading() as s:
            free = next(
                a.dossier_id
                for a in s.scalars(select(m.Assignment))
                if a.dossier_id not in {x.dossier_id for x in s.scalars(select(m.ScoreSheet))}
            )
        scoring.set_score(local, expert, free, "A1", 6.5)  # type: ignore[arg-type]
    make_return(own, tmp / "r2.rdreturn")
    with Project(agency) as project:
        assert import_return(project, tmp / "r2.rdreturn").status == ACCEPTED
    assert _refused(agency, tmp / "r1.rdreturn") == "sequence"  # older after newer
    with Project(agency) as project:
        assert scoring.load_sheet(project, expert, free).scores == {"A1": 6.5}  # type: ignore[arg-type]
        make_return(own, tmp / "r3.rdreturn")
        assert import_return(project, tmp / "r3.rdreturn").status == ACCEPTED
        with project.reading() as s:
            statuses = sorted(r.status for r in s.scalars(select(m.ReturnPackage)))
        assert statuses == ["accepted", "superseded"]  # the older kept in history
        assert project.files.contains(
            __import__("hashlib").sha256((tmp / "r2.rdreturn").read_bytes()).hexdigest()
        )
    del dossier


def test_wrong_project_and_unsafe_zips_are_refused(
    exchange: dict[str, object], tmp_path: Path
) -> None:
    agency, own, tmp = exchange["agency"], exchange["own"], exchange["tmp"]
    assert isinstance(tmp, Path) and isinstance(agency, Path | str) and isinstance(own, Path)
    make_return(own, tmp / "r.rdreturn")
    with zipfile.ZipFile(tmp / "r.rdreturn") as archive:
        manifest = json.loads(archive.read("manifest.json"))
    manifest["project_id"] = "another-project"
    data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    key = load_or_create_key(own)  # the expert's genuine key signs it
    _rezip(
        tmp / "r.rdreturn",
        tmp / "other.rdreturn",
        {"manifest.json": data, "manifest.sig": key.sign(data)},
    )
    assert _refused(agency, tmp / "other.rdreturn") == "project"
    evil = tmp / "evil.rdreturn"
    with zipfile.ZipFile(tmp / "r.rdreturn") as old, zipfile.ZipFile(evil, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, old.read(info.filename))
        new.writestr("../../outside.txt", b"x")
    assert _refused(agency, evil) == "unsafe"
    assert not (tmp.parent / "outside.txt").exists()
    bomb = tmp / "bomb.rdreturn"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", b"{}")
        archive.writestr("scores.json", b" " * (200 * 1024 * 1024))
    assert _refused(agency, bomb) == "unsafe"
    (tmp / "junk.rdreturn").write_bytes(b"not a zip at all")
    _refused(agency, tmp / "junk.rdreturn")


CONCURRENT = """
import sys
from pathlib import Path
from review_desk.project import Project
from review_desk.exchange.return_package import import_return
with Project(sys.argv[1]) as project:
    print(import_return(project, Path(sys.argv[2])).status)
"""


def test_concurrent_imports_of_the_same_package(exchange: dict[str, object]) -> None:
    agency, own, tmp = exchange["agency"], exchange["own"], exchange["tmp"]
    assert isinstance(tmp, Path) and isinstance(agency, Path | str) and isinstance(own, Path)
    make_return(own, tmp / "r.rdreturn")
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT, str(agency), str(tmp / "r.rdreturn")],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    statuses = sorted(p.communicate()[0].strip() for p in runs)
    assert statuses == ["accepted", "duplicate", "duplicate"], statuses
    with Project(agency) as project, project.reading() as s:
        assert len(s.scalars(select(m.ReturnPackage)).all()) == 1
        assert project.verify_audit().intact


def test_cli_flow(exchange: dict[str, object]) -> None:
    from tests.support import run_cli

    agency, own, tmp = exchange["agency"], exchange["own"], exchange["tmp"]
    assert isinstance(tmp, Path)
    shown = run_cli("key", "show", str(own), "--export", str(tmp / "pub.pem"))
    assert shown.returncode == 0 and "-----BEGIN PUBLIC KEY-----" in shown.stdout
    returned = run_cli("package", "return", str(own), "--out", str(tmp / "cli.rdreturn"))
    assert returned.returncode == 0, returned.stderr
    imported = run_cli("package", "import", str(agency), str(tmp / "cli.rdreturn"), "--json")
    assert imported.returncode == 0 and json.loads(imported.stdout)[0]["status"] == "accepted"
    (tmp / "bad.rdreturn").write_bytes(io.BytesIO(b"x").read())
    refused = run_cli("package", "import", str(agency), str(tmp / "bad.rdreturn"))
    assert refused.returncode == 1


def test_a_cancelled_work_package_leaves_nothing_behind(demo_project: Path, tmp_path: Path) -> None:
    class Stop(Exception):
        pass

    def progress(done: int, total: int, what: str) -> None:
        if done >= 2:
            raise Stop

    target = tmp_path / "out" / "work.rdwork"
    with Project(demo_project) as agency:
        with agency.reading() as s:
            expert = s.scalars(select(m.Expert).where(m.Expert.name == "张志强")).one().id
        with pytest.raises(Stop):
            make_work_package(agency, expert, target, progress=progress)
    assert list(target.parent.iterdir()) == []
