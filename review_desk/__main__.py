"""``python -m review_desk``: the headless command line (no GUI)."""

import sys

from review_desk.cli import main

if __name__ == "__main__":  # guarded: PDF worker processes re-import the main module
    sys.exit(main())
