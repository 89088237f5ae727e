"""Review Desk (评审台): the application core, usable without Qt.

Domain entities and storage, use cases, exports and the command line live here; the
Qt application in ``ui`` is a thin shell over this package.
"""

__version__ = "0.1.0"
APP_NAME = "review-desk"
