"""File › 连接服务器…: a person opens a project on a server with their account; the
window shows who is logged in, follows the account's role, and remembers the server
but never the password."""

from __future__ import annotations

from pathlib import Path

import pytest

from review_desk.server.accounts import Capacity, add_user
from review_desk.server.connection import ServerAddress
from tests.pg_cluster import Cluster
from tests.server.conftest import demo_on_server

PASSWORD = "窗口-专家密码-2026"


@pytest.fixture(scope="module")
def server_demo(pg_cluster: Cluster, demo_source: Path) -> ServerAddress:
    made = demo_on_server(pg_cluster, "gui", demo_source)
    add_user(made.url, "gui.expert", Capacity("expert", expert_id=1), PASSWORD, display_name="李明")
    return ServerAddress(
        host=str(pg_cluster.socket_dir),
        port=pg_cluster.port,
        database=made.database,
        user="gui.expert",
    )


def test_an_expert_connects_and_the_window_follows_the_account(
    window, server_demo: ServerAddress, settings, demo_source: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import copy_project

    demo_file = copy_project(demo_source, tmp_path / "demo.rdp")
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: shown.append(args[2]))
    assert not window.open_server(server_demo, "wrong password")
    assert shown and "gui.expert" in shown[-1] and "wrong password" not in shown[-1]

    before = settings.role
    assert window.open_server(server_demo, PASSWORD)
    assert window.role == "expert" and window.role_box.isHidden()
    assert settings.role == before  # the account's role is not this computer's choice
    window.show_page("scoring")
    desk = window.pages["scoring"]
    assert desk.expert_box.count() == 1 and not desk.expert_box.isEnabled()
    assert desk.expert_id() == 1
    header = window.project_path.text()
    assert "已登录" in header and "李明 · 专家 #1" in header and PASSWORD not in header
    assert settings.servers == [server_demo]
    assert settings.recent_projects == []  # a server is not a recent file
    settings._s.sync()
    stored = Path(settings._s.fileName()).read_text(encoding="utf-8")
    assert "gui.expert" in stored and PASSWORD not in stored

    # Opened by its URL (``review-desk gui URL``): the password is shown nowhere, kept
    # nowhere.
    assert window.open_project(server_demo.url(PASSWORD))
    assert PASSWORD not in window.project_path.text() and "已登录" in window.project_path.text()
    assert PASSWORD not in window.statusBar().currentMessage()
    assert settings.recent_projects == []

    # A project file afterwards: the role drop-down is back.
    assert window.open_project(str(demo_file))
    assert not window.role_box.isHidden() and "已登录" not in window.project_path.text()
    assert window.role == before


def test_the_dialog_fills_in_a_remembered_server_and_wants_the_password(
    qtbot, server_demo: ServerAddress
) -> None:  # type: ignore[no-untyped-def]
    from ui.dialogs.connect_dialog import ConnectDialog

    dialog = ConnectDialog([server_demo])
    qtbot.addWidget(dialog)
    assert dialog.user.text() == "gui.expert" and dialog.database.text() == "rd_gui"
    assert not dialog.ok.isEnabled()
    dialog.password.setText(PASSWORD)
    assert dialog.ok.isEnabled()
    assert dialog.address() == server_demo and dialog.secret() == PASSWORD


def test_a_formal_reviewer_sees_the_formal_review_and_decides_for_their_department(
    window, server_demo: ServerAddress, pg_cluster: Cluster, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """A department's formal reviewer (a server account): the dossiers and the formal
    review only; their department's dossiers first; the decisions enabled on those
    alone, and the agency's own actions (run the checks, take in a supplement) gone."""
    from dataclasses import replace

    from review_desk import formal_review as fr

    url = pg_cluster.url(server_demo.database)
    add_user(url, "gui.reviewer", Capacity("reviewer", department=fr.EDUCATION), PASSWORD)
    assert window.open_server(replace(server_demo, user="gui.reviewer"), PASSWORD)
    assert window.role == "reviewer" and window.role_box.isHidden()
    shown = [window.navigation.item(i).text() for i in range(window.navigation.count())]
    assert shown == ["项目概览", "申报材料", "形式审查"]
    assert "形式审查人员（省教育厅）" in window.project_path.text()

    window.show_page("formal_review")
    page = window.pages["formal_review"]
    qtbot.waitUntil(lambda: page.table.model.rowCount() > 0, timeout=10_000)
    assert page.department_note.isVisible() and "省教育厅" in page.department_note.text()
    assert page.run_button.isHidden() and page.supplement_button.isHidden()
    assert page.filters.boxes["department"].currentText() == "省教育厅"
    own = page.current()
    assert own is not None and own.department_code == fr.EDUCATION
    assert page.override_button.isEnabled()

    page.filters.clear()
    assert page.table.select_where(lambda r: r.department_code != fr.EDUCATION)
    assert not page.override_button.isEnabled()
    assert not page.supplement_request_button.isEnabled()
