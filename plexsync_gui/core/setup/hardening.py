"""No core dumps: a dump of PlexSync's memory holds the Plex token and the Stash API key in plain text.

Both entry points call `forbid_core_dumps` first thing. Two layers, because each alone has a gap on Linux:
- RLIMIT_CORE (0, 0): the kernel writes no core file, and the hard limit of 0 cannot be raised again by the process
  or its children. A `core_pattern` that pipes dumps to a collector (systemd-coredump, apport) is not bound by this
  limit in the kernel; the collectors honour it by convention only.
- PR_SET_DUMPABLE 0: the kernel produces no dump at all, piped or not. It also keeps other processes of the same
  user from attaching a debugger or reading this process's memory and environment under /proc (so a debugger or
  py-spy needs root while PlexSync runs; faulthandler's tracebacks in crash.log still work).
Elsewhere (macOS, Windows) only the resource limit applies where it exists.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

PR_SET_DUMPABLE = 4  # <linux/prctl.h>


def forbid_core_dumps() -> None:
    """Best effort: a platform without these calls simply keeps its defaults."""
    try:
        import resource
    except ImportError:  # Windows: no core files to begin with
        return
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError) as exc:
        log.warning("could not turn core dumps off: %s", exc)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
            log.warning("could not mark the process not dumpable (errno %d)", ctypes.get_errno())
