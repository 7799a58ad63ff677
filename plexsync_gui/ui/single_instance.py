"""One PlexSync per user and config file: a second launch hands over to the running one and exits.

Two instances on one config would fight over the same queue and show two tray icons; and a user who starts the app
again usually just cannot find its window. So a second launch connects to the first over a local socket and asks it
to show itself. The name is per user (pipe names are global on Windows) and per config file, so a test or a second
profile with another config can run side by side.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

SHOW_COMMAND = b"plexsync:show\n"
_CONNECT_TIMEOUT_MS = 1000
_TOUCH_INTERVAL_MS = 6 * 3600 * 1000


def instance_name(config_path: str | os.PathLike[str]) -> str:
    """The server name: a hash of who runs it and which config it serves, in the per-user runtime dir if any."""
    key = f"{_user_identity()}\0{Path(config_path).expanduser().resolve()}"
    name = "plexsync-" + hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.name == "posix" and os.path.isabs(runtime) and os.path.isdir(runtime):
        return os.path.join(runtime, name)  # private to the user and never swept by temp cleaners
    return name  # Qt puts it in the temp dir (POSIX) or makes it a named pipe (Windows)


def _user_identity() -> str:
    if hasattr(os, "getuid"):
        return str(os.getuid())
    return f"{os.environ.get('USERDOMAIN', '')}\\{getpass.getuser()}"


class SingleInstance(QObject):
    """Call `handover()` first; when it returns False, call `listen()` and react to `show_requested`."""

    show_requested = Signal()

    def __init__(self, config_path: str | os.PathLike[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = instance_name(config_path)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_new_connection)
        self._touch_timer = QTimer(self)
        self._touch_timer.setInterval(_TOUCH_INTERVAL_MS)
        self._touch_timer.timeout.connect(self._keep_socket_fresh)

    def handover(self) -> bool:
        """True when a running instance took the show request (the caller exits 0); False when none answered."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(_CONNECT_TIMEOUT_MS):
            return False
        socket.write(SHOW_COMMAND)
        delivered = socket.waitForBytesWritten(_CONNECT_TIMEOUT_MS) or socket.bytesToWrite() == 0
        socket.disconnectFromServer()
        if not delivered:
            log.warning("the running PlexSync accepted a connection but not the show request: %s",
                        socket.errorString())
        return delivered

    def listen(self) -> bool:
        """Serve show requests; clears a socket left behind by a crash first. False (logged) when that fails."""
        QLocalServer.removeServer(self.name)  # only after handover() found nobody: never steal a live name
        if not self._server.listen(self.name):
            log.warning("single-instance guard unavailable: %s", self._server.errorString())
            return False
        if os.name == "posix":
            self._touch_timer.start()
        return True

    def _on_new_connection(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(self._on_ready_read)
            socket.disconnected.connect(socket.deleteLater)

    def _on_ready_read(self) -> None:
        socket = self.sender()
        if not isinstance(socket, QLocalSocket):
            return
        data = bytes(socket.peek(len(SHOW_COMMAND) + 1).data())
        if data == SHOW_COMMAND:
            socket.readAll()
            socket.disconnectFromServer()
            self.show_requested.emit()
        elif not SHOW_COMMAND.startswith(data):  # a prefix may be a command still arriving
            log.warning("ignored an unknown single-instance message (%d bytes)", socket.bytesAvailable())
            socket.abort()
            socket.deleteLater()

    def _keep_socket_fresh(self) -> None:
        """macOS's temp cleaner and tmpfiles sweep files untouched for days; a tray app runs for weeks."""
        try:
            os.utime(self._server.fullServerName())
        except OSError as exc:
            log.debug("could not refresh the single-instance socket: %s", exc)
