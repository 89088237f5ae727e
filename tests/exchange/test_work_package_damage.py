"""Opening a work package on the expert's side when the package is damaged, hostile or
malformed: a clear PackageError, never a traceback; a new local project appears whole
or not at all; an existing one is left exactly as it was."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from review_desk.exchange.keys import load_or_create_key
from review_desk.exchange.work_package import PackageError, make_work_package
from review_desk.exchange.work_package_open import open_work_package
from review_desk.project import Project
from review_desk.storage import models as m
from tests.built_once import built_once
from tests.conftest import copy_project
from tests.support import run_cli

MOMENT = datetime(2022, 1, 10, 8, 0, tzinfo=UTC)


def clock() -> datetime:
    """A fixed clock, so that two openings of one package give the same project."""
    return MOMENT


def snapshot(folder: Path) -> dict[str, Any]:
    """Everything in a folder of local projects: each database's tables (audit log
    included) and every other file's bytes, by name."""
    state: dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_dir():
            state[name] = "<dir>"
        elif path.suffix == ".rdp":
            # read-write, so that closing folds and removes the write-ahead log as the
            # application's own closing does (a read-only connection leaves it behind)
            with sqlite3.connect(path) as c:
                tables = [
                    r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")
                ]
                state[name] = [
                    (t, sorted(c.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr))
                    for t in sorted(tables)
                ]
            c.close()
        else:
            state[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def without_key(state: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without the signing key (a new one is made for each new project)."""
    return {k: v for k, v in state.items() if not k.endswith(".key")}


@pytest.fixture(scope="module")
def packages(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """An agency project, a genuine work package for 张志强, a newer one (with one more
    dossier assigned), and the local project each opens into on a clean laptop.

    The expert keeps only three of the demo's assignments (each with his score sheet,
    one with a defense record), so that a package holds every kind of content (PDFs,
    rubric, sheets, defense sessions) while opening one takes a fraction of
    the time: the damage sweeps below open it some fifty times. Built once per run
    (shared by the xdist workers); the tests only read it."""

    def build(root: Path) -> None:
        demo_source: Path = request.getfixturevalue("demo_source")
        agency = copy_project(demo_source, root / "agency.rdp")
        with Project(agency) as project:
            with project.transaction() as s:
                expert = s.scalars(select(m.Expert).where(m.Expert.name == "张志强")).one().id
                scored = set(
                    s.scalars(
                        select(m.ScoreSheet.dossier_id).where(m.ScoreSheet.expert_id == expert)
                    )
                )
                defended = set(s.scalars(select(m.DefenseRecord.dossier_id)))
                assigned = sorted(
                    s.scalars(select(m.Assignment).where(m.Assignment.expert_id == expert)),
                    key=lambda a: (
                        a.dossier_id not in scored & defended,
                        a.dossier_id not in scored,
                    ),
                )
                kept = [a.dossier_id for a in assigned[:3]]
                codes = {d.id: d.code for d in s.scalars(select(m.Dossier))}
                assert kept[0] in defended and all(d in scored for d in kept), kept
                for assignment in assigned[3:]:
                    s.delete(assignment)
            make_work_package(project, expert, root / "work.rdwork")
            with project.transaction() as s:
                taken = set(
                    s.scalars(
                        select(m.Assignment.dossier_id).where(m.Assignment.expert_id == expert)
                    )
                ) | set(
                    s.scalars(select(m.Recusal.dossier_id).where(m.Recusal.expert_id == expert))
                )
                extra = next(d for d in s.scalars(select(m.Dossier.id)) if d not in taken)
                s.add(m.Assignment(expert_id=expert, dossier_id=extra))
            make_work_package(project, expert, root / "newer.rdwork")
        reference = root / "reference"
        reference.mkdir()
        open_work_package(root / "work.rdwork", reference / "own.rdp", clock=clock).close()
        with zipfile.ZipFile(root / "work.rdwork") as archive:
            manifest = json.loads(archive.read("manifest.json"))
        assert [d["id"] for d in manifest["dossiers"]] == sorted(kept, key=codes.__getitem__)
        assert manifest["sheets"] and manifest["defense_sessions"]
        facts = {"expert": expert, "extra": extra, "dossiers": len(kept)}
        (root / "facts.json").write_text(json.dumps(facts), encoding="utf-8")

    root = built_once(tmp_path_factory, "work-packages", build)
    facts = json.loads((root / "facts.json").read_text(encoding="utf-8"))
    return {"root": root, **facts, "reference": snapshot(root / "reference")}


def _flip_positions(package: Path) -> list[int]:
    """About 80 byte positions: every byte of the end record, every fourth byte of the
    manifest's local header and central-directory entry, a sample of the other headers,
    and a few bytes of the manifest, the rubric and the PDFs."""
    size = package.stat().st_size
    with zipfile.ZipFile(package) as archive:
        infos, central = archive.infolist(), archive.start_dir
    manifest, rubric, pdf, last = infos[0], infos[1], infos[2], infos[-1]
    chosen = set(range(size - 22, size))  # the end-of-central-directory record
    chosen |= set(range(manifest.header_offset, manifest.header_offset + 30 + 13, 4))
    chosen |= set(range(central, central + 46 + 13, 4))  # the manifest's directory entry
    for info in (rubric, pdf, last):
        chosen |= set(range(info.header_offset, info.header_offset + 30, 7))
        chosen.add(info.header_offset + 30 + len(info.filename) // 2)  # in the name
    rest = central + 46 + len(manifest.filename)
    chosen |= set(range(rest, size - 22, (size - 22 - rest) // 8))  # later directory entries
    data = manifest.header_offset + 30 + len(manifest.filename)
    chosen |= {data, data + manifest.compress_size // 2, data + manifest.compress_size - 1}
    data = rubric.header_offset + 30 + len(rubric.filename)
    chosen |= {data, data + rubric.compress_size // 2}
    for info in (pdf, last):
        data = info.header_offset + 30 + len(info.filename)
        chosen |= {data, data + info.compress_size // 2, data + info.compress_size - 1}
    return sorted(chosen)


def _damaged(source: Path, target: Path, position: int, mask: int) -> Path:
    data = bytearray(source.read_bytes())
    data[position] ^= mask
    target.write_bytes(bytes(data))
    return target


def _mask(number: int) -> int:
    # Whole bytes and single bits by turns: a flag bit alone takes other paths.
    return 0xFF if number % 2 == 0 else 1 << (number // 2 % 8)


SWEEP_PARTS = 4  # the sweep in interleaved quarters: xdist spreads them over its workers


@pytest.mark.slow
@pytest.mark.parametrize("part", range(SWEEP_PARTS))
def test_every_damaged_byte_is_a_clear_refusal_or_a_correct_project(
    packages: dict[str, Any], tmp_path: Path, part: int
) -> None:
    genuine = packages["root"] / "work.rdwork"
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    target = laptop / "own.rdp"
    positions = _flip_positions(genuine)
    assert len(positions) >= 60
    outcomes: dict[str, list[int]] = {"refused": [], "opened": []}
    unexpected: list[tuple[int, str]] = []
    for number, position in list(enumerate(positions))[part::SWEEP_PARTS]:
        package = _damaged(genuine, tmp_path / "damaged.rdwork", position, _mask(number))
        try:
            open_work_package(package, target, clock=clock).close()
        except PackageError as error:
            assert str(error)
            outcomes["refused"].append(position)
            assert list(laptop.iterdir()) == [], (position, list(laptop.iterdir()))
        except Exception as error:  # what this test is about: any other is a defect
            unexpected.append((position, f"{type(error).__name__}: {error}"))
            shutil.rmtree(laptop)
            laptop.mkdir()
        else:
            outcomes["opened"].append(position)
            state = snapshot(laptop)
            assert without_key(state) == without_key(packages["reference"]), position
            assert "own.rdp.key" in state
            shutil.rmtree(laptop)
            laptop.mkdir()
    assert not unexpected, unexpected
    assert outcomes["refused"], outcomes  # the sweep does reach the checks
    # The genuine package opens at the same path afterwards.
    open_work_package(genuine, target, clock=clock).close()
    assert without_key(snapshot(laptop)) == without_key(packages["reference"])


def test_a_damaged_newer_package_leaves_the_existing_project_as_it_was(
    packages: dict[str, Any], tmp_path: Path
) -> None:
    root = packages["root"]
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    target = laptop / "own.rdp"
    open_work_package(root / "work.rdwork", target, clock=clock).close()
    before = snapshot(laptop)
    newer = root / "newer.rdwork"
    refused = 0
    for number, position in enumerate(_flip_positions(newer)[::3]):
        package = _damaged(newer, tmp_path / "damaged.rdwork", position, _mask(number))
        try:
            open_work_package(package, target, clock=clock).close()
        except PackageError:
            refused += 1
            assert snapshot(laptop) == before, position
        else:  # an ignorable byte: the update went through; start again from the old state
            shutil.rmtree(laptop)
            laptop.mkdir()
            open_work_package(root / "work.rdwork", target, clock=clock).close()
            before = snapshot(laptop)
    assert refused > 5
    # The new dossier's own file damaged: copied aside, found wrong, and dropped.
    with Project(root / "agency.rdp") as agency, agency.reading() as s:
        material = select(m.Material.sha256).where(m.Material.dossier_id == packages["extra"])
        name = f"files/{s.scalars(material).one()}.pdf"
    with zipfile.ZipFile(newer) as archive:
        info = archive.getinfo(name)
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    with pytest.raises(PackageError):
        open_work_package(_damaged(newer, tmp_path / "d.rdwork", middle, 0x01), target)
    assert snapshot(laptop) == before
    open_work_package(newer, target, clock=clock).close()
    with Project(target) as local, local.reading() as s:
        assert s.get(m.Dossier, packages["extra"]) is not None
        sha = s.scalars(
            select(m.Material.sha256).where(m.Material.dossier_id == packages["extra"])
        ).one()
        assert local.files.verify(sha)


def _repack(
    source: Path,
    target: Path,
    change: Callable[[dict[str, Any]], None] | None = None,
    members: dict[str, bytes | None] | None = None,
) -> Path:
    """Rewrite a work package with a changed manifest and/or changed, added (bytes) or
    removed (None) members."""
    members = members or {}
    with zipfile.ZipFile(source) as old:
        contents = {info.filename: old.read(info.filename) for info in old.infolist()}
    manifest = json.loads(contents["manifest.json"])
    if change:
        change(manifest)
    contents["manifest.json"] = json.dumps(manifest, ensure_ascii=False).encode()
    for name, data in members.items():
        if data is None:
            contents.pop(name, None)
        else:
            contents[name] = data
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in contents.items():
            new.writestr(name, data)
    return target


def _first_pdf(manifest: dict[str, Any]) -> dict[str, Any]:
    material: dict[str, Any] = manifest["dossiers"][0]["materials"][0]
    return material


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change that sets the manifest value at a dotted path (digits index lists)."""

    def change(manifest: dict[str, Any]) -> None:
        keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
        node: Any = manifest
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return change


def _rename_file(new_sha: str) -> Callable[[dict[str, Any]], None]:
    def change(manifest: dict[str, Any]) -> None:
        material = _first_pdf(manifest)
        old = material["sha256"]
        material["sha256"] = new_sha
        manifest["members"][f"files/{new_sha}.pdf"] = manifest["members"].pop(f"files/{old}.pdf")

    return change


HOSTILE: dict[str, Callable[[dict[str, Any]], None]] = {
    "format": _set("format", "something-else/1"),
    "project is a list": _set("project", []),
    "project id is a number": _set("project.id", 7),
    "expert id is text": _set("expert.id", "3"),
    "expert id is a boolean": _set("expert.id", True),
    "min opinion length is text": _set("project.min_opinion_length", "50"),
    "deadline is not a date": _set("project.deadline", "soon"),
    "dossiers is a dict": _set("dossiers", {}),
    "dossier id is missing": lambda man: man["dossiers"][0].pop("id"),
    "dossier id is a float": _set("dossiers.0.id", 1.5),
    "direction unknown": _set("dossiers.0.direction_id", 99),
    "policy list is text": _set("dossiers.0.has_policy_list", "yes"),
    "material sha is a path": _rename_file("../" + "a" * 61),
    "material sha is absolute": _set("dossiers.0.materials.0.sha256", "/etc/passwd"),
    "material sha upper case": _set("dossiers.0.materials.0.sha256", "A" * 64),
    "material filename is a path": _set("dossiers.0.materials.0.filename", "../../x.pdf"),
    "material size is wrong": _set("dossiers.0.materials.0.size", 1),
    "material found items is a list": _set("dossiers.0.materials.0.found_items", [1]),
    "rubric hash is a path": _set("rubrics", ["../../etc/x"]),
    "active rubric not in package": _set("project.active_rubric_hash", "b" * 64),
    "sheet for a dossier not in package": _set("sheets.0.dossier_id", 99999),
    "sheet score is text": _set("sheets.0.scores.A1", "9"),
    "sheet score is infinite": _set("sheets.0.scores.A1", float("inf")),
    "sheet status unknown": _set("sheets.0.status", "approved"),
    "sheets duplicated": lambda man: man["sheets"].append(man["sheets"][0]),
    "dossier duplicated": lambda man: man["dossiers"].append(man["dossiers"][0]),
    "member hash is wrong": lambda man: man["members"].update(
        {next(k for k in man["members"] if k.startswith("rubrics/")): "0" * 64}
    ),
    "member named outside": lambda man: man["members"].update({"../evil.pdf": "0" * 64}),
    "members is a list": _set("members", []),
    "defense session without a start": _set("defense_sessions.0.starts_at", None),
    "defense record for a foreign dossier": _set("defense_sessions.0.records.0.dossier_id", 99999),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_malformed_manifest_is_refused_and_leaves_nothing(
    packages: dict[str, Any], tmp_path: Path, case: str
) -> None:
    root = packages["root"]
    package = _repack(root / "work.rdwork", tmp_path / "hostile.rdwork", HOSTILE[case])
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    with pytest.raises(PackageError):
        open_work_package(package, laptop / "own.rdp", clock=clock)
    assert list(laptop.iterdir()) == []
    assert not (tmp_path / "etc").exists() and not (tmp_path.parent / "x.pdf").exists()


def test_members_must_match_the_manifest(packages: dict[str, Any], tmp_path: Path) -> None:
    root = packages["root"]
    with zipfile.ZipFile(root / "work.rdwork") as archive:
        names = archive.namelist()
    rubric = next(n for n in names if n.startswith("rubrics/"))
    pdf = next(n for n in names if n.startswith("files/"))
    cases: dict[str, dict[str, bytes | None]] = {
        "a PDF changed": {pdf: b"%PDF-1.4 not the file the manifest names"},
        "a PDF missing": {pdf: None},
        "a rubric changed": {rubric: b'id = "x"\n'},
        "an extra member": {"extra.txt": b"hello"},
        "the manifest missing": {"manifest.json": None},
    }
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    for case, members in cases.items():
        if case == "the manifest missing":
            source = tmp_path / "source.rdwork"
            shutil.copy(root / "work.rdwork", source)
            with (
                zipfile.ZipFile(source) as old,
                zipfile.ZipFile(tmp_path / "hostile.rdwork", "w") as new,
            ):
                for info in old.infolist():
                    if info.filename != "manifest.json":
                        new.writestr(info.filename, old.read(info.filename))
            package = tmp_path / "hostile.rdwork"
        else:
            package = _repack(root / "work.rdwork", tmp_path / "hostile.rdwork", None, members)
        with pytest.raises(PackageError):
            open_work_package(package, laptop / "own.rdp", clock=clock)
        assert list(laptop.iterdir()) == [], case
    # A rubric whose text is consistent with its member hash but does not parse.
    bad = b"this is = = not toml"

    def fix(manifest: dict[str, Any]) -> None:
        manifest["members"][rubric] = hashlib.sha256(bad).hexdigest()

    package = _repack(root / "work.rdwork", tmp_path / "hostile.rdwork", fix, {rubric: bad})
    with pytest.raises(PackageError):
        open_work_package(package, laptop / "own.rdp", clock=clock)
    assert list(laptop.iterdir()) == []


def test_a_cancelled_opening_leaves_nothing(packages: dict[str, Any], tmp_path: Path) -> None:
    class Stop(Exception):
        pass

    def progress(done: int, total: int, what: str) -> None:
        if done >= 3:
            raise Stop

    laptop = tmp_path / "laptop"
    laptop.mkdir()
    with pytest.raises(Stop):
        open_work_package(packages["root"] / "work.rdwork", laptop / "own.rdp", progress=progress)
    assert list(laptop.iterdir()) == []
    open_work_package(packages["root"] / "work.rdwork", laptop / "own.rdp", clock=clock).close()
    before = snapshot(laptop)
    with pytest.raises(Stop):
        open_work_package(packages["root"] / "newer.rdwork", laptop / "own.rdp", progress=progress)
    assert snapshot(laptop) == before


def test_a_key_made_before_the_project_is_kept(packages: dict[str, Any], tmp_path: Path) -> None:
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    # A key file already beside the target (`key show` makes none without a project).
    load_or_create_key(laptop / "own.rdp")
    key = (laptop / "own.rdp.key").read_bytes()
    damaged = _damaged(packages["root"] / "work.rdwork", tmp_path / "d.rdwork", 0, 0xFF)
    with pytest.raises(PackageError):
        open_work_package(damaged, laptop / "own.rdp")
    assert [p.name for p in laptop.iterdir()] == ["own.rdp.key"]
    open_work_package(packages["root"] / "work.rdwork", laptop / "own.rdp").close()
    assert (laptop / "own.rdp.key").read_bytes() == key


def test_cli_open_refuses_a_damaged_package_clearly(
    packages: dict[str, Any], tmp_path: Path
) -> None:
    root = packages["root"]
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    target = laptop / "own.rdp"
    genuine = root / "work.rdwork"
    with zipfile.ZipFile(genuine) as archive:
        pdf = archive.infolist()[2]
    middle = pdf.header_offset + 30 + len(pdf.filename) + pdf.compress_size // 2
    for position in (middle, genuine.stat().st_size - 10):
        package = _damaged(genuine, tmp_path / "damaged.rdwork", position, 0xFF)
        result = run_cli("package", "open", str(package), str(target))
        assert result.returncode in (1, 2), result
        assert "Traceback" not in result.stderr and "错误" in result.stderr, result.stderr
        assert list(laptop.iterdir()) == []
    opened = run_cli("package", "open", str(genuine), str(target))
    assert opened.returncode == 0, opened.stderr
    assert (laptop / "own.rdp.key").exists()
    with Project(target) as local:
        assert local.summary().dossiers == packages["dossiers"]


def test_a_newer_package_that_does_not_fit_changes_nothing(
    packages: dict[str, Any], tmp_path: Path
) -> None:
    """A manifest that passes every check but breaks a rule of the database (here: the
    new dossier has the lead applicant and direction of another one) fails inside the
    one transaction: nothing is written, not even the new dossier's file."""
    root, extra = packages["root"], packages["extra"]
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    target = laptop / "own.rdp"
    open_work_package(root / "work.rdwork", target, clock=clock).close()
    before = snapshot(laptop)

    def clash(manifest: dict[str, Any]) -> None:
        new = next(d for d in manifest["dossiers"] if d["id"] == extra)
        other = next(d for d in manifest["dossiers"] if d["id"] != extra)
        new["lead"], new["direction_id"] = other["lead"], other["direction_id"]

    package = _repack(root / "newer.rdwork", tmp_path / "clash.rdwork", clash)
    with pytest.raises(PackageError) as refused:
        open_work_package(package, target, clock=clock)
    assert isinstance(refused.value.__cause__, SQLAlchemyError)  # from inside the transaction
    assert snapshot(laptop) == before


def test_a_files_folder_in_the_way_is_left_alone(packages: dict[str, Any], tmp_path: Path) -> None:
    laptop = tmp_path / "laptop"
    (laptop / "own.rdp.files").mkdir(parents=True)
    (laptop / "own.rdp.files" / "note.txt").write_text("mine")
    with pytest.raises(PackageError, match=r"own\.rdp\.files"):
        open_work_package(packages["root"] / "work.rdwork", laptop / "own.rdp")
    assert sorted(str(p.relative_to(laptop)) for p in laptop.rglob("*")) == [
        "own.rdp.files",
        "own.rdp.files/note.txt",
    ]
