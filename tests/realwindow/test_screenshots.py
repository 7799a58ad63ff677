"""The README's screenshots come from the demo app in a real X11 window: every view renders and stays small."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImage

from tests.realwindow.conftest import run_in_display

MAX_BYTES = 200_000


def test_screenshot_tool_captures_every_view(bare_display: str, tmp_path: Path) -> None:
    code = f"from pathlib import Path; from benchmarks.screenshots import capture; capture(Path({str(tmp_path)!r}))"
    done = run_in_display(bare_display, code, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ("queue", "failed", "activity"):
        path = tmp_path / f"{name}.png"
        image = QImage(str(path))
        assert not image.isNull() and image.width() >= 1000, name
        assert path.stat().st_size < MAX_BYTES, name
