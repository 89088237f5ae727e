"""Publicity and objections (公示与异议): the publicity period of the finalised list, the
objections received during it with their evidence files, and the versions of the list
(an upheld objection revises it into a new version; nothing is overwritten).

Every existing finalised list becomes version 1 with an empty reason. Text columns have
no length limit on either backend (see 0009).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("final_list") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("previous_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("diff", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch.create_foreign_key(
            op.f("fk_final_list_previous_id_final_list"), "final_list", ["previous_id"], ["id"]
        )
    op.create_table(
        "publicity_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_by", sa.String(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("final_list_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.String(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("published_by", sa.String(), nullable=True),
        sa.Column("published_hash", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["final_list_id"],
            ["final_list.id"],
            name=op.f("fk_publicity_period_final_list_id_final_list"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publicity_period")),
    )
    op.create_table(
        "objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("objector", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("assignee", sa.Text(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("resulting_list_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["publicity_period.id"],
            name=op.f("fk_objection_period_id_publicity_period"),
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_objection_dossier_id_dossier")
        ),
        sa.ForeignKeyConstraint(
            ["resulting_list_id"],
            ["final_list.id"],
            name=op.f("fk_objection_resulting_list_id_final_list"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection")),
    )
    op.create_table(
        "objection_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objection_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("added_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["objection_id"],
            ["objection.id"],
            name=op.f("fk_objection_evidence_objection_id_objection"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection_evidence")),
    )


def downgrade() -> None:
    op.drop_table("objection_evidence")
    op.drop_table("objection")
    op.drop_table("publicity_period")
    with op.batch_alter_table("final_list") as batch:
        batch.drop_constraint(op.f("fk_final_list_previous_id_final_list"), type_="foreignkey")
        for name in ("diff", "previous_id", "reason", "version"):
            batch.drop_column(name)
