"""The main window: navigation of the workflow pages, the role switch, the project as a
document (new, open, recent, close), and window state kept between runs."""

from __future__ import annotations

import platform
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtGui import QActionGroup, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from review_desk import __version__
from review_desk.changes import NOTHING, Changes
from review_desk.errors import ProjectOpenError
from review_desk.i18n import _, tr
from review_desk.progress import Progress
from review_desk.project import PROJECT_SUFFIX, Project, delete_project_files
from review_desk.server.connection import ServerAddress, display_location, logged_in

from ui.actions import create_actions
from ui.operations import Operation, wait_while
from ui.pages.base import Page
from ui.pages.registry import page_shortcut, page_specs
from ui.pages.welcome import WelcomePage
from ui.settings import ROLES, Settings

if TYPE_CHECKING:
    from review_desk.server.notify import ChangeListener

DEFAULT_SIZE = (1360, 860)
# The pages a server account sees, by the kind of account: a formal reviewer sees the
# dossiers and the formal review only (a role no project file offers in its drop-down).
ACCOUNT_ROLES = {
    "agency": "agency",
    "reviewer": "reviewer",
    "expert": "expert",
    "committee": "committee",
}


def role_label(role: str) -> str:
    """Return the name of a role as shown."""
    return {
        "expert": _("Expert"),
        "agency": _("Agency"),
        "reviewer": _("Formal reviewer"),
        "committee": _("Committee"),
    }[role]


def demo_project_path() -> Path:
    """Return where the demo project lives on this machine."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base) / "demo" / f"demo{PROJECT_SUFFIX}"


class MainWindow(QMainWindow):
    """The application window."""

    project_opened = Signal(object)
    operation_did_execute = Signal(object, object)
    """``(changes, source)`` after an operation changed the project; ``source`` is the
    page that ran it, or the window."""
    _changes_noticed = Signal(object, object)
    """``(token, changes)`` from a server project's change listener's thread."""

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.project: Project | None = None
        self._operation: Operation | None = None
        self._loaded: set[str] = set()
        self._listener: ChangeListener | None = None
        self._listener_token: object = None
        # Emitted on the listener's thread, run on the window's.
        self._changes_noticed.connect(self._on_changes_noticed, Qt.ConnectionType.QueuedConnection)
        self.setWindowTitle(_("Review Desk"))
        self.resize(*DEFAULT_SIZE)
        self.setMinimumSize(1024, 680)

        self.actions_by_key = create_actions(self)
        self.pages: dict[str, Page] = {}
        self._build_layout()
        self._build_menus()
        self._wire_actions()
        self.set_role(self.settings.role)
        self._show_welcome()

        if self.settings.geometry is not None:
            self.restoreGeometry(self.settings.geometry)
        if self.settings.window_state is not None:
            self.restoreState(self.settings.window_state)
        self.statusBar().showMessage(_("Ready"))

    # ----------------------------------------------------------------- layout
    def _build_layout(self) -> None:
        central = QWidget(self)
        root = QHBoxLayout(central)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)

        side = QWidget(central)
        side.setObjectName("navHeader")
        side.setFixedWidth(208)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 18, 0, 0)
        side_layout.setSpacing(2)
        name = QLabel(_("Review Desk"), side)
        name.setObjectName("appName")
        tagline = QLabel(_("Industry-education integration platform review"), side)
        tagline.setObjectName("appTagline")
        tagline.setWordWrap(True)
        for label in (name, tagline):
            label.setContentsMargins(18, 0, 12, 0)
            side_layout.addWidget(label)
        side_layout.addSpacing(16)
        self.navigation = QListWidget(side)
        self.navigation.setObjectName("navigation")
        self.navigation.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        side_layout.addWidget(self.navigation, 1)
        root.addWidget(side)

        right = QWidget(central)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        top = QWidget(right)
        top.setObjectName("topBar")
        top_layout = QHBoxLayout(top)
        top_layout.setContentsMargins(24, 10, 24, 10)
        names = QVBoxLayout()
        names.setSpacing(0)
        self.project_name = QLabel(_("No project open"), top)
        self.project_name.setObjectName("projectName")
        self.project_path = QLabel("", top)
        self.project_path.setObjectName("projectPath")
        names.addWidget(self.project_name)
        names.addWidget(self.project_path)
        top_layout.addLayout(names, 1)
        role_caption = self.role_caption = QLabel(_("Role") + "：", top)
        self.role_box = QComboBox(top)
        for role in ROLES:
            self.role_box.addItem(role_label(role), role)
        role_caption.setBuddy(self.role_box)
        top_layout.addWidget(role_caption)
        top_layout.addWidget(self.role_box)
        right_layout.addWidget(top)

        self.stack = QStackedWidget(right)
        self.welcome = WelcomePage(self.stack)
        self.stack.addWidget(self.welcome)
        right_layout.addWidget(self.stack, 1)
        root.addWidget(right, 1)
        self.setCentralWidget(central)

        self.navigation.currentItemChanged.connect(self._on_navigate)
        self.role_box.currentIndexChanged.connect(
            lambda index: self.set_role(self.role_box.itemData(index))
        )
        self.welcome.open_demo.connect(self.open_demo)
        self.welcome.open_file.connect(self.choose_and_open)
        self.welcome.new_project.connect(self.create_project)
        self.welcome.connect_server.connect(self.connect_server)
        self.welcome.open_recent.connect(self.open_project)

    def _build_menus(self) -> None:
        a = self.actions_by_key
        file_menu = self.menuBar().addMenu(_("&File"))
        file_menu.addAction(a["new_project"])
        file_menu.addAction(a["open_project"])
        file_menu.addAction(a["connect_server"])
        file_menu.addAction(a["open_demo"])
        self.recent_menu = file_menu.addMenu(_("Open &recent"))
        file_menu.addSeparator()
        exchange = file_menu.addMenu(_("&Exchange with experts"))
        for key in (
            "open_work_package",
            "make_return",
            None,
            "make_work_packages",
            "import_returns",
            "enrol_key",
            None,
            "export_score_workbook",
            "import_score_workbooks",
        ):
            if key is None:
                exchange.addSeparator()
            else:
                exchange.addAction(a[key])
        file_menu.addSeparator()
        file_menu.addAction(a["close_project"])
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])

        view_menu = self.menuBar().addMenu(_("&View"))
        role_menu = view_menu.addMenu(_("&Role"))
        self.role_actions = QActionGroup(self)
        for role in ROLES:
            action = role_menu.addAction(role_label(role))
            action.setCheckable(True)
            action.setData(role)
            self.role_actions.addAction(action)
        self.role_actions.triggered.connect(lambda action: self.set_role(action.data()))
        view_menu.addAction(a["refresh"])

        help_menu = self.menuBar().addMenu(_("&Help"))
        help_menu.addAction(a["about"])
        self._update_recent_menu()

    def _wire_actions(self) -> None:
        # Ctrl+1 … Ctrl+0, Alt+1 …: each page has its own key, the same whatever the role.
        for spec in page_specs():
            shortcut = QShortcut(QKeySequence(page_shortcut(spec.key)), self)
            shortcut.activated.connect(lambda k=spec.key: self._go_to_page(k))
        a = self.actions_by_key
        a["new_project"].triggered.connect(self.create_project)
        a["open_project"].triggered.connect(self.choose_and_open)
        a["connect_server"].triggered.connect(self.connect_server)
        a["open_demo"].triggered.connect(self.open_demo)
        a["close_project"].triggered.connect(self.close_project)
        a["quit"].triggered.connect(self.close)
        a["refresh"].triggered.connect(self.refresh)
        a["about"].triggered.connect(self.show_about)
        # The exchange module (and what it imports) loads on first use, not at start-up.
        for key, module in (
            ("open_work_package", "ui.exchange_actions"),
            ("make_return", "ui.exchange_actions"),
            ("make_work_packages", "ui.exchange_actions"),
            ("import_returns", "ui.exchange_actions"),
            ("enrol_key", "ui.exchange_actions"),
            ("export_score_workbook", "ui.score_workbook_actions"),
            ("import_score_workbooks", "ui.score_workbook_actions"),
        ):
            a[key].triggered.connect(
                lambda _checked=False, k=key, mod=module: getattr(import_module(mod), k)(self)
            )

    # ------------------------------------------------------------------ roles
    @property
    def role(self) -> str:
        """The role whose pages are shown: the drop-down's, or a server account's."""
        return getattr(self, "_role", None) or str(self.role_box.currentData())

    def set_role(self, role: str, *, remember: bool = True) -> None:
        """Show the pages of ``role`` (``remember``: as this computer's choice; a server
        account's role is not)."""
        if role not in ROLES and role not in ACCOUNT_ROLES.values():
            return
        self._role = role
        if remember and role in ROLES:
            self.settings.role = role
        if role in ROLES:
            self.role_box.blockSignals(True)
            self.role_box.setCurrentIndex(ROLES.index(role))
            self.role_box.blockSignals(False)
        for action in self.role_actions.actions():
            action.setChecked(action.data() == role)
        for page in self.pages.values():
            page.set_role(role)
        for key in ("open_work_package", "make_return"):
            self.actions_by_key[key].setVisible(role == "expert")
        for key in (
            "make_work_packages",
            "import_returns",
            "enrol_key",
            "export_score_workbook",
            "import_score_workbooks",
        ):
            self.actions_by_key[key].setVisible(role == "agency")
        self._fill_navigation()

    def _fill_navigation(self, *, show: bool = True) -> None:
        """List the pages of the role and of the open project's kind (a recognition round
        has no quota ranking, publicity or pilot year); ``show``: keep showing the
        current page, or the first when the list no longer has it."""
        role = self.role
        kind = getattr(self, "_kind", "selection")
        current = self.current_page_key()
        self.navigation.blockSignals(True)
        self.navigation.clear()
        for spec in page_specs():
            if role in spec.roles and kind in spec.kinds:
                item = QListWidgetItem(spec.title)
                item.setData(Qt.ItemDataRole.UserRole, spec.key)
                item.setToolTip(
                    tr(
                        "{page} ({shortcut})",
                        page=spec.title,
                        shortcut=QKeySequence(page_shortcut(spec.key)).toString(
                            QKeySequence.SequenceFormat.NativeText
                        ),
                    )
                )
                self.navigation.addItem(item)
        self.navigation.blockSignals(False)
        if show and self.project is not None:
            visible = self.visible_page_keys()
            self.show_page(current if current in visible else visible[0])

    def visible_page_keys(self) -> list[str]:
        """Return the keys of the pages in the navigation, in order."""
        return [
            self.navigation.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.navigation.count())
        ]

    # ------------------------------------------------------------------ pages
    def current_page_key(self) -> str | None:
        widget = self.stack.currentWidget()
        return widget.key if isinstance(widget, Page) else None

    def page(self, key: str) -> Page:
        """Return the page with ``key``, building it on first use."""
        if key not in self.pages:
            spec = next(s for s in page_specs() if s.key == key)
            self.pages[key] = spec.create(self.stack)
            self.pages[key].set_role(self.role)
            page = self.pages[key]
            page.changed.connect(lambda changes, p=page: self.deliver_changes(changes, p))
            self.stack.addWidget(self.pages[key])
        return self.pages[key]

    def show_page(self, key: str) -> None:
        """Make a page current, loading its data on first view."""
        page = self.page(key)
        if self.project is not None and key not in self._loaded:
            page.set_project(self.project)
            self._loaded.add(key)
        self.stack.setCurrentWidget(page)
        self.settings.last_page = key
        for i in range(self.navigation.count()):
            item = self.navigation.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == key:
                self.navigation.blockSignals(True)
                self.navigation.setCurrentItem(item)
                self.navigation.blockSignals(False)

    def _on_navigate(self, item: QListWidgetItem | None, _previous: object) -> None:
        if item is not None and self.project is not None:
            self.show_page(item.data(Qt.ItemDataRole.UserRole))

    def _go_to_page(self, key: str) -> None:
        if self.project is not None and key in self.visible_page_keys():
            self.show_page(key)
            self.navigation.setFocus()

    def _show_welcome(self) -> None:
        self.welcome.set_recent(self.settings.recent_projects)
        self.stack.setCurrentWidget(self.welcome)
        self.navigation.blockSignals(True)
        self.navigation.setCurrentRow(-1)
        self.navigation.blockSignals(False)
        self.navigation.setEnabled(False)

    def deliver_changes(self, changes: Changes, source: object = None) -> None:
        """Hand what an operation changed to every page showing the project; each page
        decides whether to read it again (no page calls another, nobody polls)."""
        if not changes:
            return
        for key in sorted(self._loaded):
            self.pages[key].on_changes(changes, source)
        self.operation_did_execute.emit(changes, source)

    def run_operation(
        self,
        title: str,
        work: Callable[[Progress], Any],
        on_done: Callable[[Any], object],
        on_error: Callable[[BaseException], object],
        *,
        changes: Changes = NOTHING,
    ) -> Operation | None:
        """Run the window's own background work (the demo, the exchange menus): one at a
        time, cancelled and waited for on close; what it changed goes to every page.
        Return None, starting nothing, while another such operation runs."""
        if self._operation is not None:
            self.statusBar().showMessage(_("Wait for the running operation to end."), 6000)
            return None
        operation = Operation(self, title, work, changes)
        self._operation = operation

        def ended() -> None:
            self._operation = None

        # Connected first: the window is idle again before the callbacks run.
        operation.done.connect(ended)
        operation.error.connect(ended)
        operation.cancelled.connect(ended)
        operation.done.connect(on_done)
        operation.error.connect(on_error)
        operation.changed.connect(lambda c: self.deliver_changes(c, self))
        return operation.start()

    def busy(self) -> bool:
        """Whether the window's own operation is running."""
        return self._operation is not None

    def wait(self) -> None:
        """Return once the window's own operation, if any, has ended."""
        wait_while(self.busy)

    def refresh(self) -> None:
        """Read the project again into every page already shown."""
        self._loaded.clear()
        key = self.current_page_key()
        if key:
            self.show_page(key)

    # ---------------------------------------------------------------- project
    def open_project(self, location: str) -> bool:
        """Open a project file; report a failure in a message box."""
        try:
            project = Project(location)
        except ProjectOpenError as error:
            QMessageBox.critical(self, _("Cannot open the project"), str(error))
            if not Path(location).exists():
                self.settings.remove_recent(location)
                self._update_recent_menu()
            return False
        self.set_project(project, str(location))
        if project.db.backup is not None:
            QMessageBox.information(
                self,
                _("Project upgraded"),
                tr(
                    "The project was upgraded to this version's format. A copy of the earlier "
                    "file was kept at {path}.",
                    path=project.db.backup,
                ),
            )
        return True

    def connect_server(self) -> None:
        """File › 连接服务器…: ask for the address and password, then open the project."""
        from ui.dialogs.connect_dialog import ConnectDialog

        dialog = ConnectDialog(self.settings.servers, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.open_server(dialog.address(), dialog.secret())

    def open_server(self, address: ServerAddress, password: str) -> bool:
        """Open the project at ``address`` logged in with ``password``; the address (not
        the password) is remembered. Report a failure in a message box."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            project = Project(address.url(password))
        except ProjectOpenError as error:
            QApplication.restoreOverrideCursor()
            QMessageBox.critical(self, _("Cannot connect to the server"), str(error))
            return False
        QApplication.restoreOverrideCursor()
        self.settings.add_server(address)
        self.set_project(project, address.display(), remember=False)
        return True

    def _show_account(self, project: Project, location: str) -> None:
        """On a server, the logged-in person and their role (no role drop-down: what a
        person sees follows from the account); in a project file, the drop-down."""
        location = display_location(location)
        who = logged_in(project)
        on_server = who is not None
        self.role_box.setVisible(not on_server)
        self.role_caption.setVisible(not on_server)
        for action in self.role_actions.actions():
            action.setEnabled(not on_server)
        if who is None:
            self.project_path.setText(location)
            if self.role != self.settings.role:  # back from a server account's role
                self.set_role(self.settings.role)
            return
        self.project_path.setText(
            tr("Logged in as {who} · {server}", who=who.describe(), server=location)
        )
        if who.capacity is not None:
            self.set_role(ACCOUNT_ROLES.get(who.capacity.kind, "agency"), remember=False)

    def set_project(self, project: Project, location: str, *, remember: bool = True) -> None:
        """Show an open project (``remember``: put it on the recent list, as a file)."""
        self.settle_pages()
        self._stop_listening()
        if self.project is not None:
            self.project.close()
        self.project = project
        self._loaded.clear()
        self._start_listening(project)
        info = project.info()
        self._kind = info.kind
        self.project_name.setText(info.name)
        self._show_account(project, location)
        self.setWindowTitle(f"{info.name} — {_('Review Desk')}")
        # Only files go on the recent list: a server address may carry a password.
        if remember and "://" not in str(location):
            self.settings.add_recent(str(location))
            self._update_recent_menu()
        self.navigation.setEnabled(True)
        self._fill_navigation(show=False)
        visible = self.visible_page_keys()
        last = self.settings.last_page
        self.show_page(last if last in visible else visible[0])
        self.statusBar().showMessage(tr("Opened {path}", path=display_location(location)), 5000)
        self.project_opened.emit(project)

    def settle_pages(self) -> None:
        """Let the window's and the pages' background work end (before the project it
        reads closes, or the window goes): cancelled first, then waited for."""
        if self._operation is not None:
            self._operation.cancel()
            self.wait()
        for page in self.pages.values():
            # Work whose result nobody will see is cancelled first, then waited for.
            page.cancel_work()
            page.wait()

    def close_project(self) -> None:
        """Close the open project and show the start page."""
        self.settle_pages()
        self._stop_listening()
        if self.project is not None:
            self.project.close()
        self.project = None
        self._loaded.clear()
        self.project_name.setText(_("No project open"))
        self.project_path.setText("")
        self.setWindowTitle(_("Review Desk"))
        self._show_welcome()

    def _start_listening(self, project: Project) -> None:
        """On a server, other people's changes reach the pages as they are made (this
        seat's own operations report theirs already; a project file has no other seats)."""
        from review_desk.server.notify import listen_to

        token = object()  # which listener a queued notice came from
        self._listener_token = token
        self._listener = listen_to(
            project, lambda changes: self._changes_noticed.emit(token, changes)
        )

    def _stop_listening(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
            self._listener_token = None

    def _on_changes_noticed(self, token: object, changes: Changes) -> None:
        # A notice queued before its project closed is dropped.
        if token is self._listener_token and self._listener is not None:
            self.deliver_changes(changes, None)

    def choose_and_open(self) -> None:
        """Ask for a project file and open it."""
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Open project"), "", _("Review Desk projects (*.rdp);;All files (*)")
        )
        if path:
            self.open_project(path)

    def create_project(self) -> None:
        """Ask for a name and a file, and create an empty project."""
        name, ok = QInputDialog.getText(self, _("New project"), _("Project name:"))
        if not ok or not name.strip():
            return
        path, _filter = QFileDialog.getSaveFileName(
            self,
            _("Save the new project as"),
            f"{name.strip()}{PROJECT_SUFFIX}",
            _("Review Desk projects (*.rdp)"),
        )
        if not path:
            return
        # Creating the database and its tables takes about half a second: not on the
        # UI thread.
        self.run_operation(
            _("New project"),
            lambda _progress: Project.create(path, name=name.strip()),
            lambda project: self.set_project(project, path),
            lambda error: QMessageBox.critical(self, _("Cannot create the project"), str(error)),
        )

    def open_demo(self) -> None:
        """Open the demo project, building it in the background the first time."""
        from review_desk.demo.identity import is_current_demo

        path = demo_project_path()
        if path.exists():
            try:
                if is_current_demo(path):
                    self.set_project(Project(path), str(path))
                    return
            except ProjectOpenError:
                pass
            delete_project_files(path)  # a demo from another version: build afresh
        path.parent.mkdir(parents=True, exist_ok=True)
        self.build_demo(path)

    def build_demo(self, path: Path) -> Operation | None:
        """Build the demo project at ``path`` in the background, then open it."""
        from review_desk.demo import build_demo

        def work(progress: Progress) -> Project:
            return build_demo(path, progress)

        def on_error(error: BaseException) -> None:
            delete_project_files(path)
            QMessageBox.critical(self, _("Cannot build the demo project"), str(error))

        operation = self.run_operation(
            _("Building the demo project…"),
            work,
            lambda project: self.set_project(project, str(path)),
            on_error,
        )
        if operation is not None:
            operation.cancelled.connect(lambda: delete_project_files(path))
        return operation

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_projects
        for number, path in enumerate(recent, start=1):
            action = self.recent_menu.addAction(f"&{number} {path}")
            action.triggered.connect(lambda _checked=False, p=path: self.open_project(p))
        self.recent_menu.setEnabled(bool(recent))

    # ------------------------------------------------------------------- misc
    def show_about(self) -> None:
        """Show the version and what the application is for."""
        import html

        from PySide6 import __version__ as pyside_version

        from review_desk.error_log import log_path

        QMessageBox.about(
            self,
            _("About Review Desk"),
            "<h3>"
            + _("Review Desk")
            + f" {__version__}</h3><p>"
            + _(
                "Expert review and selection of Shanxi's industry-education integration "
                "platforms and training bases, chosen by open call."
            )
            + "</p><p>"
            + tr(
                "Python {python}, Qt for Python {pyside}",
                python=platform.python_version(),
                pyside=pyside_version,
            )
            + "</p><p>"
            + html.escape(tr("Error log: {path}", path=log_path()))
            + "</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._operation is not None:
            self._operation.cancel()
            self._operation.wait()
        self.settle_pages()
        self._stop_listening()
        self.settings.geometry = self.saveGeometry()
        self.settings.window_state = self.saveState()
        if self.project is not None:
            self.project.close()
        super().closeEvent(event)
