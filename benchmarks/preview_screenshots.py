"""Screenshots of the preview and undo views: the demo with its first sync paused, "Preview changes…" over it,
then the window after undoing one scene's changes. Run on an X display (Xvfb), as benchmarks/screenshots.py does:

    DISPLAY=:95 QT_QPA_PLATFORM=xcb python -m benchmarks.preview_screenshots [docs/screenshots]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def capture(out_dir: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from benchmarks.screenshots import settle
    from plexsync_gui.emulators.demo import demo_environment
    from plexsync_gui.ui.main_window import MainWindow
    from plexsync_gui.ui.preview_dialog import PreviewDialog
    from plexsync_gui.ui.service import SyncService

    app = QApplication([])

    with demo_environment() as (locations, config, secrets):
        service = SyncService(locations, config, secrets)
        service.set_paused(True)  # as a new setup's "Save and preview changes…" leaves it
        service.start()
        window = MainWindow(service, confirm=lambda _title, _question: True)
        window.resize(1180, 660)
        window.show()
        dialog = PreviewDialog(service, first_sync=True, parent=window)
        dialog.start_requested.connect(lambda: service.set_paused(False))  # as the app connects it
        dialog.show()
        dialog.refresh()
        settle(app, lambda: dialog.model.rowCount() > 0)
        _pause(app)
        dialog.grab().save(str(out_dir / "preview.png"))
        if dialog.start_button is not None:
            dialog.start_button.click()
        settle(app, lambda: (bool(service.status) and not service.status["due"]
                             and service.activity_model.rowCount() > 5))
        service.flush()
        window.tabs.setCurrentWidget(window.activity_page)
        window.activity_page.view.selectRow(0)
        window.undo_selected()
        settle(app, lambda: window.undo_box is not None, 30.0)
        _pause(app)
        window.grab().save(str(out_dir / "undo.png"))
        service.shutdown()


def _pause(app: object, seconds: float = 0.5) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()  # type: ignore[attr-defined]


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "docs" / "screenshots").resolve()
    target.mkdir(parents=True, exist_ok=True)
    capture(target)
