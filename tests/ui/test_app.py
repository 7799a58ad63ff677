"""The composed app: tray or no tray, close and quit semantics, tray actions reaching the worker."""

from __future__ import annotations

import copy

import pytest
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from plexsync_gui.core.setup.config import Config, save_config
from plexsync_gui.ui.app import PlexSyncApp, Startup, parse_args, startup_environment
from tests.ui.conftest import settled

pytestmark = pytest.mark.integration


@pytest.fixture
def make_app(qtbot, locations, config, secrets):
    built: list[PlexSyncApp] = []

    def factory(tray: bool, background: bool = False) -> PlexSyncApp:
        app = PlexSyncApp(Startup(locations, config, secrets), background=background,
                          tray_factory=QSystemTrayIcon, tray_available=lambda: tray)
        built.append(app)
        app.start()
        return app

    yield factory
    for app in built:
        app.window.quitting = True  # closing for good: no question, no hiding
        app.window.close()
        app.shutdown()
    QApplication.setQuitOnLastWindowClosed(True)


def test_with_a_tray_background_start_stays_hidden_and_close_hides(qtbot, make_app, library) -> None:
    library.add(title="One")
    app = make_app(tray=True, background=True)
    qtbot.waitUntil(lambda: app.service.status.get("synced") == 1, timeout=15000)
    assert not app.window.isVisible()
    assert app.tray.state == "idle"
    app.toggle_window()
    assert app.window.isVisible()
    app.window.close()
    assert not app.window.isVisible()


@pytest.mark.parametrize("tray, logged", [(True, 1), (False, 0)])
def test_the_tray_icon_is_logged_once_shown_and_only_with_a_tray(make_app, caplog, tray, logged) -> None:
    """The app-start benchmark times a launch up to this line."""
    caplog.set_level("INFO", logger="plexsync_gui.ui.app")
    make_app(tray=tray, background=True)
    assert caplog.messages.count("tray icon shown") == logged


def test_without_a_tray_the_window_shows_and_close_asks(qtbot, make_app) -> None:
    app = make_app(tray=False, background=False)
    assert app.window.isVisible()
    answers = ["hide", "cancel"]
    app.window.ask_on_close = answers.pop
    app.window.close()
    assert app.window.isVisible()
    app.window.close()
    assert not app.window.isVisible()


def test_background_start_without_a_tray_shows_the_window_after_waiting(qtbot, make_app, monkeypatch) -> None:
    monkeypatch.setattr("plexsync_gui.ui.app.TRAY_WAIT_MS", 1000)
    app = make_app(tray=False, background=True)
    assert not app.window.isVisible()
    qtbot.waitUntil(app.window.isVisible, timeout=5000)


def test_tray_pause_and_sync_now_reach_the_worker(qtbot, make_app, library, plex) -> None:
    app = make_app(tray=True)
    qtbot.waitUntil(lambda: settled(app.service), timeout=15000)
    app.tray.pause_action.trigger()
    qtbot.waitUntil(lambda: app.service.status.get("paused") is True, timeout=5000)
    assert app.tray.state == "paused" and app.window.pause_action.isChecked()
    _, rating_key = library.add(title="Added while paused")
    app.tray.pause_action.trigger()
    app.tray.sync_action.trigger()
    qtbot.waitUntil(lambda: plex.item_state(rating_key)["title"] == "Added while paused", timeout=15000)


def test_quit_closes_without_asking(qtbot, make_app) -> None:
    app = make_app(tray=False)
    asked: list[str] = []
    app.window.ask_on_close = lambda: asked.append("asked") or "cancel"
    app.window.quitting = True
    app.window.close()
    assert not app.window.isVisible() and asked == []


def test_problem_message_does_not_block(qtbot, make_app) -> None:
    app = make_app(tray=True)
    app.show_problem("Stash said no")
    assert app.problem_box is not None and app.problem_box.isVisible()
    assert "Stash said no" in app.problem_box.text()


def test_gui_accepts_the_cli_location_options() -> None:
    args = parse_args(["--config", "/tmp/c.toml", "--data-dir", "/tmp/d", "--background", "--demo"])
    assert (args.config, args.data_dir, args.background, args.demo) == ("/tmp/c.toml", "/tmp/d", True, True)


def test_first_run_opens_settings_and_saving_starts_syncing(qtbot, locations, stash, plex, movies) -> None:
    from plexsync_gui.core.setup.config import Config, load_config
    from plexsync_gui.core.setup.secrets import Secrets
    from tests.servers import PLEX_TOKEN, STASH_KEY

    stash.add_scene(title="First sync", files=["/media/movies/first.mp4"])
    rating_key = plex.add_item(movies, "/media/movies/first.mp4", title="first")
    app = PlexSyncApp(Startup(locations, Config(), Secrets(None, None), first_run=True),
                      tray_factory=QSystemTrayIcon, tray_available=lambda: True)
    try:
        app.start()
        qtbot.waitUntil(lambda: app.settings is not None and app.settings.isVisible(), timeout=5000)
        page = app.settings.connections
        page.stash_url.setText(stash.url)
        page.stash_key.setText(STASH_KEY)
        page.plex_url.setText(plex.url)
        page.plex_token.setText(PLEX_TOKEN)
        page.plaintext.setChecked(True)  # the tests' keyring backend is the null one
        assert not app.service.status  # nothing runs before the first save
        app.settings.save_button.click()
        assert not app.window.not_set_up and app.window.sync_action.isEnabled()
        assert app.tray.tray.toolTip().startswith("PlexSync — idle")
        qtbot.waitUntil(lambda: plex.item_state(rating_key)["title"] == "First sync", timeout=15000)
        assert load_config(locations.config_file).plex.url == plex.url
    finally:
        app.window.quitting = True
        app.window.close()
        app.shutdown()


def test_cancelling_the_first_settings_leaves_a_clear_not_set_up_state(qtbot, locations) -> None:
    from plexsync_gui.core.setup.secrets import Secrets
    from plexsync_gui.ui.main_window import NOT_SET_UP
    from plexsync_gui.ui.tray import NOT_SET_UP_TOOLTIP

    app = PlexSyncApp(Startup(locations, Config(), Secrets(None, None), first_run=True),
                      tray_factory=QSystemTrayIcon, tray_available=lambda: True)
    try:
        app.start()
        qtbot.waitUntil(lambda: app.settings is not None and app.settings.isVisible(), timeout=5000)
        app.settings.reject()
        qtbot.waitUntil(lambda: app.settings is None, timeout=5000)
        window = app.window
        assert window.isVisible()
        assert window.stash_label.text() == "⚠ Not set up: open Settings… to connect Stash and Plex"
        assert not window.plex_label.isVisible() and not window.summary_label.isVisible()
        assert window.queue_page.empty.text() == NOT_SET_UP  # never "every change has reached Plex"
        assert window.queue_page.stack.currentWidget() is window.queue_page.empty
        assert not window.sync_action.isEnabled() and not window.pause_action.isEnabled()
        assert app.tray.tray.toolTip() == NOT_SET_UP_TOOLTIP
        assert not app.tray.sync_action.isEnabled() and not app.tray.pause_action.isEnabled()
        assert not app.service.status and not app._started  # nothing runs
        assert not locations.config_file.exists()
    finally:
        app.window.quitting = True
        app.window.close()
        app.shutdown()


def test_saving_settings_in_the_demo_asks_nothing_about_plaintext(qtbot, tmp_path) -> None:
    from plexsync_gui.core.setup.config import load_config
    from plexsync_gui.core.setup.secrets import keyring_available

    assert not keyring_available()  # the test suite's null backend: a real question would come up without the fix
    with startup_environment(parse_args(["--demo", "--data-dir", str(tmp_path)])) as startup:
        app = PlexSyncApp(startup, tray_factory=QSystemTrayIcon, tray_available=lambda: True)
        try:
            app.start()
            app.open_settings()
            dialog = app.settings
            dialog.behaviour.poll.setValue(60)
            dialog.save_button.click()
            assert dialog.result() == dialog.DialogCode.Accepted, dialog.status.text()
            assert not dialog.connections.plaintext.isChecked()
            written = load_config(startup.locations.config_file)
            assert written.sync.poll_interval == 60
            assert written.plex.token is None and written.stash.api_key is None  # the demo's secrets stay built in
            assert app.config.sync.poll_interval == 60
            qtbot.waitUntil(lambda: bool(app.service.status), timeout=10000)  # and the demo keeps syncing
        finally:
            app.window.quitting = True
            app.window.close()
            app.shutdown()


# ---- start-up problems: said once, nothing lost -----------------------------------------------------------------


def start_args(locations):
    return parse_args(["--config", str(locations.config_file), "--data-dir", str(locations.data_dir)])


def test_an_unusable_config_is_moved_aside_and_the_app_starts_with_defaults(locations) -> None:
    locations.config_file.parent.mkdir(parents=True, exist_ok=True)
    locations.config_file.write_text("[stash\nurl = 'http://stash.lan:9999'\n")  # malformed TOML
    with startup_environment(start_args(locations)) as startup:
        assert startup.first_run and startup.config.stash.url == Config().stash.url
    [moved] = locations.config_file.parent.glob("config.toml.invalid-*")
    assert not locations.config_file.exists()
    assert moved.read_text() == "[stash\nurl = 'http://stash.lan:9999'\n"  # kept, byte for byte
    [notice] = startup.notices
    assert notice.startswith("The config file could not be used (") and f"It was moved to {moved}" in notice


def test_a_config_readable_by_others_that_holds_a_secret_is_reported(locations, config) -> None:
    config.plex.token = "plaintext-token-0123"
    save_config(locations.config_file, config)
    locations.config_file.chmod(0o644)
    with startup_environment(start_args(locations)) as startup:
        assert not startup.first_run
    assert startup.notices == [f"{locations.config_file} holds a secret and is readable by others (mode 0644); "
                               f"run: chmod 600 '{locations.config_file}'"]


def test_start_up_notices_are_shown_once_the_window_exists(qtbot, locations, config, secrets) -> None:
    app = PlexSyncApp(Startup(locations, config, secrets, notices=["First problem.", "Second problem."]),
                      tray_factory=QSystemTrayIcon, tray_available=lambda: True)
    try:
        app.start()
        assert app.problem_box is not None and app.problem_box.isVisible()
        assert app.problem_box.text() == "First problem.\n\nSecond problem."
    finally:
        app.window.quitting = True
        app.window.close()
        app.shutdown()


def test_a_corrupt_database_is_moved_aside_and_the_app_says_so(qtbot, locations, config, secrets) -> None:
    locations.data_dir.mkdir(parents=True, exist_ok=True)
    locations.database.write_bytes(b"this is not an SQLite database" * 100)
    app = PlexSyncApp(Startup(locations, config, secrets), tray_factory=QSystemTrayIcon, tray_available=lambda: True)
    try:
        app.start()
        qtbot.waitUntil(lambda: app.problem_box is not None, timeout=5000)
        [moved] = locations.data_dir.glob("plexsync.db.unreadable-*")
        assert f"it was moved to {moved} and a new one was started" in app.problem_box.text()
        assert moved.read_bytes() == b"this is not an SQLite database" * 100
        qtbot.waitUntil(lambda: bool(app.service.status), timeout=5000)  # and the worker runs on a fresh one
    finally:
        app.window.quitting = True
        app.window.close()
        app.shutdown()


def test_turned_off_certificate_checks_stay_visible_until_turned_back_on(qtbot, make_app, config) -> None:
    config.plex.verify_tls = False
    config.stash.verify_tls = False  # over http: no certificate, no warning
    config.plex.url = config.plex.url.replace("http:", "https:")  # the warning is about https only
    app = make_app(tray=True)
    app.window.show()
    assert app.window.tls_label.isVisible() and app.window.tls_label.text() == "⚠ TLS not verified: Plex"
    fixed = copy.deepcopy(config)
    fixed.plex.verify_tls = True
    app.apply_settings(fixed)
    assert not app.window.tls_label.isVisible()
