"""One PlexSync per user and config file: a second launch hands over to the running one and exits.

Two instances on one config would fight over the same queue and show two tray icons; and a user who starts the app
again usually just cannot find its window. So a second launch connects to the first over a local socket and asks it
to show itself. The name is per user (pipe names are global on Windows) and per config file, so a test or a second
profile with another config can run side by side.

On POSIX the socket lives in a folder only the user controls: $XDG_RUNTIME_DIR, or else `plexsync-<uid>` in the temp
folder, checked to be a real folder owned by the user with mode 0700. A socket name straight in the shared /tmp could
be taken first by another local user, whose server would then receive (and swallow) every start of the app.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import logging
import os
import stat
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

SHOW_COMMAND = b"plexsync:show\n"
_CONNECT_TIMEOUT_MS = 1000
_TOUCH_INTERVAL_MS = 6 * 3600 * 1000


class NoPrivateFolder(Exception):
    """No folder only this user controls could be found or made for the socket; the guard stays off."""


def instance_name(config_path: str | os.PathLike[str]) -> str:
    """The server name: a hash of who runs it and which config it serves; on POSIX inside the user's private folder.
    Raises NoPrivateFolder when that folder is not safe to use."""
    key = f"{_user_identity()}\0{Path(config_path).expanduser().resolve()}"
    name = "plexsync-" + hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    if os.name != "posix":
        return name  # a named pipe, limited to the user by UserAccessOption
    return os.path.join(_private_folder(), name)


def _private_folder() -> str:
    """$XDG_RUNTIME_DIR when it is what the spec promises (the user's, 0700); else `plexsync-<uid>` in the temp
    folder, made 0700, its mode repaired when it is the user's own, refused when it is anyone else's or a link."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(runtime) and _private_problem(runtime) is None:
        return runtime
    folder = os.path.join(tempfile.gettempdir(), f"plexsync-{os.getuid()}")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise NoPrivateFolder(f"cannot create {folder}: {exc.strerror or exc}") from None
    with contextlib.suppress(OSError):
        info = os.lstat(folder)
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != 0o700:
            os.chmod(folder, 0o700)  # ours, made under a umask (or loosened since): take it back
    problem = _private_problem(folder)
    if problem is not None:
        raise NoPrivateFolder(f"{folder} {problem}")
    return folder


def _private_problem(folder: str) -> str | None:
    """Why `folder` is not private to this user (None when it is): checked without following a symlink."""
    try:
        info = os.lstat(folder)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a folder (a symlink or a file)"
    if info.st_uid != os.getuid():
        return f"belongs to another user (uid {info.st_uid})"
    if stat.S_IMODE(info.st_mode) & 0o077:
        return f"is open to other users (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def _user_identity() -> str:
    if hasattr(os, "getuid"):
        return str(os.getuid())
    return f"{os.environ.get('USERDOMAIN', '')}\\{getpass.getuser()}"


class SingleInstance(QObject):
    """Call `handover()` first; when it returns False, call `listen()` and react to `show_requested`."""

    show_requested = Signal()

    def __init__(self, config_path: str | os.PathLike[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name: str | None = None
        try:
            self.name = instance_name(config_path)
        except NoPrivateFolder as exc:
            log.warning("single-instance guard off: %s; a second start will open a second window", exc)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_new_connection)
        self._touch_timer = QTimer(self)
        self._touch_timer.setInterval(_TOUCH_INTERVAL_MS)
        self._touch_timer.timeout.connect(self._keep_socket_fresh)

    def handover(self) -> bool:
        """True when a running instance took the show request (the caller exits 0); False when none answered."""
        if self.name is None:
            return False
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
        if self.name is None:
            return False
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
