"""The offline exchange's starting point, built once per session and copied by each
test that changes it (``exchange`` in :mod:`tests.exchange.test_packages`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from review_desk import scoring
from review_desk.exchange.keys import load_or_create_key, public_pem
from review_desk.exchange.return_package import enrol_key
from review_desk.exchange.work_package import make_work_package
from review_desk.exchange.work_package_open import open_work_package
from review_desk.project import Project
from review_desk.storage import models as m
from tests.built_once import built_once
from tests.conftest import copy_project

# The expert's own project, on the expert's laptop.
OWN = Path("laptop") / "张志强.rdp"


@pytest.fixture(scope="session")
def exchange_source(
    demo_source: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, object]:
    """An agency project, an expert's own project opened from a work package, the
    expert's key enrolled, and one dossier scored and submitted offline (not yet
    returned). Built once per run (shared by the xdist workers); tests copy both
    projects, none changes these."""
    root = built_once(tmp_path_factory, "exchange", lambda folder: _build(demo_source, folder))
    ids = json.loads((root / "ids.json").read_text(encoding="utf-8"))
    return {"agency": root / "demo.rdp", "own": root / OWN, **ids}


def _build(demo_source: Path, root: Path) -> None:
    """Make the starting point in ``root`` (the ids a test needs in ids.json)."""
    agency_path = copy_project(demo_source, root / "demo.rdp")
    with Project(agency_path) as agency:
        with agency.reading() as s:
            expert = s.scalars(select(m.Expert).where(m.Expert.name == "张志强")).one().id
        summary = make_work_package(agency, expert, root / "work.rdwork")
        assert summary.dossiers > 5 and summary.files == summary.dossiers
    own = root / OWN
    own.parent.mkdir()
    local = open_work_package(root / "work.rdwork", own)
    with local.reading() as s:
        started = {x.dossier_id for x in s.scalars(select(m.ScoreSheet))}
        dossier = next(
            a.dossier_id for a in s.scalars(select(m.Assignment)) if a.dossier_id not in started
        )
        kind = s.get(m.Dossier, dossier).lead_applicant.kind  # type: ignore[union-attr]
    rubric = scoring.rubric_of(local, scoring.load_sheet(local, expert, dossier))
    for c in rubric.criteria:
        if c.applies(kind):
            scoring.set_score(local, expert, dossier, c.id, c.max - 2 * c.step)
    scoring.set_opinion(
        local, expert, dossier, "离线评分：申报材料完整，建设目标明确，任务可行，保障有力。" * 2
    )
    scoring.submit(local, expert, dossier)
    local.close()
    with Project(agency_path) as agency:
        enrol_key(agency, expert, public_pem(load_or_create_key(own)))
    ids = {"expert": expert, "dossier": dossier}
    (root / "ids.json").write_text(json.dumps(ids), encoding="utf-8")
