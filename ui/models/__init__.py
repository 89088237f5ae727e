"""Qt item models that adapt the core's query rows."""
