"""The GUI-thread collector: automatic collection off, cycles still freed when the thresholds say so."""

from __future__ import annotations

import gc
import weakref

from plexsync_gui.ui.gc_guard import GuiThreadGarbageCollector


class Node:
    def __init__(self) -> None:
        self.me = self


def test_collects_cycles_when_a_threshold_is_passed(qtbot) -> None:
    collector = GuiThreadGarbageCollector()
    assert not gc.isenabled()
    node = Node()
    alive = weakref.ref(node)
    del node
    gc.set_threshold(1, 10, 10)
    try:
        for _ in range(5):
            Node()  # more garbage, so generation 0 passes its threshold
        collector.collect()
    finally:
        gc.set_threshold(700, 10, 10)
    assert alive() is None
