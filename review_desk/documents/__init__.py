"""Documents that people sign or file (the expert's printed score sheet), made in the
core so that the CLI, the UI and the tests produce the same paper."""
