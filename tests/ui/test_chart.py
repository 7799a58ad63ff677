"""The activity chart: syncs and failures per hour, drawn from the activity rows."""

from __future__ import annotations

from plexsync_gui.core.storage.store import ActivityEntry
from plexsync_gui.ui.chart import HOURS, ActivityChart, hourly_counts
from plexsync_gui.ui.models import ACTIVITY_COLUMNS, KeyedTableModel

NOW = 1_800_000_000.0


def entry(row_id: int, hours_ago: float, outcome: str) -> ActivityEntry:
    return ActivityEntry(row_id, NOW - hours_ago * 3600, str(row_id), f"Scene {row_id}", outcome, "")


def test_hourly_counts_put_each_outcome_in_its_hour() -> None:
    rows = [entry(1, 0.1, "synced"), entry(2, 0.5, "failed"), entry(3, 2.5, "unchanged"), entry(4, 2.9, "retry"),
            entry(5, 30, "synced")]
    counts = hourly_counts(rows, NOW)
    assert len(counts) == HOURS
    assert counts[-1] == (1, 1) and counts[-3] == (1, 0) and sum(s + f for s, f in counts) == 3


def test_chart_follows_the_model_and_paints(qtbot) -> None:
    import time
    model = KeyedTableModel(ACTIVITY_COLUMNS)
    chart = ActivityChart(model)
    qtbot.addWidget(chart)
    now = time.time()
    model.replace_all([ActivityEntry(1, now - 60, "1", "A", "synced", ""),
                       ActivityEntry(2, now - 120, "2", "B", "failed", "")])
    assert chart.counts[-1] == (1, 1)
    assert "1 synced, 1 failed" in chart.toolTip()
    chart.resize(400, 56)
    assert not chart.grab().isNull()
