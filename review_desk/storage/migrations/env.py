"""Alembic environment: migrations always run on a connection the application passes in
``config.attributes["connection"]``, so that they share its transaction and pragmas."""

from __future__ import annotations

from alembic import context

from review_desk.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Review Desk runs its migrations through review_desk.storage.database")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
