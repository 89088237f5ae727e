"""Text columns without a length limit on PostgreSQL, as they have always been on SQLite.

SQLite never enforces ``VARCHAR(n)``: a project file can hold an audit entry naming a
file by its 64-character SHA-256 in a 50-character column, or an expert's long
organisation name. The same values must fit when a project runs on (or is pushed to) a
PostgreSQL server, so there every length-limited ``VARCHAR`` becomes an unlimited one.
Lengths the application relies on are checked where the values come in, not here.

Nothing changes on SQLite. The downgrade keeps the columns as they are: putting the
limits back could fail on the data a server now holds.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    columns = bind.execute(
        sa.text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = 'character varying' "
            "AND character_maximum_length IS NOT NULL AND table_name <> 'alembic_version' "
            "ORDER BY table_name, ordinal_position"
        )
    ).all()
    # PostgreSQL cannot change the type of a column that a trigger names (``UPDATE OF
    # …``): the project's triggers are set aside and created again, exactly as they were.
    triggers = bind.execute(
        sa.text(
            "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
        )
    ).all()
    for name, table, _definition in triggers:
        op.execute(f'DROP TRIGGER "{name}" ON "{table}"')
    for table, column in columns:
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE varchar')
    for _name, _table, definition in triggers:
        op.execute(definition)


def downgrade() -> None:
    pass
