"""Ranking: explanations of deviating scores, finalised lists.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deviation_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_deviation_note_dossier_id_dossier")
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["expert.id"], name=op.f("fk_deviation_note_expert_id_expert")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deviation_note")),
        sa.UniqueConstraint("dossier_id", "expert_id", name=op.f("uq_deviation_note_dossier_id")),
    )
    op.create_table(
        "final_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finalised_at", sa.DateTime(), nullable=False),
        sa.Column("finalised_by", sa.String(length=100), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_final_list")),
    )


def downgrade() -> None:
    op.drop_table("final_list")
    op.drop_table("deviation_note")
