"""The workflow pages, one module each, and the order and roles they appear in."""
