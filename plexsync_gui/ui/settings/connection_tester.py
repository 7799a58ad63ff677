"""Runs a connection check on the global QThreadPool and hands its result back in the GUI thread.

A check can block for the whole timeout (a host that drops packets), so it must never run in the GUI thread. The
pool thread emits a signal of a small relay QObject that lives in the GUI thread; the relay is connected to a
bound method of the tester (a GUI-thread QObject), which PySide runs in the GUI thread (desktop-conventions §2).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from plexsync_gui.core.setup.connection_check import CheckResult

log = logging.getLogger(__name__)

Check = Callable[[], CheckResult]


class _Relay(QObject):
    """Created in the GUI thread, emitted from the pool thread: Qt queues the delivery to the GUI thread."""

    done = Signal(object)


class _CheckTask(QRunnable):
    def __init__(self, check: Check, relay: _Relay) -> None:
        super().__init__()
        self._check = check
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._check()
        except Exception as exc:  # a bug in a check must become a red line in the dialog, not a dead button
            log.exception("connection check failed")
            result = CheckResult(False, f"internal error: {type(exc).__name__} (details in the log)")
        self._relay.done.emit(result)


class ConnectionTester(QObject):
    """One check at a time for one server; `finished(CheckResult)` arrives in the GUI thread."""

    finished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._relay: _Relay | None = None  # also keeps the relay alive until its result was delivered here

    @property
    def running(self) -> bool:
        return self._relay is not None

    def start(self, check: Check) -> None:
        if self.running:
            raise RuntimeError("a connection check is already running")
        relay = _Relay()
        relay.done.connect(self._deliver)
        self._relay = relay
        QThreadPool.globalInstance().start(_CheckTask(check, relay))

    @Slot(object)
    def _deliver(self, result: CheckResult) -> None:
        self._relay = None
        self.finished.emit(result)
