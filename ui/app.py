"""Start the Qt application: translations, style, the main window, and the screenshot
mode that renders every page to PNG."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QLibraryInfo, QLocale, QTimer, QTranslator
from PySide6.QtWidgets import QApplication, QWidget

from review_desk.i18n import current_locale, tr

from ui.main_window import MainWindow, demo_project_path
from ui.style import apply_style

ORGANISATION = "ReviewDesk"
APPLICATION = "Review Desk"
SCREENSHOT_SIZE = (1440, 900)


def screenshot_settle_ms() -> int:
    """How long each screenshot lets background rendering (PDF pages) finish: 400 ms, or
    ``$REVIEW_DESK_SCREENSHOT_SETTLE_MS`` (the test suite, which checks that every page
    renders, not how the PDF pages look, uses less)."""
    value = os.environ.get("REVIEW_DESK_SCREENSHOT_SETTLE_MS", "").strip()
    return int(value) if value.isdigit() else 400


def create_application(argv: list[str] | None = None) -> QApplication:
    """Return the QApplication, set up once: names, Qt's own translations, style."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    from review_desk import __version__

    app.setApplicationVersion(__version__)
    locale = current_locale()
    QLocale.setDefault(QLocale(locale))
    # Qt's own dialogs (file dialogs, message box buttons) in the same language.
    translator = QTranslator(app)
    if translator.load(
        f"qtbase_{locale}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    ):
        app.installTranslator(translator)
    apply_style(app)
    return app


def open_demo_now(window: MainWindow) -> None:
    """Open the demo project, building it on this thread if it is missing (for scripts)."""
    from review_desk.demo import build_demo
    from review_desk.demo.identity import is_current_demo
    from review_desk.errors import ProjectOpenError
    from review_desk.project import Project, delete_project_files

    path = demo_project_path()
    try:
        if not is_current_demo(path):
            raise ProjectOpenError("an earlier demo")
        project = Project(path)
    except ProjectOpenError:
        if path.exists():
            delete_project_files(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        project = build_demo(path)
    window.set_project(project, str(path))


def save_screenshots(window: MainWindow, directory: Path) -> list[Path]:
    """Render the start page and every page of every role to PNG files in ``directory``."""
    app = QApplication.instance()
    assert app is not None
    directory.mkdir(parents=True, exist_ok=True)
    window.resize(*SCREENSHOT_SIZE)
    written: list[Path] = []
    settle_ms = screenshot_settle_ms()

    def grab(name: str, widget: QWidget | None = None) -> None:
        # Let asynchronous work (PDF pages render in the background) finish first.
        loop = QEventLoop()
        QTimer.singleShot(settle_ms, loop.quit)
        loop.exec()
        path = directory / f"{len(written):02d}_{name}.png"
        if not (widget or window).grab().save(str(path)):
            raise OSError(f"could not write {path}")
        written.append(path)

    from review_desk.project import Project

    assert window.project is not None
    location = str(window.project.location)  # a server's URL too (the header hides it)
    window.close_project()
    grab("welcome")
    window.set_project(Project(location), location)
    seen: set[str] = set()
    for role in ("agency", "expert", "committee"):
        window.set_role(role)
        for key in window.visible_page_keys():
            if key in seen:
                continue
            seen.add(key)
            window.show_page(key)
            # Pages that compute in the background (the ranking) say when they are done.
            waiter = getattr(window.pages[key], "wait", None)
            if callable(waiter):
                waiter()
            grab(f"{role}_{key}")
            # Pages with tabs: every further visible tab too.
            tabs = getattr(window.pages[key], "tabs", None)
            if tabs is not None:
                for index in range(1, tabs.count()):
                    if tabs.isTabVisible(index):
                        tabs.setCurrentIndex(index)
                        grab(f"{role}_{key}_{index}")
                tabs.setCurrentIndex(0)
            # Pages with further views of their own (charts, the presentation window).
            views = getattr(window.pages[key], "screenshot_views", None)
            if callable(views):
                for suffix, widget in views():
                    grab(f"{role}_{key}_{suffix}", widget)
    window.set_role("agency")
    return written


def run(args: argparse.Namespace) -> int:
    """Run the application window as the ``gui`` subcommand asks."""
    app = create_application()
    from ui import errors

    errors.install()  # an unexpected error is shown and logged, never lost
    window = MainWindow()
    if args.role:
        window.set_role(args.role)
    if args.screenshots:
        window.show()
        if args.project:
            # No one is there to close a message box: a project that cannot be opened
            # is one line on standard error and exit code 2, like every command.
            from review_desk.cli.common import print_error
            from review_desk.errors import ProjectOpenError
            from review_desk.project import Project

            try:
                project = Project(args.project)
            except ProjectOpenError as error:
                print_error(str(error))
                return 2
            window.set_project(project, args.project, remember=False)
        else:
            open_demo_now(window)
        paths = save_screenshots(window, Path(args.screenshots))
        print(tr("Wrote {count} screenshots to {dir}", count=len(paths), dir=args.screenshots))
        window.close()
        return 0
    window.show()
    if args.project:
        window.open_project(args.project)
    elif args.demo:
        window.open_demo()
    return app.exec()
