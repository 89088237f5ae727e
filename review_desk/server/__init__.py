"""A project on a PostgreSQL server, for an agency with several seats: creating it,
and (to come) its accounts, permissions and the change notices between seats."""
