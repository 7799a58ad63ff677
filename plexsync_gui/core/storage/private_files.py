"""Files and folders only their user may open: the database with its SQLite companions, the logs, their folders.

They hold scene titles, file paths and error texts; created under the usual umask (022) they would be readable by
every local user. Each mode is set explicitly after creating, so no umask (not even 000) makes them wider.

Folders: the ones PlexSync creates get 0700 (the XDG base-directory rule for folders an app creates). A folder that
already exists is only tightened when PlexSync named it itself (see `Locations.own_dirs`); a folder the user named
may hold other things of theirs, and its mode is their business.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

DIR_MODE = 0o700
FILE_MODE = 0o600
_SHARED_BITS = 0o077  # group and others


def make_private_dirs(path: Path) -> None:
    """Create `path` and its missing parents with mode 0700; folders that exist already are left as they are.

    Raises OSError when a folder cannot be created (a file in the way, no permission); callers phrase it.
    """
    missing: list[Path] = []
    current = path
    while not os.path.lexists(current) and current != current.parent:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, DIR_MODE)
        except FileExistsError:  # another thread or process made it meanwhile: theirs to set
            continue
        _set_mode(folder, DIR_MODE)  # the umask may have taken owner bits off; make it exact


def create_private_file(path: Path) -> None:
    """Create an empty file with mode 0600 unless something exists there; an existing file of ours is tightened.

    The database is created this way before SQLite opens it: SQLite gives its -wal and -shm files the database
    file's own mode, so they are private too, whatever the umask.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        tighten(path)
        return
    try:
        _set_mode(fd, FILE_MODE)
    finally:
        os.close(fd)


def open_private_append(path: Path, encoding: str | None = "utf-8", errors: str | None = None) -> IO[str]:
    """A text file opened for appending, created with mode 0600 (an existing one of ours is tightened)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    try:
        if _is_ours(os.fstat(fd)):
            _set_mode(fd, FILE_MODE)
        return open(fd, "a", encoding=encoding, errors=errors)
    except BaseException:
        os.close(fd)
        raise


def tighten(path: Path) -> None:
    """Take the group and other bits off a regular file or folder of ours (one an older version created under the
    umask). Owner bits stay as they are, symlinks and other users' files are left alone; missing is fine."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)) or not _is_ours(info):
        return
    mode = stat.S_IMODE(info.st_mode)
    if mode & _SHARED_BITS:
        _set_mode(path, mode & ~_SHARED_BITS)


def _is_ours(info: os.stat_result) -> bool:
    return os.name == "posix" and info.st_uid == os.getuid()


def _set_mode(target: Path | int, mode: int) -> None:
    """chmod by path or descriptor; a no-op off POSIX, where modes do not say who may read."""
    if os.name != "posix":
        return
    if isinstance(target, int):
        os.fchmod(target, mode)
    else:
        os.chmod(target, mode)
