"""The pilot year (试点培育): the pilot period of the published list, each selected
base's milestones, progress reports (files in the file store, linked to the milestones
they report on) and the agency's notes. Text columns have no length limit on either
backend (see 0009).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pilot_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("final_list_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("started_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["final_list_id"],
            ["final_list.id"],
            name=op.f("fk_pilot_period_final_list_id_final_list"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pilot_period")),
    )
    op.create_table(
        "pilot_milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_pilot_milestone_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pilot_milestone")),
    )
    op.create_index(
        op.f("ix_pilot_milestone_dossier_id"), "pilot_milestone", ["dossier_id"], unique=False
    )
    op.create_table(
        "pilot_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("covers_from", sa.Date(), nullable=True),
        sa.Column("covers_to", sa.Date(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("added_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_pilot_report_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pilot_report")),
    )
    op.create_index(
        op.f("ix_pilot_report_dossier_id"), "pilot_report", ["dossier_id"], unique=False
    )
    op.create_table(
        "pilot_report_milestone",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["pilot_report.id"],
            name=op.f("fk_pilot_report_milestone_report_id_pilot_report"),
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["pilot_milestone.id"],
            name=op.f("fk_pilot_report_milestone_milestone_id_pilot_milestone"),
        ),
        sa.PrimaryKeyConstraint(
            "report_id", "milestone_id", name=op.f("pk_pilot_report_milestone")
        ),
    )
    op.create_table(
        "pilot_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_pilot_note_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pilot_note")),
    )
    op.create_index(op.f("ix_pilot_note_dossier_id"), "pilot_note", ["dossier_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pilot_note_dossier_id"), table_name="pilot_note")
    op.drop_table("pilot_note")
    op.drop_table("pilot_report_milestone")
    op.drop_index(op.f("ix_pilot_report_dossier_id"), table_name="pilot_report")
    op.drop_table("pilot_report")
    op.drop_index(op.f("ix_pilot_milestone_dossier_id"), table_name="pilot_milestone")
    op.drop_table("pilot_milestone")
    op.drop_table("pilot_period")
