"""The Connections page: server URLs, secrets, a "Test connection" per server and the Plex library choice.

The tests use what is typed right now (not the saved config), so a user can try a URL before saving it; the checks
run off the GUI thread through ConnectionTester and the button stays disabled until the answer arrives.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.connection_check import CheckResult, check_plex, check_stash
from plexsync_gui.core.setup.path_detect import Server
from plexsync_gui.core.setup.secrets import Secrets, environment_overrides
from plexsync_gui.ui.settings.connection_tester import ConnectionTester
from plexsync_gui.ui.widgets import WrappingLabel, hint_label, set_result

TITLE_ROLE = Qt.ItemDataRole.UserRole + 1
LIBRARIES_HINT = "No library ticked: every movie and show library is synced."
UNTESTED_HINT = "Test the Plex connection to list the server's libraries."
PLAINTEXT_CHOICE = "Store the token and key in the config file (plaintext, readable only by you)"
NO_KEYRING = ("No keyring (password store) is available, so the Plex token and the Stash API key "
              "cannot be stored securely.")


def secret_field(text: str | None, placeholder: str) -> tuple[QLineEdit, QWidget]:
    """A password-style line edit with a "Show" toggle beside it."""
    edit = QLineEdit(text or "")
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setPlaceholderText(placeholder)
    show = QToolButton()
    show.setText("Show")
    show.setCheckable(True)
    show.toggled.connect(partial(_reveal, edit))  # GUI-thread widget signal: a partial is fine here
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(show)
    return edit, row


class TlsRow(QWidget):
    """Certificate checking for one server: on by default, an optional CA bundle for a private CA, and turning it off
    is a deliberate untick (the main window then says so for as long as it stays off)."""

    def __init__(self, verify: bool, ca_bundle: str | None) -> None:
        super().__init__()
        self.verify = QCheckBox("Verify certificate")
        self.verify.setChecked(verify)
        self.verify.setToolTip("Unticked, anyone on the network path to an https:// server could read the secret.")
        self.ca_bundle = QLineEdit(ca_bundle or "")
        self.ca_bundle.setPlaceholderText("CA bundle file, for a private CA (optional)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.verify)
        layout.addWidget(self.ca_bundle, 1)

    def apply(self, section: dict[str, Any]) -> None:
        section["verify_tls"] = self.verify.isChecked()
        bundle = self.ca_bundle.text().strip()
        if bundle:
            section["ca_bundle"] = bundle
        else:
            section.pop("ca_bundle", None)

    def requests_verify(self) -> bool | str:
        """What `requests` takes for what is typed now: the bundle path, or whether to check at all."""
        return self.ca_bundle.text().strip() or self.verify.isChecked()


def _form_label(text: str) -> QLabel:
    """A form label as wide as the widest one on the page, so both servers' fields line up."""
    label = QLabel(text)
    label.setMinimumWidth(label.fontMetrics().horizontalAdvance("Libraries:") + 4)
    return label


def _reveal(edit: QLineEdit, shown: bool) -> None:
    edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)


class ConnectionsPage(QWidget):
    def __init__(self, config: Config, secrets: Secrets, keyring_ok: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._config = config
        self.stash_url = QLineEdit(config.stash.url)
        self.stash_key, stash_key_row = secret_field(secrets.stash_api_key, "Stash: Settings > Security > API Key")
        self.stash_tls = TlsRow(config.stash.verify_tls, config.stash.ca_bundle)
        self.stash_test = QPushButton("Test connection")
        self.stash_result = WrappingLabel()
        self.plex_url = QLineEdit(config.plex.url)
        self.plex_token, plex_token_row = secret_field(secrets.plex_token, "X-Plex-Token")
        self.plex_tls = TlsRow(config.plex.verify_tls, config.plex.ca_bundle)
        self.plex_test = QPushButton("Test connection")
        self.plex_result = WrappingLabel()
        self.libraries = QListWidget()
        self.libraries.setMinimumHeight(self.libraries.fontMetrics().height() * 6)
        self.libraries_hint = hint_label(f"{LIBRARIES_HINT} {UNTESTED_HINT}")
        self.plaintext = QCheckBox(PLAINTEXT_CHOICE)
        self.plaintext.setChecked(bool(config.plex.token or config.stash.api_key))  # agreed to it before
        self._keyring_box = self._keyring_warning()
        self._keyring_box.setVisible(not keyring_ok)
        self._stash_tester = ConnectionTester(self)
        self._plex_tester = ConnectionTester(self)
        self._fill_libraries([], {})

        layout = QVBoxLayout(self)
        layout.addWidget(self._server_box("Stash", self.stash_url, stash_key_row, "API key", self.stash_tls,
                                          self.stash_test, self.stash_result))
        plex_box = self._server_box("Plex", self.plex_url, plex_token_row, "Token", self.plex_tls, self.plex_test,
                                    self.plex_result)
        grid = plex_box.layout()
        assert isinstance(grid, QGridLayout)
        grid.addWidget(_form_label("Libraries:"), 4, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.libraries, 4, 1, 1, 2)
        grid.addWidget(self.libraries_hint, 5, 1, 1, 2)
        grid.setRowStretch(4, 1)
        layout.addWidget(plex_box, 1)
        layout.addWidget(self._keyring_box)
        overrides = environment_overrides()
        self.environment_hint = hint_label(
            f"{' and '.join(overrides)} {'is' if len(overrides) == 1 else 'are'} set in PlexSync's environment: "
            f"{'it wins' if len(overrides) == 1 else 'they win'} over what is saved here.", warning=True)
        self.environment_hint.setVisible(bool(overrides))
        layout.addWidget(self.environment_hint)

        self.stash_test.clicked.connect(self._test_stash)
        self.plex_test.clicked.connect(self._test_plex)
        self._stash_tester.finished.connect(self._stash_tested)
        self._plex_tester.finished.connect(self._plex_tested)

    def _server_box(self, name: str, url: QLineEdit, secret_row: QWidget, secret_label: str, tls: TlsRow,
                    test: QPushButton, result: QLabel) -> QGroupBox:
        """Label | field rows, with the test button and its (wrapping) result under the fields.

        A grid rather than a QFormLayout: a form mis-sizes a nested row whose label wraps, leaving gaps.
        """
        box = QGroupBox(name)
        grid = QGridLayout(box)
        url.setPlaceholderText("http://127.0.0.1:9999" if name == "Stash" else "http://127.0.0.1:32400")
        grid.addWidget(_form_label("URL:"), 0, 0)
        grid.addWidget(url, 0, 1, 1, 2)
        grid.addWidget(_form_label(f"{secret_label}:"), 1, 0)
        grid.addWidget(secret_row, 1, 1, 1, 2)
        grid.addWidget(_form_label("TLS:"), 2, 0)
        grid.addWidget(tls, 2, 1, 1, 2)
        result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(test, 3, 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(result, 3, 2)
        grid.setColumnStretch(2, 1)
        return box

    def _keyring_warning(self) -> QWidget:
        box = QGroupBox("Secrets")
        layout = QVBoxLayout(box)
        layout.addWidget(hint_label(NO_KEYRING, warning=True))
        layout.addWidget(self.plaintext)
        return box

    # ---- values ------------------------------------------------------------------------------------------------

    def secrets(self) -> Secrets:
        return Secrets(plex_token=self.plex_token.text().strip() or None,
                       stash_api_key=self.stash_key.text().strip() or None)

    def chosen_libraries(self) -> list[str]:
        items = (self.libraries.item(i) for i in range(self.libraries.count()))
        return [item.data(TITLE_ROLE) for item in items if item.checkState() == Qt.CheckState.Checked]

    def apply(self, data: dict[str, Any]) -> None:
        """Write this page's values into the TOML-shaped dict the dialog validates."""
        data["stash"]["url"] = self.stash_url.text().strip()
        data["plex"]["url"] = self.plex_url.text().strip()
        data["plex"]["libraries"] = self.chosen_libraries()
        self.stash_tls.apply(data["stash"])
        self.plex_tls.apply(data["plex"])

    def detect_target(self) -> tuple[Server, Server, list[str]]:
        """The servers as typed now and the libraries ticked, for the Matching page's path detection."""
        secrets = self.secrets()
        stash = Server(self.stash_url.text().strip(), secrets.stash_api_key, self._config.stash.timeout,
                       self.stash_tls.requests_verify())
        plex = Server(self.plex_url.text().strip(), secrets.plex_token, self._config.plex.timeout,
                      self.plex_tls.requests_verify())
        return stash, plex, self.chosen_libraries()

    def offer_plaintext(self) -> None:
        """The keyring failed while saving: show the explicit plaintext choice."""
        self._keyring_box.setVisible(True)

    def plaintext_allowed(self) -> bool:
        return self._keyring_box.isVisibleTo(self) and self.plaintext.isChecked()

    # ---- connection tests --------------------------------------------------------------------------------------

    @Slot()
    def _test_stash(self) -> None:
        self._begin(self.stash_test, self.stash_result)
        settings = self._config.stash
        self._stash_tester.start(partial(check_stash, self.stash_url.text().strip(), self.secrets().stash_api_key,
                                         settings.timeout, self.stash_tls.requests_verify()))

    @Slot()
    def _test_plex(self) -> None:
        self._begin(self.plex_test, self.plex_result)
        settings = self._config.plex
        self._plex_tester.start(partial(check_plex, self.plex_url.text().strip(), self.secrets().plex_token,
                                        settings.timeout, self.plex_tls.requests_verify()))

    @staticmethod
    def _begin(button: QPushButton, result: QLabel) -> None:
        button.setEnabled(False)
        set_result(result, None, "Testing…")

    @Slot(object)
    def _stash_tested(self, result: CheckResult) -> None:
        self.stash_test.setEnabled(True)
        set_result(self.stash_result, result.ok, result.message)

    @Slot(object)
    def _plex_tested(self, result: CheckResult) -> None:
        self.plex_test.setEnabled(True)
        set_result(self.plex_result, result.ok, result.message)
        if result.ok:
            self._fill_libraries(result.libraries, result.folders)

    def _fill_libraries(self, offered: list[str], folders: dict[str, list[str]]) -> None:
        """The server's libraries, ticked when chosen; chosen ones the server lacks stay, ticked and flagged."""
        chosen = self.chosen_libraries() if self.libraries.count() else list(self._config.plex.libraries)
        wanted = {title.strip().lower() for title in chosen}
        offered_keys = {title.strip().lower() for title in offered}
        self.libraries.clear()
        for title in offered:
            self._add_library(title, title.strip().lower() in wanted, ", ".join(folders.get(title, [])))
        for title in chosen:
            if title.strip().lower() not in offered_keys:
                self._add_library(title, True, "not on this server" if offered else "")
        hint = LIBRARIES_HINT if offered else f"{LIBRARIES_HINT} {UNTESTED_HINT}"
        self.libraries_hint.setText(hint)

    def _add_library(self, title: str, checked: bool, note: str) -> None:
        item = QListWidgetItem(f"{title}    ({note})" if note else title)
        item.setData(TITLE_ROLE, title)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.libraries.addItem(item)
