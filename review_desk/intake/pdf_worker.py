"""Reading PDFs in worker processes with a time and a memory limit.

PDF parsers have known denial-of-service bugs (decompression bombs, reference loops), so
a received file is never parsed in the application's own process: a worker reads it and
sends back a small result, and a worker that runs out of time is killed and replaced.
The memory limit uses RLIMIT_AS where the system has it (Linux, macOS).

Two kinds of failure are kept apart. A file that makes the parser fail, run out of time
or memory, or crash the worker is the file's problem: its report says so and the other
files are read. A worker that cannot start (the parser cannot be imported, as in a
frozen build that left it out), that fails in our own code, or that crashes on file after
file with none read is our problem: :class:`PdfReaderBroken` is raised and the command
stops with an error instead of calling every file unreadable.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from review_desk.domain import TextStatus
from review_desk.errors import UserError
from review_desk.i18n import _, tr

DEFAULT_TIMEOUT = 60.0
BACKLOG = 256  # paths taken ahead of the workers (the producer copies files meanwhile)
DEFAULT_MEMORY_MB = 1024

OK, NO_TEXT, UNREAD = TextStatus.OK, TextStatus.NO_TEXT, TextStatus.UNREAD
ENCRYPTED, DAMAGED, TOO_COSTLY = TextStatus.ENCRYPTED, TextStatus.DAMAGED, TextStatus.TOO_COSTLY
# Crashes in a row, with no file read yet, after which the reader itself is suspect.
CRASHES_BEFORE_BROKEN = 3


class PdfReaderBroken(UserError):
    """The PDF reader itself does not work: no file was judged, the command must stop."""

    code = "pdf.reader_broken"


@dataclass(frozen=True)
class _Ready:
    """The worker's first message: the parser is loaded."""


@dataclass(frozen=True)
class _Broken:
    """The worker's last message: it failed in our code, not on a file (``detail``)."""

    detail: str


@dataclass
class PdfReport:
    """What was learnt from one PDF."""

    path: str
    status: TextStatus
    pages: int | None = None
    items: dict[str, int] = field(default_factory=dict)
    message: str = ""
    # The text of each checklist item asked for and found (see pdf_text.section_text).
    sections: dict[str, str] = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        """True when the file could be parsed (with or without a text layer)."""
        return self.status.readable


def read_pdf(path: str, extract_text: bool = True, sections: Sequence[str] = ()) -> PdfReport:
    """Parse one PDF in this process: page count, text layer, checklist items, and the
    text of the checklist items named in ``sections`` that are found.

    Call it through :class:`PdfWorkers`, not directly on untrusted files.
    """
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    # An open file, not a path: pypdf then reads what it needs instead of the whole file.
    with open(path, "rb") as stream:
        return _read_stream(path, stream, extract_text, sections)


def _read_stream(
    path: str, stream: Any, extract_text: bool, sections: Sequence[str] = ()
) -> PdfReport:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    from review_desk.intake.pdf_text import find_items, has_text_layer, section_text

    try:
        reader = PdfReader(stream, strict=False)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    return PdfReport(path, ENCRYPTED, message=_("the PDF is password-protected"))
            except (NotImplementedError, FileNotDecryptedError):
                return PdfReport(path, ENCRYPTED, message=_("the PDF is password-protected"))
        pages = len(reader.pages)
        if pages == 0:
            return PdfReport(path, DAMAGED, pages=0, message=_("the PDF has no pages"))
        if not extract_text:
            return PdfReport(path, UNREAD, pages=pages)
        texts = [(page.extract_text() or "") for page in reader.pages]
    except FileNotDecryptedError:
        return PdfReport(path, ENCRYPTED, message=_("the PDF is password-protected"))
    except MemoryError:
        return PdfReport(path, TOO_COSTLY, message=_("reading it needs too much memory"))
    except RecursionError:
        return PdfReport(path, DAMAGED, message=_("its structure loops on itself"))
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as error:
        return PdfReport(path, DAMAGED, message=tr("it is damaged ({error})", error=error))
    except Exception as error:  # any other parser failure is a property of the file
        return PdfReport(path, DAMAGED, message=tr("it is damaged ({error})", error=error))
    if not has_text_layer(texts):
        return PdfReport(
            path, NO_TEXT, pages=pages,
            message=_("no text layer (a scan): needs a manual check"),
        )  # fmt: skip
    items = find_items(texts)
    found = {key: section_text(texts, key, items[key]) for key in sections if key in items}
    return PdfReport(path, OK, pages=pages, items=items, sections=found)


def _limit_memory(memory_mb: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: only the time limit applies
        return
    limit = memory_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _serve(connection: Connection, memory_mb: int) -> None:
    import traceback

    _limit_memory(memory_mb)
    try:
        # Loaded while the parent is still copying files; a failure here is ours.
        import pypdf  # noqa: F401

        import review_desk.intake.pdf_text  # noqa: F401
    except BaseException as error:  # MemoryError too: the limit is below what we need
        _send_last(connection, _Broken(_one_line(error, traceback.format_exc())))
        return
    connection.send(_Ready())
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        if job is None:
            return
        path, extract, sections = job
        try:
            report = read_pdf(path, extract, sections)
        except MemoryError:
            report = PdfReport(path, TOO_COSTLY, message=_("reading it needs too much memory"))
        except OSError as error:  # the stored copy cannot be opened: this file only
            report = PdfReport(
                path, DAMAGED, message=tr("it cannot be opened ({error})", error=error)
            )
        except Exception as error:  # outside the parser's own guard: a fault of ours
            _send_last(connection, _Broken(_one_line(error, traceback.format_exc())))
            return
        connection.send(report)


def _one_line(error: BaseException, details: str) -> str:
    if isinstance(error, ImportError) and error.name:
        return tr("the module {name} is missing from the installation", name=error.name)
    last = details.strip().splitlines()[-1] if details.strip() else ""
    return last or f"{type(error).__name__}: {error}"


def _send_last(connection: Connection, message: object) -> None:
    with contextlib.suppress(BrokenPipeError, OSError):
        connection.send(message)


class _Worker:
    def __init__(self, context: Any, memory_mb: int) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, memory_mb), daemon=True)
        self.process.start()
        child.close()
        self.path: str | None = None
        self.ready = False

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(BrokenPipeError, OSError):
                self.connection.send(None)
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


def _last_words(worker: _Worker) -> str | None:
    """What a worker that exited said before it went: its :class:`_Broken` detail, if any.

    A worker that cannot load the parser says why and exits; the parent may only notice
    when its job cannot be sent, with the message still waiting in the pipe.
    """
    with contextlib.suppress(EOFError, OSError):
        while worker.connection.poll(0):
            message = worker.connection.recv()
            if isinstance(message, _Broken):
                return message.detail
            if isinstance(message, _Ready):
                worker.ready = True
    return None


def default_workers() -> int:
    """How many reader processes a pool starts by default: one per processor, at most 4."""
    return max(1, min(4, os.cpu_count() or 2))


class PdfWorkers:
    """A small pool of PDF-reading processes; use as a context manager."""

    def __init__(
        self,
        workers: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        memory_mb: int = DEFAULT_MEMORY_MB,
    ) -> None:
        self.size = workers or default_workers()
        self.timeout = timeout
        self.memory_mb = memory_mb
        # spawn: a fork of a process that runs Qt threads is not safe.
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._crashes = 0  # in a row
        self._read_any = False

    def __enter__(self) -> PdfWorkers:
        # Start the workers now: their start-up overlaps the caller's first file copies.
        for _number in range(self.size):
            self._spawn()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker (all asked at once, then waited for)."""
        for worker in self._workers:
            with contextlib.suppress(BrokenPipeError, OSError):
                worker.connection.send(None)
        for worker in self._workers:
            worker.stop()
        self._workers.clear()

    def _spawn(self) -> _Worker:
        worker = _Worker(self._context, self.memory_mb)
        self._workers.append(worker)
        return worker

    def _crashed(self, worker: _Worker) -> PdfReport:
        """A worker died: the file's fault if the reader works, else :class:`PdfReaderBroken`."""
        detail = _last_words(worker)
        self._workers.remove(worker)
        worker.stop(kill=True)
        if detail is not None:
            self._give_up(detail)
        if not worker.ready:
            self._give_up(
                tr("the worker process exited with code {code}", code=worker.process.exitcode)
            )
        self._crashes += 1
        if not self._read_any and self._crashes >= CRASHES_BEFORE_BROKEN:
            self._give_up(tr("it crashed on {count} files in a row", count=self._crashes))
        # Killed by the memory limit or a parser crash on this file: replace the worker.
        return PdfReport(
            worker.path or "", TOO_COSTLY, message=_("reading it crashed the PDF reader")
        )

    def _give_up(self, detail: str) -> None:
        self.close()
        raise PdfReaderBroken(
            tr(
                "The PDF reader does not work ({detail}); no file was judged. This is a fault "
                "of the installation, not of the files.",
                detail=detail,
            )
        )

    def read(
        self, paths: Iterable[Path], extract_text: bool = True, sections: Sequence[str] = ()
    ) -> Iterator[PdfReport]:
        """Read every file; yield a report per file as it completes (in any order), with
        the text of the checklist items named in ``sections``.

        ``paths`` is consumed lazily, one path whenever a worker is free, so a generator
        that copies files as it yields them runs alongside the workers. Raises
        :class:`PdfReaderBroken` when the reader itself does not work (see the module).
        """
        from multiprocessing.connection import wait
        from time import monotonic

        source = iter(paths)
        exhausted = False
        backlog: list[str] = []  # taken from ``paths`` while every worker was busy
        idle = list(self._workers)
        busy: dict[Any, tuple[_Worker, float]] = {}
        while True:
            while (backlog or not exhausted) and (idle or len(self._workers) < self.size):
                if not backlog:
                    path = next(source, None)
                    if path is None:
                        exhausted = True
                        break
                    backlog.append(str(path))
                worker = idle.pop() if idle else self._spawn()
                worker.path = backlog.pop(0)
                try:
                    worker.connection.send((worker.path, extract_text, tuple(sections)))
                except OSError:  # BrokenPipeError: it died before taking the job
                    yield self._crashed(worker)
                    continue
                busy[worker.connection] = (worker, monotonic())
            if not busy:
                if exhausted and not backlog:
                    return
                continue
            # While the workers are busy, keep the producer going (it copies files).
            if not exhausted and len(backlog) < BACKLOG:
                ready = wait(list(busy), timeout=0)
                if not ready:
                    path = next(source, None)
                    if path is None:
                        exhausted = True
                    else:
                        backlog.append(str(path))
                    continue
            else:
                now = monotonic()
                deadline = min(started for _w, started in busy.values()) + self.timeout
                ready = wait(list(busy), timeout=max(0.0, deadline - now))
            for connection in ready:
                worker, started = busy.pop(connection)
                try:
                    message = worker.connection.recv()
                except (EOFError, OSError):
                    yield self._crashed(worker)
                    continue
                if isinstance(message, _Ready):
                    worker.ready = True
                    busy[connection] = (worker, started)  # its file is being read now
                    continue
                if isinstance(message, _Broken):
                    self._give_up(message.detail)
                self._crashes = 0
                self._read_any = True
                idle.append(worker)
                yield message
            now = monotonic()
            for connection, (worker, started) in list(busy.items()):
                if now - started >= self.timeout:
                    del busy[connection]
                    self._workers.remove(worker)
                    worker.stop(kill=True)
                    yield PdfReport(
                        worker.path or "",
                        TOO_COSTLY,
                        message=tr(
                            "reading it took longer than {seconds} s", seconds=f"{self.timeout:g}"
                        ),
                    )
