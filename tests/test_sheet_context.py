"""What the score form shows of a dossier comes from one core query (the UI does not
read the storage)."""

from __future__ import annotations

from pathlib import Path

import pytest

from review_desk import queries
from review_desk.project import Project


def test_sheet_context_names_the_dossier_and_the_opinion_minimum(demo_readonly: Path) -> None:
    with Project(demo_readonly) as project:
        row = queries.dossiers(project)[0]
        context = queries.sheet_context(project, row.id)
        assert context.dossier_code == row.code
        assert context.platform_name == row.platform_name
        assert context.applicant_kind == row.applicant_kind
        assert context.min_opinion_length == project.info().min_opinion_length > 0
        with pytest.raises(KeyError):
            queries.sheet_context(project, 10**9)
