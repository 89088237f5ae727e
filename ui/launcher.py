"""Entry point of the ``review-desk`` command: the CLI, with the GUI as its default.

Qt is imported only when the window is wanted, so headless subcommands start fast and
run where no Qt libraries can load.
"""

from __future__ import annotations

import argparse
import sys


def run_gui(args: argparse.Namespace) -> int:
    """Open the application window (imported lazily: it loads Qt)."""
    from ui.app import run

    return run(args)


def main() -> None:
    """Run ``review-desk``."""
    import multiprocessing

    # A frozen build starts PDF worker processes through this same executable.
    multiprocessing.freeze_support()
    from review_desk.cli import main as cli_main

    sys.exit(cli_main(sys.argv[1:], gui=run_gui))


if __name__ == "__main__":
    main()
