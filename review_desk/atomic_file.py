"""Writing a file whole or not at all: the content goes to a partial file beside the
target, is flushed to disk and then moved over the target in one step. A failure or a
cancel part-way leaves the earlier file (if any) as it was and no partial file behind."""

from __future__ import annotations

import glob
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """Yield the path to write; on success it replaces ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    try:
        yield partial
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Whether a process with this id is running (one we may not signal counts)."""
    if sys.platform == "win32":
        import ctypes

        kernel32 = ctypes.windll.kernel32
        kernel32.OpenProcess.restype = ctypes.c_void_p
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return bool(kernel32.GetLastError() == 5)  # access denied: it exists
        code = ctypes.c_ulong()
        try:
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        finally:
            kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owned_partial(target: Path, suffix: str) -> Path:
    """A hidden partial file beside ``target`` that names the process writing it
    (``.NAME.<pid>-<token>.<suffix>``), so that :func:`stale_partials` can tell it
    from one a killed process left."""
    return target.with_name(f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.{suffix}")


def stale_partials(target: Path, suffix: str) -> list[Path]:
    """The partial files beside ``target`` (see :func:`owned_partial`, and their
    ``-wal``/``-journal`` companions) whose process is no longer running."""
    prefix = f".{target.name}."
    stale = []
    for path in target.parent.glob(f"{glob.escape(prefix)}*.{suffix}*"):
        owner = path.name[len(prefix) :].split(".", 1)[0].split("-", 1)[0]
        if owner.isdigit() and int(owner) != os.getpid() and not process_alive(int(owner)):
            stale.append(path)
    return stale
