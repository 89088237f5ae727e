"""Dossier files kept in the database itself, for a project on a server: one row per
file (its SHA-256 and size) and its bytes in chunks of 1 MiB, so that every seat reads
the same files. Empty, and unused, in a project file (its files are in ``.files``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_file",
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_stored_file")),
    )
    op.create_table(
        "stored_file_chunk",
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["stored_file.sha256"],
            name=op.f("fk_stored_file_chunk_sha256_stored_file"),
        ),
        sa.PrimaryKeyConstraint("sha256", "seq", name=op.f("pk_stored_file_chunk")),
    )


def downgrade() -> None:
    op.drop_table("stored_file_chunk")
    op.drop_table("stored_file")
