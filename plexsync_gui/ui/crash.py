"""Last-resort handling: an uncaught exception shows a dialog and is logged; SIGINT/SIGTERM quit in order.

A Python exception raised in a Qt slot would otherwise print to a terminal nobody sees. The dialog shows the
versions and the traceback with a Copy button; `faulthandler` writes hard crashes (segfaults) to a file in the log
folder so they are not lost either.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import platform
import signal
import socket
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QCoreApplication, QSocketNotifier, QTimer, qVersion
from PySide6.QtWidgets import QApplication, QMessageBox

from plexsync_gui import __version__
from plexsync_gui.core.storage.private_files import make_private_dirs, open_private_append

log = logging.getLogger(__name__)

_fault_file: IO[str] | None = None
_wakeup_sockets: tuple[socket.socket, socket.socket] | None = None
_quit_app: Callable[[], None] = QCoreApplication.quit


def crash_report(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    versions = (f"PlexSync {__version__}, Qt {qVersion()}, PySide6 {pyside_version}, "
                f"Python {platform.python_version()}, {platform.platform()}")
    return versions + "\n\n" + "".join(traceback.format_exception(exc_type, exc, tb))


def install_crash_handler(log_dir: Path) -> None:
    global _fault_file
    make_private_dirs(log_dir)
    _fault_file = open_private_append(log_dir / "crash.log")  # lives as long as the app
    faulthandler.enable(_fault_file)
    sys.excepthook = _excepthook


def _excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        QCoreApplication.quit()
        return
    report = crash_report(exc_type, exc, tb)
    log.error("uncaught exception\n%s", report)
    if QApplication.instance() is None:
        return
    box = QMessageBox(QMessageBox.Icon.Critical, "PlexSync hit an unexpected error",
                      f"{exc_type.__name__}: {exc}\n\nPlexSync keeps running; the details are in the log. "
                      "Please include them when you report this.")
    box.setDetailedText(report)
    copy = box.addButton("Copy details", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()
    if box.clickedButton() is copy:
        QApplication.clipboard().setText(report)


def install_signal_handlers(app: QCoreApplication, quit_app: Callable[[], None]) -> None:
    """SIGINT/SIGTERM wake the event loop through a socket, so `aboutToQuit` and the ordered shutdown run."""
    global _wakeup_sockets, _quit_app
    _quit_app = quit_app
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    _wakeup_sockets = (reader, writer)
    signal.set_wakeup_fd(writer.fileno())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)
    notifier.activated.connect(_drain_wakeup)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _quit_on_signal)


def _drain_wakeup() -> None:
    if _wakeup_sockets is not None:
        with contextlib.suppress(BlockingIOError):
            _wakeup_sockets[0].recv(64)


def _quit_on_signal(signum: int, _frame: object) -> None:
    """Quit from inside the event loop: a signal that lands before `app.exec()` started (during start-up) would
    otherwise call a quit that Qt ignores when no loop runs, and the app would carry on."""
    log.info("signal %d: quitting", signum)
    QTimer.singleShot(0, _quit_app)
