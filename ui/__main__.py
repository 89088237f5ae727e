"""``python -m ui``: the same as the ``review-desk`` command."""

from ui.launcher import main

main()
