"""`plexsync-gui`: command-line options and the composition root of the desktop app.

`PlexSyncApp` wires the pieces together and owns their lifetimes: the sync service (worker thread), the main
window, the tray controller, the notification policy and the settings dialog. Everything else only knows the
objects it is handed, so tests build exactly the parts they need.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from plexsync_gui import __version__
from plexsync_gui.core.setup.autostart import Autostart, autostart_for_platform, launch_command
from plexsync_gui.core.setup.config import Config, ConfigError, load_config
from plexsync_gui.core.setup.hardening import forbid_core_dumps
from plexsync_gui.core.setup.logs import setup_logging
from plexsync_gui.core.setup.secrets import Secrets, resolve_secrets
from plexsync_gui.core.setup.security import config_permission_problem, unverified_servers
from plexsync_gui.core.setup.session import DataDirUnusable, Locations, locate, prepare_folders
from plexsync_gui.core.storage.private_files import make_private_dirs
from plexsync_gui.core.storage.quarantine import move_aside
from plexsync_gui.ui.crash import install_crash_handler, install_signal_handlers
from plexsync_gui.ui.display import display_problem
from plexsync_gui.ui.gc_guard import GuiThreadGarbageCollector
from plexsync_gui.ui.main_window import MainWindow
from plexsync_gui.ui.notifications import NotificationPolicy
from plexsync_gui.ui.resources import icon
from plexsync_gui.ui.service import SyncService
from plexsync_gui.ui.single_instance import SingleInstance
from plexsync_gui.ui.tray import TrayController

if TYPE_CHECKING:
    from plexsync_gui.ui.preview_dialog import PreviewDialog
    from plexsync_gui.ui.settings.dialog import SettingsDialog

log = logging.getLogger(__name__)

TRAY_WAIT_MS = 30_000  # at login the panel may come up after us
TRAY_POLL_MS = 500
EXIT_CANNOT_START = 2  # as the CLI's exit code for bad input


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="plexsync-gui",
                                     description="PlexSync tray app: keeps Plex in step with Stash")
    parser.add_argument("--config", metavar="FILE", help="config file (env PLEXSYNC_CONFIG)")
    parser.add_argument("--data-dir", metavar="DIR", help="database and logs (env PLEXSYNC_DATA_DIR)")
    parser.add_argument("--demo", action="store_true", help="run against emulated servers with a seeded library")
    parser.add_argument("--background", action="store_true", help="start hidden in the tray (used at login)")
    parser.add_argument("-v", "--verbose", action="store_true", help="also log to the terminal")
    parser.add_argument("--self-check", action="store_true", help="check the installation and exit")
    parser.add_argument("--version", action="version", version=f"plexsync-gui {__version__}")
    return parser.parse_args(argv)


@dataclass
class Startup:
    """What the app starts with; `notices` are lines to show the user once the window exists (a config that could
    not be used and was moved aside, a config file others can read)."""

    locations: Locations
    config: Config
    secrets: Secrets
    first_run: bool = False
    notices: list[str] = field(default_factory=list)
    demo: bool = False
    instance_key: Path | None = None  # who counts as "the same PlexSync"; None: the config file

    @property
    def instance(self) -> Path:
        return self.instance_key or self.locations.config_file


@contextmanager
def startup_environment(args: argparse.Namespace) -> Iterator[Startup]:
    """The same --config/--data-dir/env rules as the CLI; with --demo, seeded emulators that live until exit."""
    if args.demo:
        from plexsync_gui.emulators.demo import demo_environment

        with demo_environment(args.data_dir) as (locations, config, secrets):
            yield Startup(locations, config, secrets, demo=True, instance_key=_demo_instance(args.data_dir))
        return
    locations = locate(args.config, args.data_dir)
    path = locations.config_file
    if not path.exists():
        yield Startup(locations, Config(), resolve_secrets(Config()), first_run=True)
        return
    try:
        config = load_config(path)
    except ConfigError as exc:
        yield Startup(locations, Config(), resolve_secrets(Config()), first_run=True, notices=[_set_aside(path, exc)])
        return
    problem = config_permission_problem(path, config)
    yield Startup(locations, config, resolve_secrets(config), notices=[problem] if problem else [])


def _demo_instance(data_dir: str | None) -> Path:
    """A demo without --data-dir lives in a new temporary folder each time, so its config file cannot tell two demo
    launches apart: they share one fixed key instead, and a second `--demo` raises the first."""
    if data_dir:
        return Path(data_dir).expanduser() / "demo-config.toml"
    return Path(tempfile.gettempdir()) / "plexsync-demo"


def _set_aside(path: Path, error: ConfigError) -> str:
    """Move a config the app cannot use out of the way (never deleted), so saving the settings cannot overwrite
    what the user wrote; returns the line that tells them where it went."""
    try:
        moved = move_aside(path, label="invalid")
    except OSError as exc:
        return (f"The config file cannot be used ({error}) and could not be moved aside ({exc.strerror or exc}). "
                f"Fix or move {path} by hand, then restart PlexSync.")
    log.error("config %s unusable (%s); moved to %s", path, error, moved)
    return (f"The config file could not be used ({error}). It was moved to {moved}; "
            "PlexSync starts with default settings.")


class PlexSyncApp(QObject):
    """The composition root: builds, connects and shuts down the app's parts."""

    def __init__(self, startup: Startup, background: bool = False,
                 tray_factory: Callable[[], QSystemTrayIcon] = QSystemTrayIcon,
                 tray_available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable,
                 autostart: Autostart | None = None, icons: Callable[[str], QIcon] = icon) -> None:
        super().__init__()
        self.startup = startup
        self.config, self.secrets = startup.config, startup.secrets
        self.background = background or startup.config.desktop.start_hidden
        self.autostart = autostart
        self._tray_available = tray_available
        self.service = SyncService(startup.locations, startup.config, startup.secrets, self)
        self.window = MainWindow(self.service)
        self.window.setWindowIcon(icons("plexsync"))
        self.window.show_unverified_tls(unverified_servers(startup.config))
        self.tray = TrayController(icons, tray_factory, self)
        self.notifications = NotificationPolicy(self.tray, startup.config.desktop, self)
        self.settings: SettingsDialog | None = None
        self.preview: PreviewDialog | None = None
        self.problem_box: QMessageBox | None = None
        self._started = False
        self._tray_waited = 0
        self._tray_timer = QTimer(self)
        self._tray_timer.setInterval(TRAY_POLL_MS)
        self._tray_timer.timeout.connect(self._check_tray)
        self._connect()

    def _connect(self) -> None:
        service, tray, window = self.service, self.tray, self.window
        service.status_changed.connect(tray.show_status)
        service.status_changed.connect(self.notifications.on_status)
        service.failures_added.connect(self.notifications.on_failures)
        service.problem.connect(self.show_problem)
        tray.open_requested.connect(window.raise_and_show)
        tray.toggle_requested.connect(self.toggle_window)
        tray.settings_requested.connect(self.open_settings)
        tray.sync_requested.connect(service.sync_now)
        tray.pause_toggled.connect(self.set_paused)
        tray.quit_requested.connect(self.quit)
        tray.message_clicked.connect(window.show_failed_tab)
        window.settings_requested.connect(self.open_settings)
        window.quit_requested.connect(self.quit)
        window.open_logs_requested.connect(self.open_log_folder)
        window.pause_toggled.connect(self.set_paused)
        window.preview_requested.connect(self.open_preview)
        window.ask_on_close = self._ask_on_close

    # ---- start and stop ----------------------------------------------------------------------------------------

    def start(self) -> None:
        if self.startup.first_run:  # until the first save; cancelling the settings leaves this in place
            self.window.show_not_set_up(True)
            self.tray.show_not_set_up(True)
        self.tray.show()  # Qt shows it as soon as a tray host exists, even one that appears later
        if self._tray_available():
            self._use_tray()
        elif self.background:
            self._tray_timer.start()  # wait for the panel before deciding to show the window
        else:
            self._tray_timer.start()
            self.window.raise_and_show()
        if not self.startup.first_run:
            self._start_syncing()
        if self.startup.notices:
            self.show_problem("\n\n".join(self.startup.notices))
        if self.startup.first_run:
            QTimer.singleShot(0, self.open_settings)

    def _start_syncing(self) -> None:
        if not self._started:
            self._started = True
            self.service.start()

    @Slot()
    def quit(self) -> None:
        """Quit for real: Qt closes the windows first, and the window must not offer to hide instead."""
        self.window.quitting = True
        QApplication.quit()

    def shutdown(self) -> None:
        """Runs on aboutToQuit: the worker finishes its job and closes the database before the process ends."""
        self._tray_timer.stop()
        self.service.shutdown()
        self.tray.hide()

    # ---- tray availability -------------------------------------------------------------------------------------

    @Slot()
    def _check_tray(self) -> None:
        self._tray_waited += TRAY_POLL_MS
        if self._tray_available():
            self._tray_timer.stop()
            self._use_tray()
        elif self._tray_waited >= TRAY_WAIT_MS:
            self._tray_timer.stop()
            log.warning("no system tray after %d s; running with the window only", TRAY_WAIT_MS // 1000)
            if not self.window.isVisible():
                self.window.raise_and_show()

    def _use_tray(self) -> None:
        log.info("tray icon shown")  # the app-start benchmark times the launch up to this line
        self.window.close_to_tray = True
        QApplication.setQuitOnLastWindowClosed(False)
        if not self.background:
            self.window.raise_and_show()

    def _ask_on_close(self) -> str:
        box = QMessageBox(QMessageBox.Icon.Question, "PlexSync",
                          "There is no tray icon on this desktop. Keep PlexSync syncing in the background?\n"
                          "Start PlexSync again to bring this window back.", parent=self.window)
        keep = box.addButton("Keep running", QMessageBox.ButtonRole.AcceptRole)
        quit_button = box.addButton("Quit", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        choices: dict[object, str] = {keep: "hide", quit_button: "quit"}
        return choices.get(box.clickedButton(), "cancel")

    @Slot()
    def show_for_second_launch(self) -> None:
        log.info("PlexSync was started again; showing the window")
        self.window.raise_and_show()

    @Slot()
    def toggle_window(self) -> None:
        if self.window.isVisible() and not self.window.isMinimized():
            self.window.hide()
        else:
            self.window.raise_and_show()

    # ---- user actions ------------------------------------------------------------------------------------------

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        self.service.set_paused(paused)

    @Slot()
    def open_settings(self) -> None:
        if self.settings is not None:
            self.settings.raise_()
            self.settings.activateWindow()
            return
        from plexsync_gui.ui.settings.dialog import SettingsDialog  # built on first use: most runs never open it

        self.settings = SettingsDialog(self.config, self.secrets, self.startup.locations.config_file,
                                       self.autostart, self.window, store_secrets=not self.startup.demo,
                                       offer_preview=self.startup.first_run)
        self.settings.saved.connect(self.apply_settings)
        self.settings.plex_to_stash.import_requested.connect(self.service.import_plays)
        self.service.plays_imported.connect(self.settings.plex_to_stash.show_import_result)
        self.settings.finished.connect(self._settings_closed)
        self.settings.show()

    @Slot()
    def _settings_closed(self) -> None:
        if self.settings is not None:
            self.settings.deleteLater()
            self.settings = None

    @Slot(object)
    def apply_settings(self, config: Config) -> None:
        """Saved settings apply at once: new secrets for redaction and the worker, new notification choices."""
        self.config = config
        self.secrets = resolve_secrets(config) if not self.startup.demo else self.secrets
        if self.startup.first_run:
            self.startup.first_run = False
            self.window.show_not_set_up(False)
            self.tray.show_not_set_up(False)
        setup_logging(self.startup.locations.log_dir, self.secrets.values(), verbose=False)
        self.notifications.settings = config.desktop
        self.window.show_unverified_tls(unverified_servers(config))
        self.service.apply_config(config, self.secrets)
        if self.settings is not None and self.settings.preview_first and not self._started:
            self.set_paused(True)  # queued before the start: nothing is written before the user says so
            self._start_syncing()
            self.open_preview(first_sync=True)
            return
        self._start_syncing()

    @Slot()
    def open_preview(self, first_sync: bool = False) -> None:
        """The preview window (one at a time), computed by the worker; before the first sync it offers to start."""
        from plexsync_gui.ui.preview_dialog import PreviewDialog  # built on first use, like the settings

        if self.preview is not None:
            self.preview.close()
        self.preview = PreviewDialog(self.service, first_sync, self.window)
        self.preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.preview.destroyed.connect(self._preview_closed)
        self.preview.start_requested.connect(lambda: self.set_paused(False))
        self.preview.show()
        self.preview.refresh()

    @Slot()
    def _preview_closed(self) -> None:
        self.preview = None

    @Slot(str)
    def show_problem(self, message: str) -> None:
        """Non-modal, so the tray, the worker and other windows keep going while the message is up."""
        log.warning("%s", message)
        self.window.raise_and_show()
        box = QMessageBox(QMessageBox.Icon.Warning, "PlexSync", message, QMessageBox.StandardButton.Ok, self.window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.problem_box = box

    @Slot()
    def open_log_folder(self) -> None:
        folder = self.startup.locations.log_dir
        make_private_dirs(folder)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def _autostart(args: argparse.Namespace) -> Autostart | None:
    """The login entry starts the app with the same explicit config and data folder as this launch."""
    if args.demo:
        return None
    extra: list[str] = []
    if args.config:
        extra += ["--config", str(Path(args.config).expanduser().resolve())]
    if args.data_dir:
        extra += ["--data-dir", str(Path(args.data_dir).expanduser().resolve())]
    return autostart_for_platform(launch_command(extra))


def _cannot_start(message: str) -> int:
    """A start that cannot go on: one line on stderr for a terminal launch, a message box for a desktop one."""
    print(f"plexsync-gui: {message}", file=sys.stderr)
    QMessageBox.critical(None, "PlexSync cannot start", f"PlexSync cannot start: {message}.")
    return EXIT_CANNOT_START


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # a process of its own (not an in-process caller such as a test): no core dumps
        forbid_core_dumps()
    args = parse_args(argv)
    if args.self_check:
        from plexsync_gui.ui.self_check import run_self_check

        return run_self_check()
    problem = display_problem()
    if problem:  # Qt would abort the process with a core dump and lines of plugin errors
        print(f"plexsync-gui: {problem}", file=sys.stderr)
        return EXIT_CANNOT_START
    app = QApplication(sys.argv[:1])
    app.setApplicationName("PlexSync")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("plexsync")
    app.setWindowIcon(icon("plexsync"))
    GuiThreadGarbageCollector(app)
    with startup_environment(args) as startup:
        try:
            prepare_folders(startup.locations)
        except DataDirUnusable as exc:
            return _cannot_start(str(exc))
        setup_logging(startup.locations.log_dir, startup.secrets.values(), args.verbose)
        instance = SingleInstance(str(startup.instance))
        if instance.handover():
            log.info("PlexSync is already running; asked it to show its window")
            return 0
        instance.listen()
        install_crash_handler(startup.locations.log_dir)
        plexsync = PlexSyncApp(startup, background=args.background, autostart=_autostart(args))
        install_signal_handlers(app, plexsync.quit)
        instance.show_requested.connect(plexsync.show_for_second_launch)
        app.aboutToQuit.connect(plexsync.shutdown)
        plexsync.start()
        log.info("PlexSync %s started (data in %s)", __version__, startup.locations.data_dir)
        return app.exec()
