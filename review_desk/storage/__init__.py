"""Storage of a review project: ORM models, the database engine, migrations and the
content-addressed file store."""
