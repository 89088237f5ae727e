"""Rubric versions, veto flags, defense sessions and richer defense/inspection records.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rubric",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("rubric_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_rubric_content_hash")),
    )
    with op.batch_alter_table("review_project", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active_rubric_hash", sa.String(length=64), nullable=True))
    op.create_table(
        "veto_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("veto_id", sa.String(length=50), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["score_sheet.id"],
            name=op.f("fk_veto_flag_sheet_id_score_sheet"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_veto_flag")),
        sa.UniqueConstraint("sheet_id", "veto_id", name=op.f("uq_veto_flag_sheet_id")),
    )
    op.create_table(
        "defense_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("platform", sa.String(length=50), nullable=False),
        sa.Column("meeting_id", sa.String(length=50), nullable=False),
        sa.Column("room", sa.String(length=100), nullable=False),
        sa.Column("presentation_minutes", sa.Integer(), nullable=False),
        sa.Column("qa_minutes", sa.Integer(), nullable=False),
        sa.Column("panel_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["panel_id"], ["panel.id"], name=op.f("fk_defense_session_panel_id_panel")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defense_session")),
    )
    with op.batch_alter_table("defense_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("order_index", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("attendees", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("presentation_minutes", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("questions", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.create_foreign_key(
            batch_op.f("fk_defense_record_session_id_defense_session"),
            "defense_session",
            ["session_id"],
            ["id"],
        )
    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.alter_column("points", existing_type=sa.Float(), nullable=True)
    with op.batch_alter_table("inspection_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shown", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("findings", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("inspection_record", schema=None) as batch_op:
        batch_op.drop_column("findings")
        batch_op.drop_column("shown")
    with op.batch_alter_table("defense_record", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_defense_record_session_id_defense_session"), type_="foreignkey"
        )
        for column in (
            "questions",
            "presentation_minutes",
            "attendees",
            "order_index",
            "session_id",
        ):
            batch_op.drop_column(column)
    op.drop_table("defense_session")
    op.execute("DELETE FROM score WHERE points IS NULL")
    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.alter_column("points", existing_type=sa.Float(), nullable=False)
    op.drop_table("veto_flag")
    with op.batch_alter_table("review_project", schema=None) as batch_op:
        batch_op.drop_column("active_rubric_hash")
    op.drop_table("rubric")
