"""A small chart of syncs and failures per hour over the last day, above the Activity table.

Drawn with QPainter from the activity rows the window already holds (the most recent ACTIVITY_ROWS), so it costs no
query and no charting dependency. A busy day with more rows than that shows only its latest hours.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from PySide6.QtCore import QRectF, Qt, Slot
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from plexsync_gui.core.storage.store import ActivityEntry
from plexsync_gui.ui.models import KeyedTableModel
from plexsync_gui.ui.widgets import ERROR_COLOUR, OK_COLOUR

HOURS = 24
SYNCED_OUTCOMES = ("synced", "unchanged")


def hourly_counts(rows: Iterable[ActivityEntry], now: float, hours: int = HOURS) -> list[tuple[int, int]]:
    """(synced, failed) per hour, oldest hour first; the last bucket is the hour ending now."""
    buckets = [[0, 0] for _ in range(hours)]
    for row in rows:
        age = int((now - row.at) // 3600)
        if 0 <= age < hours:
            bucket = buckets[hours - 1 - age]
            if row.outcome in SYNCED_OUTCOMES:
                bucket[0] += 1
            elif row.outcome == "failed":
                bucket[1] += 1
    return [(synced, failed) for synced, failed in buckets]


class ActivityChart(QWidget):
    """Stacked bars: green syncs under red failures, one bar per hour; the tooltip gives the totals."""

    def __init__(self, model: KeyedTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.counts: list[tuple[int, int]] = [(0, 0)] * HOURS
        self.setMinimumHeight(56)
        self.setMaximumHeight(56)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset, model.dataChanged):
            signal.connect(self.refresh)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        rows = [self.model.row(row_id) for row_id in self.model.ids()]
        self.counts = hourly_counts([row for row in rows if isinstance(row, ActivityEntry)], time.time())
        synced = sum(s for s, _ in self.counts)
        failed = sum(f for _, f in self.counts)
        self.setToolTip(f"Last {HOURS} hours: {synced:,} synced, {failed:,} failed (one bar per hour)")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(4, 4, -4, -4)
        highest = max((s + f for s, f in self.counts), default=0) or 1
        slot = area.width() / len(self.counts)
        painter.setPen(Qt.PenStyle.NoPen)
        for number, (synced, failed) in enumerate(self.counts):
            left = area.left() + number * slot + 1
            bottom = area.bottom()
            for count, colour in ((synced, OK_COLOUR), (failed, ERROR_COLOUR)):
                height = area.height() * count / highest
                if height:
                    painter.setBrush(QColor(colour))
                    painter.drawRect(QRectF(left, bottom - height, max(slot - 2, 1), height))
                    bottom -= height
        painter.setPen(self.palette().mid().color())
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        painter.end()
