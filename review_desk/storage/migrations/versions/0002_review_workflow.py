"""Experts, panels, assignments, recusals, score sheets, records and adjustments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "expert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("email", sa.String(length=100), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expert")),
    )
    op.create_table(
        "panel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["leader_id"], ["expert.id"], name=op.f("fk_panel_leader_id_expert")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel")),
        sa.UniqueConstraint("name", name=op.f("uq_panel_name")),
    )
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("panel_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_assignment_dossier_id_dossier")
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["expert.id"], name=op.f("fk_assignment_expert_id_expert")
        ),
        sa.ForeignKeyConstraint(
            ["panel_id"], ["panel.id"], name=op.f("fk_assignment_panel_id_panel")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment")),
        sa.UniqueConstraint("expert_id", "dossier_id", name=op.f("uq_assignment_expert_id")),
    )
    op.create_table(
        "committee_adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("from_tier", sa.String(length=20), nullable=False),
        sa.Column("to_tier", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_committee_adjustment_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_adjustment")),
    )
    op.create_table(
        "defense_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("session_at", sa.DateTime(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("platform", sa.String(length=50), nullable=False),
        sa.Column("meeting_id", sa.String(length=50), nullable=False),
        sa.Column("room", sa.String(length=100), nullable=False),
        sa.Column("presenter", sa.String(length=50), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_defense_record_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defense_record")),
    )
    op.create_table(
        "inspection_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("inspected_at", sa.DateTime(), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_inspection_record_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_record")),
    )
    op.create_table(
        "panel_direction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("panel_id", sa.Integer(), nullable=False),
        sa.Column("direction_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["direction_id"],
            ["direction.id"],
            name=op.f("fk_panel_direction_direction_id_direction"),
        ),
        sa.ForeignKeyConstraint(
            ["panel_id"],
            ["panel.id"],
            name=op.f("fk_panel_direction_panel_id_panel"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_direction")),
        sa.UniqueConstraint("panel_id", "direction_id", name=op.f("uq_panel_direction_panel_id")),
    )
    op.create_table(
        "panel_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("panel_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["expert.id"], name=op.f("fk_panel_member_expert_id_expert")
        ),
        sa.ForeignKeyConstraint(
            ["panel_id"],
            ["panel.id"],
            name=op.f("fk_panel_member_panel_id_panel"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_member")),
        sa.UniqueConstraint("panel_id", "expert_id", name=op.f("uq_panel_member_panel_id")),
    )
    op.create_table(
        "recusal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("declared_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_recusal_dossier_id_dossier")
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["expert.id"], name=op.f("fk_recusal_expert_id_expert")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recusal")),
        sa.UniqueConstraint("expert_id", "dossier_id", name=op.f("uq_recusal_expert_id")),
    )
    op.create_table(
        "score_sheet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("rubric_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_score_sheet_dossier_id_dossier")
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["expert.id"], name=op.f("fk_score_sheet_expert_id_expert")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_sheet")),
        sa.UniqueConstraint(
            "expert_id", "dossier_id", "rubric_hash", name=op.f("uq_score_sheet_expert_id")
        ),
    )
    op.create_table(
        "score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.String(length=50), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["score_sheet.id"],
            name=op.f("fk_score_sheet_id_score_sheet"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score")),
        sa.UniqueConstraint("sheet_id", "criterion_id", name=op.f("uq_score_sheet_id")),
    )


def downgrade() -> None:
    op.drop_table("score")
    op.drop_table("score_sheet")
    op.drop_table("recusal")
    op.drop_table("panel_member")
    op.drop_table("panel_direction")
    op.drop_table("inspection_record")
    op.drop_table("defense_record")
    op.drop_table("committee_adjustment")
    op.drop_table("assignment")
    op.drop_table("panel")
    op.drop_table("expert")
