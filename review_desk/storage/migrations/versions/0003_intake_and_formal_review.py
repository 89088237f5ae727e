"""Intake and formal review: material reading status, partners without codes, formal
review results and reviewers' overrides.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applicant", schema=None) as batch_op:
        batch_op.alter_column("credit_code", existing_type=sa.String(length=18), nullable=True)
    with op.batch_alter_table("material", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_status", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("problem", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("source_path", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "formal_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=True),
        sa.Column("supplement_deadline", sa.DateTime(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_formal_review_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_formal_review")),
        sa.UniqueConstraint("dossier_id", name=op.f("uq_formal_review_dossier_id")),
    )
    op.create_table(
        "formal_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.String(length=60), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_formal_override_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_formal_override")),
        sa.UniqueConstraint("dossier_id", "check_id", name=op.f("uq_formal_override_dossier_id")),
    )


def downgrade() -> None:
    op.drop_table("formal_override")
    op.drop_table("formal_review")
    with op.batch_alter_table("material", schema=None) as batch_op:
        batch_op.drop_column("source_path")
        batch_op.drop_column("problem")
        batch_op.drop_column("text_status")
    with op.batch_alter_table("applicant", schema=None) as batch_op:
        batch_op.alter_column("credit_code", existing_type=sa.String(length=18), nullable=False)
