"""``python -m review_desk``: the headless command line (no GUI)."""

import sys

from review_desk.cli import main

sys.exit(main())
