"""Render every icon at tray and launcher sizes on a light and a dark panel into one contact sheet, to look at.

Icons must stay legible at 22 px on both panel colours; numbers cannot tell that, eyes can. Usage:
    QT_QPA_PLATFORM=offscreen python scripts/render_icons.py /tmp/icon-sheet.png
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
PANELS = (QColor("#f2f2f2"), QColor("#2b2b2b"))
ZOOM = 4  # the 22 px render is also shown enlarged, pixel for pixel
PAD = 10


def render(svg: Path, size: int, panel: QColor) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(panel)
    painter = QPainter(image)
    QSvgRenderer(str(svg)).render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def contact_sheet(svgs: list[Path]) -> QImage:
    cell_w, row_h = 22 + 22 * ZOOM + 64 + 4 * PAD, 22 * ZOOM + 2 * PAD
    sheet = QImage(len(svgs) * cell_w, len(PANELS) * row_h, QImage.Format.Format_ARGB32)
    painter = QPainter(sheet)
    for row, panel in enumerate(PANELS):
        painter.fillRect(0, row * row_h, sheet.width(), row_h, panel)
        for col, svg in enumerate(svgs):
            x, y = col * cell_w + PAD, row * row_h + PAD
            small = render(svg, 22, panel)
            painter.drawImage(x, y, small)
            painter.drawImage(x + 22 + PAD, y, small.scaled(22 * ZOOM, 22 * ZOOM, Qt.AspectRatioMode.IgnoreAspectRatio,
                                                            Qt.TransformationMode.FastTransformation))
            painter.drawImage(x + 22 + 22 * ZOOM + 2 * PAD, y, render(svg, 64, panel))
    painter.end()
    return sheet


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    _app = QGuiApplication([])
    svgs = sorted(ICONS.glob("*.svg"))
    if not contact_sheet(svgs).save(sys.argv[1]):
        print(f"could not write {sys.argv[1]}", file=sys.stderr)
        return 1
    print(f"{len(svgs)} icons -> {sys.argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
