"""The ``review-desk`` command line: headless subcommands over the core.

With no subcommand (or ``gui``) the caller-supplied GUI runner opens the window; the
core never imports Qt itself, so ``ui.launcher`` hands its runner in.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from review_desk import __version__
from review_desk.cli import (
    argparse_i18n,
    assign_cmd,
    audit_cmd,
    bundle_cmd,
    demo_cmd,
    directions_cmd,
    draw_cmd,
    history_cmd,
    intake_cmd,
    package_cmd,
    panels_cmd,
    pilot_cmd,
    project_cmd,
    publicity_cmd,
    rank_cmd,
    recognition_cmd,
    results_cmd,
    rubric_cmd,
    server_cmd,
    sheets_cmd,
)
from review_desk.cli.common import print_error, report_exception
from review_desk.i18n import _, tr

GuiRunner = Callable[[argparse.Namespace], int]


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter with its own words ("usage:") translated like ours."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose built-in texts go through our translations."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._optionals.title = _("options")
        self._positionals.title = _("positional arguments")
        self.add_argument("-h", "--help", action="help", help=_("show this help and exit"))

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, tr("{prog}: error: {message}\n", prog=self.prog, message=message))


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand."""
    argparse_i18n.install()  # argparse's own messages in the user's language
    parser = _Parser(
        prog="review-desk",
        description=_(
            "Review Desk: expert review and selection of industry-education integration "
            "platforms and training bases. Without a subcommand it opens the application."
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"review-desk {__version__}",
        help=_("show the version and exit"),
    )
    commands = parser.add_subparsers(
        dest="command", metavar=_("COMMAND"), title=_("commands"), parser_class=_Parser
    )

    gui = commands.add_parser("gui", help=_("open the application window"))
    gui.add_argument("project", nargs="?", help=_("project file to open"))
    gui.add_argument("--demo", action="store_true", help=_("open the demo project"))
    gui.add_argument(
        "--role",
        choices=["expert", "agency", "committee"],
        help=_("start in this role"),
    )
    gui.add_argument(
        "--screenshots",
        metavar="DIR",
        help=_("render every page to a PNG file in DIR, then exit"),
    )

    directions_cmd.register(commands)
    project_cmd.register(commands)
    demo_cmd.register(commands)
    intake_cmd.register(commands)
    rubric_cmd.register(commands)
    panels_cmd.register(commands)
    draw_cmd.register(commands)
    assign_cmd.register(commands)
    sheets_cmd.register(commands)
    package_cmd.register(commands)
    rank_cmd.register(commands)
    results_cmd.register(commands)
    bundle_cmd.register(commands)
    publicity_cmd.register(commands)
    history_cmd.register(commands)
    pilot_cmd.register(commands)
    recognition_cmd.register(commands)
    audit_cmd.register(commands)
    server_cmd.register(commands)
    return parser


def _utf8_stdio() -> None:
    # Windows consoles default to a legacy code page; Chinese output must not crash.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")


def main(argv: Sequence[str] | None = None, gui: GuiRunner | None = None) -> int:
    """Run the command line; return the exit code.

    Every failure ends here as one line on standard error and exit code 2 (see
    :func:`~review_desk.cli.common.report_exception`): never a traceback.
    """
    _utf8_stdio()
    sys.unraisablehook = _log_unraisable
    try:
        return _run(argv, gui)
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print_error(_("Interrupted."))
        return 130
    except Exception as error:  # the one place every failure is reported
        return report_exception(error)


def _log_unraisable(unraisable: Any) -> None:
    """An error Python can only ignore (in a finaliser, e.g. a library's unfinished
    writer collected after a failed save) goes to the error log, not the terminal."""
    from review_desk.error_log import format_details, write_log

    error = unraisable.exc_value
    if error is None:
        return
    where = f"ignored in {unraisable.object!r}" if unraisable.object is not None else "ignored"
    write_log(format_details(type(error), error, unraisable.exc_traceback, context=where))


def _run(argv: Sequence[str] | None, gui: GuiRunner | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in (None, "gui"):
        if gui is None:
            print_error(_("The application window is not available in this installation."))
            return 2
        if args.command is None:
            args.project, args.demo, args.role, args.screenshots = None, False, None, None
        return gui(args)
    result: int = args.handler(args)
    return result
