"""A quiet HiGHS instance (``highspy``) for the assignment's linear programmes."""

from __future__ import annotations

import os
import sys

import highspy


def quiet_solver() -> highspy.Highs:
    """A HiGHS instance with its output off. The first one in a process prints a
    banner on the standard output (file descriptor 1, from C++) before any option can be
    set, which would mix with a command's own output: it is sent to the null device."""
    try:
        sys.stdout.flush()
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    except (OSError, AttributeError, ValueError):  # no standard output (a GUI process)
        saved = null = -1
    try:
        if saved >= 0:
            os.dup2(null, 1)
        solver = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        if saved >= 0:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
    solver.setOptionValue("output_flag", False)
    return solver
