"""Dossier intake: the register (申报汇总表), the material files, and their import into
a project."""
