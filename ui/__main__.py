"""``python -m ui``: the same as the ``review-desk`` command."""

from ui.launcher import main

if __name__ == "__main__":  # guarded: PDF worker processes re-import the main module
    main()
