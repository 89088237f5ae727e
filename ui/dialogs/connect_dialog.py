"""File › 连接服务器…: the address of a project on a server, the user name and the
password. Remembered servers can be picked again; the password never is remembered."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from review_desk.i18n import _
from review_desk.server.connection import DEFAULT_PORT, SSL_MODES, ServerAddress


def ssl_label(mode: str) -> str:
    """A TLS choice as shown."""
    return {
        "prefer": _("Encrypt when the server can"),
        "require": _("Always encrypt"),
        "verify-full": _("Encrypt and verify the server's certificate"),
    }[mode]


class ConnectDialog(QDialog):
    """Asks where the project is, who logs in and the password."""

    def __init__(self, remembered: list[ServerAddress], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Connect to a server"))
        self.setMinimumWidth(480)
        self.remembered = remembered
        layout = QVBoxLayout(self)
        intro = QLabel(
            _(
                "Open a project on the agency's PostgreSQL server with your own account. "
                "The password is not saved on this computer."
            ),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.known = QComboBox(self)
        self.known.addItem(_("(a new server)"), None)
        for address in remembered:
            self.known.addItem(address.display(), address)
        self.host = QLineEdit(self)
        self.host.setPlaceholderText(_("e.g. 192.168.1.20 or review-server"))
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.database = QLineEdit(self)
        self.database.setPlaceholderText(_("e.g. rd_sx2026"))
        self.user = QLineEdit(self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sslmode = QComboBox(self)
        for mode in SSL_MODES:
            self.sslmode.addItem(ssl_label(mode), mode)
        if remembered:
            form.addRow(_("Remembered") + "：", self.known)
        else:
            self.known.hide()  # nothing to pick from: not laid out, so not shown
        form.addRow(_("Server") + "：", self.host)
        form.addRow(_("Port") + "：", self.port)
        form.addRow(_("Project database") + "：", self.database)
        form.addRow(_("User name") + "：", self.user)
        form.addRow(_("Password") + "：", self.password)
        form.addRow(_("Encryption") + "：", self.sslmode)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(_("Connect"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        self.known.currentIndexChanged.connect(self._pick)
        for edit in (self.host, self.database, self.user, self.password):
            edit.textChanged.connect(self._update)
        if remembered:
            self.known.setCurrentIndex(1)
            self._pick(1)
        self._update()

    def _pick(self, index: int) -> None:
        address = self.known.itemData(index)
        if not isinstance(address, ServerAddress):
            return
        self.host.setText(address.host)
        self.port.setValue(address.port)
        self.database.setText(address.database)
        self.user.setText(address.user)
        self.sslmode.setCurrentIndex(max(0, self.sslmode.findData(address.sslmode)))
        self.password.clear()
        self.password.setFocus()

    def _update(self) -> None:
        self.ok.setEnabled(
            all(e.text().strip() for e in (self.host, self.database, self.user))
            and bool(self.password.text())
        )

    def address(self) -> ServerAddress:
        """The address entered (no password)."""
        return ServerAddress(
            host=self.host.text().strip(),
            database=self.database.text().strip(),
            user=self.user.text().strip(),
            port=self.port.value(),
            sslmode=str(self.sslmode.currentData()),
        )

    def secret(self) -> str:
        """The password typed (kept only for the connection)."""
        return self.password.text()
