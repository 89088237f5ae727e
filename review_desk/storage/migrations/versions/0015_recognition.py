"""The recognition round (认定验收): a project's kind (selection or recognition) and, for
a recognition round, the selection project it was made from; the links a selection
project keeps to its recognition rounds; the committee's decisions on the bases and the
finalised recognition list.

Every existing project is a selection round. Text columns have no length limit on
either backend (see 0009).

Revision ID: 0015
Revises: 0013 (re-chained onto 0014, the pilot year, when merged)
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_SOURCE_COLUMNS = (
    "source_location",
    "source_list_hash",
    "source_list_version",
    "source_round_name",
    "source_name",
    "source_project_id",
    "kind",
)


def upgrade() -> None:
    with op.batch_alter_table("review_project") as batch:
        batch.add_column(sa.Column("kind", sa.String(), nullable=False, server_default="selection"))
        batch.add_column(sa.Column("source_project_id", sa.String(), nullable=True))
        batch.add_column(sa.Column("source_name", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("source_round_name", sa.Text(), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("source_list_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("source_list_hash", sa.String(), nullable=True))
        batch.add_column(sa.Column("source_location", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "recognition_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("project_id", sa.String(), nullable=False),
        sa.Column("round_name", sa.Text(), nullable=False),
        sa.Column("list_hash", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognition_link")),
    )
    op.create_table(
        "recognition_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("suggested", sa.String(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_recognition_decision_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognition_decision")),
    )
    op.create_table(
        "recognition_final",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finalised_at", sa.DateTime(), nullable=False),
        sa.Column("finalised_by", sa.String(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognition_final")),
    )


def downgrade() -> None:
    op.drop_table("recognition_final")
    op.drop_table("recognition_decision")
    op.drop_table("recognition_link")
    with op.batch_alter_table("review_project") as batch:
        for name in _SOURCE_COLUMNS:
            batch.drop_column(name)
