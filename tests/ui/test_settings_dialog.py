"""The settings dialog: round trip to the TOML file, secrets in the keyring (or explicitly in the file), inline
validation, connection tests against the emulators off the GUI thread, and launch at login through a fake adapter."""

from __future__ import annotations

import copy
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import certifi
import keyring
import keyring.backend
import pytest
from keyring.errors import PasswordDeleteError, PasswordSetError
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QDialog

from plexsync_gui.core.setup.config import Config, load_config, save_config
from plexsync_gui.core.setup.connection_check import CheckResult
from plexsync_gui.core.setup.secrets import PLEX_TOKEN, SERVICE, STASH_API_KEY, Secrets
from plexsync_gui.core.sync.paths import PathRule
from plexsync_gui.emulators.plex import PlexEmulator
from plexsync_gui.emulators.stash import StashEmulator
from plexsync_gui.ui.settings.connection_tester import ConnectionTester
from plexsync_gui.ui.settings.connections_page import TITLE_ROLE
from plexsync_gui.ui.settings.dialog import SettingsDialog
from plexsync_gui.ui.settings.launch_at_login import STALE_TEXT
from plexsync_gui.ui.settings.path_map_model import PathMapModel
from plexsync_gui.ui.widgets import WrappingLabel
from tests.certs import make_certificate
from tests.servers import PLEX_TOKEN as EMULATOR_TOKEN
from tests.servers import STASH_KEY as EMULATOR_KEY

NEW_TOKEN = "token-typed-in-dialog-41c7"
NEW_KEY = "key-typed-in-dialog-93aa"
SAVED_TOKEN = "token-saved-before-5e21"  # a dialog opened on a working setup shows its token


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring backend, so tests see exactly what the dialog stored."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.values.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class LockedKeyring(MemoryKeyring):
    """A backend that exists but refuses to store anything (a locked wallet at autologin)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("the collection is locked")


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every dialog here saves into a keyring of its own unless a test asks for `no_keyring`."""
    yield from _use_keyring(MemoryKeyring())


@pytest.fixture
def no_keyring(memory_keyring) -> Iterator[None]:
    """The test suite's null backend: no keyring at all."""
    from keyring.backends.null import Keyring as NullKeyring

    yield from _use_keyring(NullKeyring())


@pytest.fixture
def locked_keyring() -> Iterator[LockedKeyring]:
    yield from _use_keyring(LockedKeyring())


def _use_keyring(backend: keyring.backend.KeyringBackend) -> Iterator:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@dataclass(frozen=True)
class FakeState:
    enabled: bool
    command: list[str] | None
    stale: bool


@dataclass
class FakeAutostart:
    """Records calls; the real adapters (core/autostart.py) are tested on their own."""

    enabled: bool = False
    stale: bool = False
    refuse: str | None = None
    calls: list[str] = field(default_factory=list)

    def state(self) -> FakeState:
        command = ["/opt/old/plexsync-gui" if self.stale else "/opt/plexsync/plexsync-gui", "--background"]
        return FakeState(self.enabled, command if self.enabled else None, self.stale)

    def enable(self) -> None:
        self._call("enable")
        self.enabled, self.stale = True, False

    def disable(self) -> None:
        self._call("disable")
        self.enabled = False

    def describe(self) -> str:
        return "/home/user/.config/autostart/plexsync.desktop"

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.refuse:
            raise OSError(self.refuse)


def sample_config() -> Config:
    config = Config()
    config.stash.url = "http://stash.lan:9999"
    config.stash.timeout = 12
    config.stash.verify_tls = False
    config.plex.url = "https://plex.lan:32400"
    config.plex.ca_bundle = certifi.where()  # a CA bundle file that exists wherever requests does
    config.plex.libraries = ["Movies"]
    config.sync.poll_interval = 7.5
    config.path_map = [PathRule("/data/", "/media/")]
    return config


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "conf" / "config.toml"


SAVED_SECRETS = Secrets(SAVED_TOKEN, None)


@pytest.fixture
def make_dialog(qtbot, config_path: Path):
    def make(config: Config | None = None, secrets: Secrets = SAVED_SECRETS,
             autostart: FakeAutostart | None = None) -> SettingsDialog:
        dialog = SettingsDialog(config or sample_config(), secrets, config_path, autostart)
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog

    return make


def set_rule(model: PathMapModel, row: int, stash: str, plex: str) -> None:
    assert model.setData(model.index(row, 0), stash)
    assert model.setData(model.index(row, 1), plex)


def library_items(dialog: SettingsDialog) -> list[tuple[str, str, bool]]:
    """(title, shown text, ticked) of every entry in the Plex library list."""
    widget = dialog.connections.libraries
    return [(widget.item(i).data(TITLE_ROLE), widget.item(i).text(),
             widget.item(i).checkState() == Qt.CheckState.Checked) for i in range(widget.count())]


# ---- round trip and secrets --------------------------------------------------------------------------------------


def test_edited_values_round_trip_through_the_file(make_dialog, qtbot, config_path, memory_keyring) -> None:
    original = sample_config()
    dialog = make_dialog(original, Secrets("old-token", "old-key"))
    page = dialog.connections
    page.stash_url.setText("  http://10.0.0.5:9999/stash  ")
    page.plex_url.setText("http://10.0.0.6:32400")
    page.libraries.item(0).setCheckState(Qt.CheckState.Unchecked)
    dialog.matching.strict.setChecked(False)
    dialog.matching.preserve.setChecked(True)
    set_rule(dialog.matching.path_map, dialog.matching.path_map.add_row(), "/mnt/stash/", "/srv/plex/")
    dialog.fields.toggles["rating"].setChecked(True)
    dialog.fields.toggles["poster"].setChecked(False)
    dialog.behaviour.retries.setValue(9)
    dialog.behaviour.notify_failures.setChecked(False)
    dialog.behaviour.notify_success.setChecked(True)
    dialog.behaviour.start_hidden.setChecked(True)

    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save_button.click()

    expected = copy.deepcopy(original)
    expected.stash.url = "http://10.0.0.5:9999/stash"
    expected.plex.url = "http://10.0.0.6:32400"
    expected.plex.libraries = []
    expected.sync.strict_matching, expected.sync.preserve_plex_edits, expected.sync.max_retries = False, True, 9
    expected.path_map.append(PathRule("/mnt/stash/", "/srv/plex/"))
    expected.fields.rating, expected.fields.poster = True, False
    expected.desktop.notify_failures, expected.desktop.notify_success, expected.desktop.start_hidden = \
        False, True, True
    assert load_config(config_path) == expected  # untouched values (timeouts, TLS, 7.5 s poll) survive too
    assert saved.args == [expected]
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600


def test_changed_poll_interval_is_saved(make_dialog, config_path, memory_keyring) -> None:
    dialog = make_dialog()
    dialog.behaviour.poll.setValue(300)
    dialog.save_button.click()
    assert load_config(config_path).sync.poll_interval == 300


def test_live_updates_are_on_by_default_and_saved_when_turned_off(make_dialog, config_path, memory_keyring) -> None:
    dialog = make_dialog()
    assert dialog.behaviour.listen.isChecked() and dialog.behaviour.scan_missing.isChecked()
    dialog.behaviour.listen.setChecked(False)
    dialog.behaviour.scan_missing.setChecked(False)
    dialog.save_button.click()
    events = load_config(config_path).events
    assert (events.listen, events.scan_missing) == (False, False)


def test_secrets_go_to_the_keyring_and_not_the_file(make_dialog, config_path, memory_keyring) -> None:
    config = sample_config()
    config.plex.token = "plaintext-from-before"  # a file written on a machine without a keyring
    dialog = make_dialog(config, Secrets("plaintext-from-before", None))
    dialog.connections.plex_token.setText(NEW_TOKEN)
    dialog.connections.stash_key.setText(NEW_KEY)
    dialog.save_button.click()
    assert memory_keyring.values == {(SERVICE, PLEX_TOKEN): NEW_TOKEN, (SERVICE, STASH_API_KEY): NEW_KEY}
    text = config_path.read_text()
    assert NEW_TOKEN not in text and NEW_KEY not in text and "plaintext-from-before" not in text
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_cleared_secret_is_removed_from_the_keyring(make_dialog, memory_keyring) -> None:
    memory_keyring.values[(SERVICE, STASH_API_KEY)] = "old-key"
    dialog = make_dialog(secrets=Secrets(SAVED_TOKEN, "old-key"))
    dialog.connections.stash_key.clear()
    dialog.save_button.click()
    assert (SERVICE, STASH_API_KEY) not in memory_keyring.values


def test_without_a_keyring_secrets_need_the_explicit_choice(make_dialog, config_path, no_keyring) -> None:
    dialog = make_dialog(secrets=Secrets(None, None))
    page = dialog.connections
    assert page.plaintext.isVisibleTo(dialog) and not page.plaintext.isChecked()
    page.plex_token.setText(NEW_TOKEN)
    dialog.save_button.click()
    assert not config_path.exists()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.status.text().startswith("✘ No keyring is available")
    assert "Store the token and key in the config file" in dialog.status.text()

    page.plaintext.setChecked(True)
    dialog.save_button.click()
    assert load_config(config_path).plex.token == NEW_TOKEN
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600
    assert dialog.result() == QDialog.DialogCode.Accepted


@pytest.mark.parametrize("typed", ["", "   "])
def test_an_empty_token_cannot_be_saved(make_dialog, config_path, typed) -> None:
    dialog = make_dialog(secrets=Secrets(None, None))  # the first run: nothing saved yet
    dialog.connections.plex_token.setText(typed)
    assert not dialog.save_button.isEnabled()
    assert dialog.status.text() == "✘ Plex token: enter the X-Plex-Token (Plex refuses PlexSync without one)"
    assert dialog.connections.plex_token.property("invalid") is True
    dialog.connections.plex_token.setText(NEW_TOKEN)
    assert dialog.save_button.isEnabled() and dialog.status.text() == ""
    dialog.save_button.click()
    assert load_config(config_path) == sample_config()


def test_plaintext_choice_is_kept_when_the_file_already_held_secrets(make_dialog, no_keyring) -> None:
    config = sample_config()
    config.stash.api_key = "in-file"
    assert make_dialog(config, Secrets(None, "in-file")).connections.plaintext.isChecked()


def test_locked_keyring_offers_plaintext_and_loses_nothing(make_dialog, config_path, locked_keyring) -> None:
    save_config(config_path, sample_config())
    before = config_path.read_text()
    dialog = make_dialog(secrets=Secrets(NEW_TOKEN, None))
    assert not dialog.connections.plaintext.isVisibleTo(dialog)  # a keyring exists, so no choice is offered up front
    dialog.tabs.setCurrentWidget(dialog.fields)
    dialog.save_button.click()
    assert config_path.read_text() == before
    assert dialog.tabs.currentWidget() is dialog.connections
    assert dialog.connections.plaintext.isVisibleTo(dialog)
    assert "No keyring is available" in dialog.status.text()


def test_failed_write_shows_one_line_and_keeps_the_dialog_open(make_dialog, config_path, memory_keyring) -> None:
    config_path.parent.write_text("a file where the config folder should be")
    dialog = make_dialog()
    dialog.save_button.click()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.status.text().startswith(f"✘ Cannot write {config_path}")
    assert "\n" not in dialog.status.text()


# ---- validation --------------------------------------------------------------------------------------------------


def test_bad_url_disables_save_and_names_the_field(make_dialog) -> None:
    dialog = make_dialog()
    assert dialog.save_button.isEnabled() and dialog.status.text() == ""
    dialog.connections.plex_url.setText("plex.lan:32400")
    assert not dialog.save_button.isEnabled()
    assert dialog.status.text() == "✘ Plex URL: must be an http:// or https:// URL, got 'plex.lan:32400'"
    assert dialog.connections.plex_url.property("invalid") is True
    assert not dialog.connections.stash_url.property("invalid")

    dialog.connections.plex_url.setText("http://plex.lan:32400")
    assert dialog.save_button.isEnabled() and dialog.status.text() == ""
    assert not dialog.connections.plex_url.property("invalid")


def test_url_with_credentials_is_rejected(make_dialog) -> None:
    dialog = make_dialog()
    dialog.connections.stash_url.setText("http://admin:hunter2@stash.lan:9999")
    assert not dialog.save_button.isEnabled()
    assert dialog.status.text().startswith("✘ Stash URL: must not carry credentials")
    assert "hunter2" not in dialog.status.text()


@pytest.mark.parametrize(("stash", "plex", "message"), [
    ("data/", "/media/", "Path mapping row 2, Stash path prefix: must be an absolute path, got 'data/'"),
    ("/other/", "media", "Path mapping row 2, Plex path prefix: must be an absolute path, got 'media'"),
    ("/data/", "/elsewhere/", "Path mapping row 2, Stash path prefix: '/data/' is already mapped by an earlier rule "
     "('/data/' -> '/media/'); keep one of them"),
])
def test_bad_path_rules_disable_save_and_mark_the_cell(make_dialog, stash: str, plex: str, message: str) -> None:
    dialog = make_dialog()
    model = dialog.matching.path_map
    set_rule(model, model.add_row(), stash, plex)
    assert not dialog.save_button.isEnabled()
    assert dialog.status.text() == f"✘ {message}"
    column = 1 if "Plex path" in message else 0
    assert model.data(model.index(1, column), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.data(model.index(1, 1 - column), Qt.ItemDataRole.BackgroundRole) is None

    model.remove_rows([1])
    assert dialog.save_button.isEnabled()
    assert model.data(model.index(0, 0), Qt.ItemDataRole.BackgroundRole) is None


def test_new_empty_rule_must_be_filled_in(make_dialog, qtbot) -> None:
    dialog = make_dialog()
    dialog.tabs.setCurrentWidget(dialog.matching)
    qtbot.mouseClick(dialog.matching.add, Qt.MouseButton.LeftButton)
    assert dialog.matching.path_map.rowCount() == 2
    assert not dialog.save_button.isEnabled()
    assert "row 2" in dialog.status.text()


def test_remove_button_removes_the_selected_rules(make_dialog, qtbot) -> None:
    config = sample_config()
    config.path_map.append(PathRule("/data2/", "/media2/"))
    dialog = make_dialog(config)
    assert not dialog.matching.remove.isEnabled()
    dialog.matching.table.selectRow(0)
    assert dialog.matching.remove.isEnabled()
    qtbot.mouseClick(dialog.matching.remove, Qt.MouseButton.LeftButton)
    assert dialog.matching.path_map.as_config() == [{"stash": "/data2/", "plex": "/media2/"}]


def test_path_map_model_keeps_the_qt_contract(qtbot) -> None:
    model = PathMapModel([PathRule("/a/", "/b/")])
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.add_row()
    set_rule(model, 1, "/c/", "/d/")
    model.mark_invalid((1, 0))
    model.remove_rows([0, 5])
    assert model.as_config() == [{"stash": "/c/", "plex": "/d/"}]


# ---- connection tests against the emulators ----------------------------------------------------------------------


def emulator_config(stash: StashEmulator, plex: PlexEmulator) -> Config:
    config = sample_config()
    config.stash.url, config.plex.url = stash.url, plex.url
    config.stash.timeout = config.plex.timeout = 2
    config.plex.ca_bundle = None
    config.plex.libraries = ["Movies", "Old library"]
    return config


def wait_for_result(qtbot, button) -> None:
    qtbot.waitUntil(button.isEnabled, timeout=10_000)


def test_stash_test_runs_off_the_gui_thread_and_shows_success(make_dialog, qtbot, stash, plex) -> None:
    dialog = make_dialog(emulator_config(stash, plex), Secrets(None, EMULATOR_KEY))
    page = dialog.connections
    page.stash_test.click()
    assert not page.stash_test.isEnabled()  # the result can only arrive through the event loop
    assert page.stash_result.text() == "Testing…"
    wait_for_result(qtbot, page.stash_test)
    assert page.stash_result.text() == "✔ Stash v0.30.1 reachable"
    assert "2e7d32" in page.stash_result.styleSheet()


def test_stash_test_uses_the_key_as_typed(make_dialog, qtbot, stash, plex) -> None:
    dialog = make_dialog(emulator_config(stash, plex), Secrets(None, EMULATOR_KEY))
    dialog.connections.stash_key.setText("typo")
    dialog.connections.stash_test.click()
    wait_for_result(qtbot, dialog.connections.stash_test)
    assert dialog.connections.stash_result.text() == "✘ Stash rejected the API key"
    assert "c62828" in dialog.connections.stash_result.styleSheet()


def test_plex_test_fills_the_library_list(make_dialog, qtbot, stash, plex) -> None:
    plex.add_section("Movies", "movie", ["/media/movies"])
    plex.add_section("Shows", "show", ["/media/tv"])
    dialog = make_dialog(emulator_config(stash, plex), Secrets(EMULATOR_TOKEN, None))
    assert library_items(dialog) == [("Movies", "Movies", True), ("Old library", "Old library", True)]
    dialog.connections.plex_test.click()
    wait_for_result(qtbot, dialog.connections.plex_test)
    assert dialog.connections.plex_result.text() == "✔ Plex 'Emulated Plex' reachable, 2 libraries"
    assert library_items(dialog) == [
        ("Movies", "Movies    (/media/movies)", True),
        ("Shows", "Shows    (/media/tv)", False),
        ("Old library", "Old library    (not on this server)", True),
    ]
    assert dialog.connections.libraries_hint.text() == "No library ticked: every movie and show library is synced."
    assert dialog.edited_config().plex.libraries == ["Movies", "Old library"]


def test_plex_test_with_a_wrong_token_says_so(make_dialog, qtbot, stash, plex) -> None:
    dialog = make_dialog(emulator_config(stash, plex), Secrets("wrong-token-123", None))
    dialog.connections.plex_test.click()
    wait_for_result(qtbot, dialog.connections.plex_test)
    assert dialog.connections.plex_result.text() == "✘ Plex rejected the token"
    assert [title for title, _, _ in library_items(dialog)] == ["Movies", "Old library"]


def test_plex_test_of_an_unreachable_server(make_dialog, qtbot, stash, plex) -> None:
    plex.refuse()
    dialog = make_dialog(emulator_config(stash, plex), Secrets(EMULATOR_TOKEN, None))
    dialog.connections.plex_test.click()
    wait_for_result(qtbot, dialog.connections.plex_test)
    assert dialog.connections.plex_result.text() == \
        f"✘ 127.0.0.1:{plex.url.rsplit(':', 1)[1]} is unreachable: connection refused"


# ---- launch at login ---------------------------------------------------------------------------------------------


def test_without_autostart_there_is_no_checkbox(make_dialog) -> None:
    assert make_dialog().behaviour.launch is None


@pytest.mark.parametrize("enabled", [True, False])
def test_checkbox_shows_the_os_entry(make_dialog, enabled: bool) -> None:
    dialog = make_dialog(autostart=FakeAutostart(enabled=enabled))
    launch = dialog.behaviour.launch
    assert launch.checkbox.isChecked() is enabled
    assert "Entry: /home/user/.config/autostart/plexsync.desktop" in launch.details.text()
    assert ("Runs: /opt/plexsync/plexsync-gui --background" in launch.details.text()) is enabled
    assert launch.stale.isHidden() and launch.repair.isHidden()


def test_entry_is_read_again_each_time_the_dialog_opens(make_dialog) -> None:
    autostart = FakeAutostart(enabled=False)
    dialog = make_dialog(autostart=autostart)
    dialog.hide()
    autostart.enabled = True  # turned on in the desktop's own settings meanwhile
    dialog.show()
    assert dialog.behaviour.launch.checkbox.isChecked()


def test_stale_entry_offers_a_repair(make_dialog, qtbot) -> None:
    autostart = FakeAutostart(enabled=True, stale=True)
    dialog = make_dialog(autostart=autostart)
    launch = dialog.behaviour.launch
    assert not launch.stale.isHidden() and launch.stale.text() == STALE_TEXT
    assert "Runs: /opt/old/plexsync-gui --background" in launch.details.text()
    qtbot.mouseClick(launch.repair, Qt.MouseButton.LeftButton)
    assert autostart.calls == ["enable"]
    assert launch.stale.isHidden() and launch.repair.isHidden()
    assert launch.result.text() == "✔ Login entry repaired"


def test_failed_repair_is_one_line(make_dialog, qtbot) -> None:
    autostart = FakeAutostart(enabled=True, stale=True, refuse="Permission denied")
    dialog = make_dialog(autostart=autostart)
    launch = dialog.behaviour.launch
    qtbot.mouseClick(launch.repair, Qt.MouseButton.LeftButton)
    assert launch.result.text() == "✘ Launch at login could not be set up: Permission denied"
    assert not launch.repair.isHidden()


@pytest.mark.parametrize(("enabled", "tick", "calls"), [
    (False, True, ["enable"]), (True, False, ["disable"]), (True, True, []), (False, False, []),
])
def test_saving_changes_the_entry_only_when_the_checkbox_changed(make_dialog, memory_keyring, enabled: bool,
                                                                 tick: bool, calls: list[str]) -> None:
    autostart = FakeAutostart(enabled=enabled)
    dialog = make_dialog(autostart=autostart)
    dialog.behaviour.launch.checkbox.setChecked(tick)
    dialog.save_button.click()
    assert autostart.calls == calls
    assert autostart.enabled is tick
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_entry_error_on_save_keeps_the_dialog_open(make_dialog, qtbot, config_path, memory_keyring) -> None:
    dialog = make_dialog(autostart=FakeAutostart(enabled=False, refuse="Read-only file system"))
    dialog.behaviour.launch.checkbox.setChecked(True)
    with qtbot.waitSignal(dialog.saved):  # the settings themselves were written
        dialog.save_button.click()
    assert config_path.exists()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.tabs.currentWidget() is dialog.behaviour
    assert dialog.status.text() == ("✘ Settings saved, but: Launch at login could not be set up: "
                                    "Read-only file system")


def test_unreadable_entry_disables_the_checkbox(make_dialog) -> None:
    class Unreadable(FakeAutostart):
        def state(self) -> FakeState:
            raise OSError("registry access denied")

    dialog = make_dialog(autostart=Unreadable())
    launch = dialog.behaviour.launch
    assert not launch.checkbox.isEnabled()
    assert launch.result.text() == "✘ Cannot read the login entry: registry access denied"


def test_wrapping_label_asks_for_the_height_its_text_needs(qtbot) -> None:
    """Layouts below the window ignore height-for-width; the label's minimum height carries it instead."""
    label = WrappingLabel()
    qtbot.addWidget(label)
    label.show()  # a hidden widget gets its resize events only when shown
    label.resize(200, 10)
    line = label.fontMetrics().height()
    assert label.minimumHeight() == 0
    label.setText("http://127.0.0.1:41369 answers but is not Stash (/graphql sent HTTP 200, text/html)")
    assert label.minimumHeight() >= 3 * line
    label.resize(2000, label.height())
    assert line <= label.minimumHeight() < 2 * line
    label.setText("")
    assert label.minimumHeight() == 0


def test_a_crashing_check_becomes_a_red_line(qtbot) -> None:
    tester = ConnectionTester()

    def broken() -> CheckResult:
        raise ValueError("bug")

    with qtbot.waitSignal(tester.finished) as finished:
        tester.start(broken)
    assert finished.args == [CheckResult(False, "internal error: ValueError (details in the log)")]
    assert not tester.running


# ---- TLS ---------------------------------------------------------------------------------------------------------


def test_certificate_settings_round_trip_and_show_what_the_file_says(make_dialog, qtbot, config_path) -> None:
    dialog = make_dialog()  # sample_config: Stash unverified, Plex with a CA bundle
    stash_tls, plex_tls = dialog.connections.stash_tls, dialog.connections.plex_tls
    assert not stash_tls.verify.isChecked() and stash_tls.ca_bundle.text() == ""
    assert plex_tls.verify.isChecked() and plex_tls.ca_bundle.text() == certifi.where()
    stash_tls.verify.setChecked(True)
    plex_tls.ca_bundle.setText("")
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    saved = load_config(config_path)
    assert (saved.stash.verify_tls, saved.stash.ca_bundle) == (True, None)
    assert (saved.plex.verify_tls, saved.plex.ca_bundle) == (True, None)


@pytest.mark.parametrize(("verify", "bundle", "message"), [
    (True, "/no/such/ca.pem", "✘ Plex CA bundle: no such file: /no/such/ca.pem"),
    (False, certifi.where(), "✘ Plex CA bundle: set, but plex.verify_tls = false would ignore it; remove one"),
])
def test_a_bundle_that_cannot_work_disables_save(make_dialog, verify: bool, bundle: str, message: str) -> None:
    dialog = make_dialog()
    tls = dialog.connections.plex_tls
    tls.ca_bundle.setText(bundle)
    tls.verify.setChecked(verify)
    assert not dialog.save_button.isEnabled() and dialog.status.text() == message
    assert tls.ca_bundle.property("invalid") is True


def test_the_connection_test_uses_the_certificate_settings_as_typed(make_dialog, qtbot, tmp_path) -> None:
    certificate = make_certificate(tmp_path / "tls")
    with StashEmulator(api_key=EMULATOR_KEY, ssl_context=certificate.server_context()) as stash, \
            PlexEmulator(token=EMULATOR_TOKEN) as plex:
        dialog = make_dialog(emulator_config(stash, plex), Secrets(None, EMULATOR_KEY))
        page = dialog.connections
        assert not page.stash_tls.verify.isChecked()  # as saved: the self-signed server is accepted unverified
        page.stash_test.click()
        wait_for_result(qtbot, page.stash_test)
        assert page.stash_result.text() == "✔ Stash v0.30.1 reachable"
        page.stash_tls.verify.setChecked(True)
        page.stash_test.click()
        wait_for_result(qtbot, page.stash_test)
        assert "is not trusted" in page.stash_result.text() and "set ca_bundle" in page.stash_result.text()
        page.stash_tls.ca_bundle.setText(str(certificate.ca_file))
        page.stash_test.click()
        wait_for_result(qtbot, page.stash_test)
        assert page.stash_result.text() == "✔ Stash v0.30.1 reachable"


def test_secrets_from_the_environment_are_named(make_dialog, monkeypatch) -> None:
    quiet = make_dialog()
    assert not quiet.connections.environment_hint.isVisibleTo(quiet)  # nothing set: nothing said
    monkeypatch.setenv("PLEXSYNC_PLEX_TOKEN", "from-the-environment")
    dialog = make_dialog()
    hint = dialog.connections.environment_hint
    assert hint.isVisibleTo(dialog)
    assert hint.text() == "PLEXSYNC_PLEX_TOKEN is set in PlexSync's environment: it wins over what is saved here."


# ---- guided path mapping (against the emulators, off the GUI thread) ------------------------------------------


def test_detect_proposes_the_mapping_and_accepting_adds_it(make_dialog, qtbot, stash, plex, config_path) -> None:
    movies = plex.add_section("Movies", "movie", ["/volume1/media/movies"])
    for n in range(60):  # more than one sample page: the listing is asked for 50 only
        stash.add_scene(title=f"scene {n}", files=[f"/data/movies/scene-{n:03d}.mp4"])
        plex.add_item(movies, f"/volume1/media/movies/scene-{n:03d}.mp4")
    config = emulator_config(stash, plex)
    config.plex.libraries, config.path_map = [], []
    dialog = make_dialog(config, Secrets(EMULATOR_TOKEN, EMULATOR_KEY))
    page = dialog.matching
    dialog.tabs.setCurrentWidget(page)
    page.detect.click()
    assert not page.detect.isEnabled() and page.detect_result.text() == "Comparing the files Stash and Plex see…"
    wait_for_result(qtbot, page.detect)
    assert page.detect_result.text().startswith("✔ Proposed: Stash /data/ → Plex /volume1/media/ (50 of 50 files")
    assert page.use_proposal.isVisible() and page.path_map.rowCount() == 0  # proposed, not applied
    [listing] = [r for r in plex.requests if r.path == f"/library/sections/{movies}/all"]
    assert listing.params["X-Plex-Container-Size"] == ["50"]  # a sample page, never the whole section
    page.use_proposal.click()
    assert page.path_map.as_config() == [{"stash": "/data/", "plex": "/volume1/media/"}]
    assert not page.use_proposal.isVisible()
    dialog.save_button.click()
    assert load_config(config_path).path_map == [PathRule("/data/", "/volume1/media/")]


def test_detect_with_no_shared_file_proposes_nothing(make_dialog, qtbot, stash, plex) -> None:
    movies = plex.add_section("Movies", "movie", ["/media/movies"])
    stash.add_scene(title="only in Stash", files=["/data/movies/stash-only.mp4"])
    plex.add_item(movies, "/media/movies/plex-only.mp4")
    dialog = make_dialog(_no_libraries(stash, plex), Secrets(EMULATOR_TOKEN, EMULATOR_KEY))
    page = dialog.matching
    page.detect.click()
    wait_for_result(qtbot, page.detect)
    assert page.detect_result.text() == ("✘ None of 1 Stash files has a name found among 1 Plex files: check the "
                                         "libraries, or add a mapping by hand")
    assert not page.use_proposal.isVisibleTo(dialog) and page.proposal is None


def test_detect_names_the_server_that_failed(make_dialog, qtbot, stash, plex) -> None:
    plex.add_section("Movies", "movie", ["/media/movies"])
    dialog = make_dialog(_no_libraries(stash, plex), Secrets("wrong-token-123", EMULATOR_KEY))
    page = dialog.matching
    page.detect.click()
    wait_for_result(qtbot, page.detect)
    assert page.detect_result.text().startswith("✘ Plex: ") and "wrong-token-123" not in page.detect_result.text()


def _no_libraries(stash: StashEmulator, plex: PlexEmulator) -> Config:
    config = emulator_config(stash, plex)
    config.plex.libraries = []
    return config


# ---- the Rules page ------------------------------------------------------------------------------------------------


def test_rules_edited_on_their_page_are_saved_to_the_rules_section(make_dialog, qtbot, config_path) -> None:
    from plexsync_gui.core.setup.rules_config import FILL_EMPTY

    dialog = make_dialog()
    page = dialog.rules
    assert dialog.tabs.tabText(dialog.tabs.indexOf(page)) == "Rules"
    page.only_organized.setChecked(True)
    page.require_tag.setText("  Plex ")
    page.genre_parent.setText("Genres")
    page.exclude_tags.setText("To Do, , 4K ")
    page.title_template.setText("{studio} - {title}")
    page.modes["summary"].setCurrentIndex(page.modes["summary"].findData(FILL_EMPTY))
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    rules = load_config(config_path).rules
    assert (rules.only_organized, rules.require_tag, rules.genre_parent_tag, rules.exclude_tags,
            rules.title_template) == (True, "Plex", "Genres", ["To Do", "4K"], "{studio} - {title}")
    assert rules.fields.summary == FILL_EMPTY and rules.fields.title == "stash_wins"
    reopened = make_dialog(load_config(config_path))
    assert reopened.rules.exclude_tags.text() == "To Do, 4K"  # shown back as saved


def test_the_title_template_shows_a_live_example_and_a_bad_one_blocks_saving(make_dialog) -> None:
    dialog = make_dialog()
    page = dialog.rules
    page.title_template.setText("{studio} - {title} ({year}) [{code}]")
    assert page.title_example.text() == "Harbour Studio - Sunset Walk (2024) [HS-042]"
    page.title_template.setText("{title} {rating}")
    assert "unknown placeholder {rating}" in page.title_example.text()
    assert not dialog.save_button.isEnabled()
    assert "Title template: unknown placeholder {rating}" in dialog.status.text()
    assert page.title_template.property("invalid") is True
    page.title_template.setText("{title}")
    assert dialog.save_button.isEnabled() and page.title_template.property("invalid") is False


def test_every_rule_widget_names_its_config_key(make_dialog) -> None:
    dialog = make_dialog()
    page = dialog.rules
    widgets = {"rules.only_organized": page.only_organized, "rules.require_tag": page.require_tag,
               "rules.genre_parent_tag": page.genre_parent, "rules.exclude_tags": page.exclude_tags,
               "rules.title_template": page.title_template,
               **{f"rules.fields.{name}": combo for name, combo in page.modes.items()}}
    assert {key: widget.toolTip() for key, widget in widgets.items()} == {
        key: f"In config.toml: {key}" for key in widgets}
