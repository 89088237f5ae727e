"""The Review Desk desktop application (PySide6): a thin shell over ``review_desk``.

No business rule lives here. Importing this package does not import Qt, so that the
command line stays fast and headless; Qt is loaded by ``ui.app``.
"""
