"""Per-sheet stage totals: the counted points per stage and the number of uncounted
points kept on each score sheet, triggers that clear them when anything changes what
they sum, and the totals of the sheets already stored.

SQLite drops a table's triggers with the table: a later migration that rebuilds
``score``, ``score_sheet``, ``dossier`` or ``applicant`` (a batch operation) must create
them again (tests/scoring/test_stage_totals.py checks that they exist at the head).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_CLEAR = "UPDATE score_sheet SET stage_totals = NULL, uncounted_scores = NULL WHERE {where};"

# What can change a sheet's totals other than the score-sheet service, which refreshes
# them itself after it writes: its scores, its dossier, its rubric version, the dossier's
# lead applicant and that applicant's kind (which criteria apply).
_SOURCES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("score_totals_insert", "INSERT ON score", "NEW", ("id = NEW.sheet_id",)),
    ("score_totals_delete", "DELETE ON score", "OLD", ("id = OLD.sheet_id",)),
    (
        "score_totals_update",
        "UPDATE OF sheet_id, criterion_id, points ON score",
        "NEW",
        ("id = OLD.sheet_id", "id = NEW.sheet_id"),
    ),
    (
        "sheet_totals_update",
        "UPDATE OF dossier_id, rubric_hash ON score_sheet",
        "NEW",
        ("id = NEW.id",),
    ),
    (
        "dossier_totals_update",
        "UPDATE OF lead_applicant_id ON dossier",
        "NEW",
        ("dossier_id = NEW.id",),
    ),
    (
        "applicant_totals_update",
        "UPDATE OF kind ON applicant",
        "NEW",
        ("dossier_id IN (SELECT id FROM dossier WHERE lead_applicant_id = NEW.id)",),
    ),
)


def _sqlite_triggers() -> None:
    for name, event, _row, wheres in _SOURCES:
        body = " ".join(_CLEAR.format(where=w) for w in wheres)
        op.execute(f"CREATE TRIGGER {name} AFTER {event} FOR EACH ROW BEGIN {body} END")


def _postgresql_triggers() -> None:
    for name, event, row, wheres in _SOURCES:
        body = " ".join(_CLEAR.format(where=w) for w in wheres)
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} RETURN {row}; END $$"
        )
        op.execute(f"CREATE TRIGGER {name} AFTER {event} FOR EACH ROW EXECUTE FUNCTION {name}()")


def upgrade() -> None:
    with op.batch_alter_table("score_sheet", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage_totals", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("uncounted_scores", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()
    # The sheets already stored: their totals, computed as the service computes them.
    from review_desk.scoring import totals

    totals.rebuild_in_session(Session(bind=op.get_bind()), everything=True)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, event, _row, _wheres in _SOURCES:
        table = event.rsplit(" ON ", 1)[1]
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("score_sheet", schema=None) as batch_op:
        batch_op.drop_column("uncounted_scores")
        batch_op.drop_column("stage_totals")
