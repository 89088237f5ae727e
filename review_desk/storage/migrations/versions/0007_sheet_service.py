"""Score-sheet service: provenance of a sheet's content, per-expert defense and
inspection notes from return packages, one return package per expert and sequence.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_IN_FORCE = "status IN ('accepted', 'superseded')"


def upgrade() -> None:
    with op.batch_alter_table("score_sheet", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=20), nullable=False, server_default="desk")
        )
        batch_op.add_column(sa.Column("source_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("entered_by", sa.String(length=100), nullable=False, server_default="")
        )
    tables: tuple[tuple[str, list[sa.Column[object]]], ...] = (
        (
            "defense_note",
            [
                sa.Column("attendees", sa.Text(), nullable=False),
                sa.Column("presentation_minutes", sa.Float(), nullable=True),
                sa.Column("questions", sa.JSON(), nullable=False),
                sa.Column("notes", sa.Text(), nullable=False),
            ],
        ),
        (
            "inspection_note",
            [
                sa.Column("inspected_at", sa.DateTime(), nullable=True),
                sa.Column("site", sa.String(length=200), nullable=False),
                sa.Column("shown", sa.Text(), nullable=False),
                sa.Column("findings", sa.Text(), nullable=False),
                sa.Column("notes", sa.Text(), nullable=False),
            ],
        ),
    )
    for table, extra in tables:
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("expert_id", sa.Integer(), nullable=False),
            sa.Column("dossier_id", sa.Integer(), nullable=False),
            *extra,
            sa.Column("package_id", sa.String(length=36), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False),
            sa.ForeignKeyConstraint(
                ["dossier_id"], ["dossier.id"], name=op.f(f"fk_{table}_dossier_id_dossier")
            ),
            sa.ForeignKeyConstraint(
                ["expert_id"], ["expert.id"], name=op.f(f"fk_{table}_expert_id_expert")
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint("expert_id", "dossier_id", name=op.f(f"uq_{table}_expert_id")),
        )
    # An earlier version could accept two packages of one expert with the same sequence
    # number when they were imported at once; the later-received ones are marked so that
    # the new rule (one per expert and sequence) can hold. Nothing is deleted.
    op.execute(
        "UPDATE return_package SET status = 'conflicted' WHERE id IN ("
        " SELECT later.id FROM return_package AS later JOIN return_package AS earlier"
        " ON later.expert_id = earlier.expert_id AND later.sequence = earlier.sequence"
        " AND later.id > earlier.id)"
    )
    op.create_index(
        "uq_return_package_expert_sequence",
        "return_package",
        ["expert_id", "sequence"],
        unique=True,
        sqlite_where=sa.text(_IN_FORCE),
        postgresql_where=sa.text(_IN_FORCE),
    )


def downgrade() -> None:
    op.drop_index("uq_return_package_expert_sequence", table_name="return_package")
    op.drop_table("inspection_note")
    op.drop_table("defense_note")
    with op.batch_alter_table("score_sheet", schema=None) as batch_op:
        batch_op.drop_column("entered_by")
        batch_op.drop_column("source_sha256")
        batch_op.drop_column("source")
