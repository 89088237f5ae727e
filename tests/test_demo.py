"""The demo project: deterministic, and rich enough for every page."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from review_desk import reference
from review_desk.demo import build_demo
from review_desk.domain import ApplicantKind
from review_desk.project import Project
from review_desk.storage import models as m


def _dump(path: Path) -> list[tuple[str, list[tuple[object, ...]]]]:
    with sqlite3.connect(path) as c:
        tables = [
            r[0]
            for r in c.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        ]
        dump = [(t, sorted(c.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)) for t in tables]
    c.close()
    return dump


def test_demo_builds_to_the_same_content(tmp_path: Path, demo_source: Path) -> None:
    again = tmp_path / "again.rdp"
    build_demo(again).close()
    assert _dump(again) == _dump(demo_source)
    first_files = sorted(
        p.name for p in demo_source.with_name("demo.rdp.files").rglob("*") if p.is_file()
    )
    second_files = sorted(
        p.name for p in again.with_name("again.rdp.files").rglob("*") if p.is_file()
    )
    assert first_files == second_files and len(first_files) >= 40


def test_demo_has_what_every_page_needs(demo_source: Path) -> None:
    with Project(demo_source) as project, project.reading() as s:
        applicants = s.scalars(select(m.Applicant)).all()
        dossiers = s.scalars(select(m.Dossier)).all()
        assert 38 <= len(applicants) <= 45
        assert {a.kind for a in applicants} == {k.value for k in ApplicantKind}
        assert len({d.direction_id for d in dossiers}) >= 12
        per_lead: dict[int, int] = {}
        for d in dossiers:
            per_lead[d.lead_applicant_id] = per_lead.get(d.lead_applicant_id, 0) + 1
        assert sum(1 for n in per_lead.values() if n == 2) >= 3
        assert len(s.scalars(select(m.DossierPartner)).all()) >= 10
        assert len(s.scalars(select(m.Expert)).all()) >= 8
        assert len(s.scalars(select(m.Panel)).all()) >= 2
        assert s.scalars(select(m.Recusal)).all()
        statuses = [sh.status for sh in s.scalars(select(m.ScoreSheet))]
        assert "submitted" in statuses and "draft" in statuses
        assignments = s.scalars(select(m.Assignment)).all()
        assert len(statuses) < len(assignments)  # partly filled
        recused = {(r.expert_id, r.dossier_id) for r in s.scalars(select(m.Recusal))}
        assert not recused & {(a.expert_id, a.dossier_id) for a in assignments}
        deadline = project.info().deadline
        assert deadline is not None
        assert any(d.received_at and d.received_at > deadline for d in dossiers)


def _texts(project: Project) -> dict[str, str]:
    with project.reading() as s:
        materials = s.scalars(select(m.Material)).all()
        result = {}
        for material in materials:
            reader = PdfReader(io.BytesIO(project.files.path_for(material.sha256).read_bytes()))
            assert len(reader.pages) == material.page_count
            result[material.filename] = "".join(page.extract_text() or "" for page in reader.pages)
        return result


def test_demo_pdfs_have_annex_3_text(demo_source: Path) -> None:
    with Project(demo_source) as project:
        texts = _texts(project)
    titles = [item.title for item in reference.checklist() if item.key.startswith("plan.")]
    complete = [t for t in texts.values() if all(title in t for title in titles)]
    assert len(complete) >= 35
    assert all("参与主体简介" in t for t in complete)
    assert any("经费预算" not in t and t.strip() for t in texts.values())  # a section missing
    no_text = [name for name, t in texts.items() if not t.strip()]
    assert len(no_text) == 1 and "晋城市人民政府" in no_text[0]  # the scan-like dossier
