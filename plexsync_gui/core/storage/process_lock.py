"""One processing process per data directory.

Two processors on one database would each think the other's in-progress job was orphaned by a crash and take it
again. An advisory file lock, released by the OS when the process dies (even by kill -9), rules that out.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from plexsync_gui.core.storage.private_files import make_private_dirs


class ProcessLockBusy(Exception):
    """Another PlexSync process is already processing this data directory."""


class ProcessLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "processing.lock"
        self._fd: int | None = None

    def __enter__(self) -> ProcessLock:
        make_private_dirs(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            raise ProcessLockBusy(f"another PlexSync is already processing {self.path.parent}") from None
        self._fd = fd
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined,unused-ignore]  # Windows only
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
