"""Cyclic garbage is collected on the GUI thread only.

Python runs its cycle collector in whichever thread happens to allocate. When that is the sync worker's thread and
the garbage holds a Qt object (a dialog in a reference cycle, say), the object is deleted off its own thread and
PySide crashes. So automatic collection is off and a GUI-thread timer collects instead, by generation as the
thresholds ask (qutebrowser does the same).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot

INTERVAL_MS = 1000


class GuiThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect)
        self._timer.start()

    @Slot()
    def collect(self) -> int:
        """Collect the oldest generation whose count passed its threshold; returns what was collected."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                return gc.collect(generation)
        return 0
