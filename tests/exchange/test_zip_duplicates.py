"""A zip with two members of the same name is refused as unsafe: a reader that takes
the first one and a reader that takes the last one would see different packages."""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import pytest

from review_desk.exchange.return_package import make_return
from review_desk.exchange.zipsafe import UnsafeArchive, check_names
from review_desk.project import Project
from tests.exchange.test_packages import dump, exchange
from tests.support import run_cli

__all__ = ["exchange"]  # the fixture, shared with test_packages


def _with_forged_first(source: Path, target: Path, name: str, forged: bytes) -> None:
    """Rewrite ``source`` as our writer does, with a forged ``name`` ahead of the real one."""
    with zipfile.ZipFile(source) as old:
        members = [(info.filename, old.read(info.filename)) for info in old.infolist()]
    with (
        warnings.catch_warnings(),
        zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as new,
    ):
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of the duplicate name
        for member, data in members:
            if member == name:
                new.writestr(member, forged)
            new.writestr(member, data)


def test_check_names_refuses_a_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "dup.zip"
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
        warnings.simplefilter("ignore", UserWarning)
        archive.writestr("a.txt", b"1")
        archive.writestr("b.txt", b"2")
        archive.writestr("a.txt", b"3")
    with zipfile.ZipFile(path) as archive, pytest.raises(UnsafeArchive, match=r"a\.txt"):
        check_names(archive, max_total=1024)


def test_a_return_with_a_forged_duplicate_member_is_refused_as_unsafe(
    exchange: dict[str, object],
) -> None:
    agency, own, tmp = exchange["agency"], exchange["own"], exchange["tmp"]
    assert isinstance(agency, Path | str) and isinstance(own, Path) and isinstance(tmp, Path)
    make_return(own, tmp / "r.rdreturn")
    with zipfile.ZipFile(tmp / "r.rdreturn") as archive:
        scores = json.loads(archive.read("scores.json"))
    for sheet in scores:
        sheet["scores"] = {key: 0.0 for key in sheet["scores"]}
        sheet["opinion"] = "伪造的评分"
    forged = json.dumps(scores, ensure_ascii=False, indent=1).encode()
    package = tmp / "forged.rdreturn"
    _with_forged_first(tmp / "r.rdreturn", package, "scores.json", forged)
    before = dump(agency)
    with Project(agency) as project:
        entries = project.summary().audit_entries
    imported = run_cli("package", "import", str(agency), str(package), "--json")
    assert imported.returncode == 1, imported.stderr
    [outcome] = json.loads(imported.stdout)
    assert outcome["status"] == "refused" and outcome["code"] == "unsafe", outcome
    assert "scores.json" in outcome["reason"] and "重复" in outcome["reason"]
    assert dump(agency) == before  # nothing stored, not even the file
    with Project(agency) as project:
        assert project.summary().audit_entries == entries + 1  # only the refusal
    # The genuine package is still accepted afterwards.
    genuine = run_cli("package", "import", str(agency), str(tmp / "r.rdreturn"), "--json")
    assert genuine.returncode == 0 and json.loads(genuine.stdout)[0]["status"] == "accepted"
