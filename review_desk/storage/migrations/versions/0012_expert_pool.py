"""The expert pool (专家库): the roster's experts kept beyond one round with their city,
title, fields (directions and majors), availability per round, past participation,
declared relations and past employers; the project's conflict rules (回避规则); and the
verifiable draws of experts (随机抽取) with their refusals.

Every new column of ``expert`` has a default, so the experts a project holds stay as
they were. Text columns have no length limit on either backend (see 0009).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_LISTS = ("directions", "majors", "availability", "past_rounds", "relations", "past_employers")


def upgrade() -> None:
    with op.batch_alter_table("expert") as batch:
        batch.add_column(sa.Column("city", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("title", sa.String(), nullable=False, server_default=""))
        for name in _LISTS:
            batch.add_column(
                sa.Column(name, sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
            )
    op.create_table(
        "conflict_rule",
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("years", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("rule", name=op.f("pk_conflict_rule")),
    )
    op.create_table(
        "expert_draw",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("pool", sa.JSON(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("public_value", sa.Text(), nullable=False),
        sa.Column("hashes", sa.JSON(), nullable=False),
        sa.Column("seed", sa.String(), nullable=False),
        sa.Column("selected", sa.JSON(), nullable=False),
        sa.Column("alternates", sa.JSON(), nullable=False),
        sa.Column("refusals", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expert_draw")),
    )


def downgrade() -> None:
    op.drop_table("expert_draw")
    op.drop_table("conflict_rule")
    with op.batch_alter_table("expert") as batch:
        for name in reversed(("city", "title", *_LISTS)):
            batch.drop_column(name)
