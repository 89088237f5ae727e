"""Build an expensive read-only artefact once per test run, shared by every pytest-xdist
worker (a module-scoped fixture is otherwise built again by each worker that runs one
of the module's tests)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

WAIT_SECONDS = 600.0


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """The folder ``name`` of this run, filled by ``build(folder)`` in the one worker
    that creates it first; the others wait until it is done (or failed)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above each worker's own
    folder = base / f"built-once-{name}"
    done, failed = base / f"built-once-{name}.done", base / f"built-once-{name}.failed"
    try:
        folder.mkdir()  # atomic: whoever makes it builds
    except FileExistsError:
        deadline = time.monotonic() + WAIT_SECONDS
        while not done.exists():
            if failed.exists():
                pytest.fail(f"building {name} failed in another worker: {failed.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"building {name} took more than {WAIT_SECONDS:g} s")
            time.sleep(0.05)
        return folder
    try:
        build(folder)
    except BaseException as error:
        failed.write_text(f"{type(error).__name__}: {error}")
        raise
    done.touch()
    return folder
