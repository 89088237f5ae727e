"""The accounts of a project on a server: which database login is which person's, and
in what capacity (agency, a department's formal reviewer, an expert, the committee).
Row-level permissions look a login up here. Empty, and unused, in a project file.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "server_account",
        sa.Column("login", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=True),
        sa.Column("expert_id", sa.Integer(), nullable=True),
        sa.Column("display_name", sa.String(), nullable=False, server_default=""),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["expert.id"], name=op.f("fk_server_account_expert_id_expert")
        ),
        sa.PrimaryKeyConstraint("login", name=op.f("pk_server_account")),
    )


def downgrade() -> None:
    op.drop_table("server_account")
