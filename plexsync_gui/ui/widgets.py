"""Small presentation helpers shared by the settings pages, so colours and hint styling are decided once."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

OK_COLOUR = "#2e7d32"
ERROR_COLOUR = "#c62828"
WARNING_COLOUR = "#8a5a00"
# Applied to the dialog: any widget whose "invalid" property is true gets a red frame.
INVALID_STYLE = f'*[invalid="true"] {{ border: 2px solid {ERROR_COLOUR}; border-radius: 3px; }}'


class WrappingLabel(QLabel):
    """A word-wrapped label that asks for the height its text needs at its current width.

    Below the window, Qt's box and grid layouts place widgets by size hints and ignore height-for-width, so a
    plain wrapped label whose text grows (a long check result) is clipped instead of pushing its neighbours aside.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self._fit()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        self.setMinimumHeight(0)  # QLabel.heightForWidth never answers less than the minimum height
        if self.text():
            self.setMinimumHeight(self.heightForWidth(max(self.width(), 1)))


def hint_label(text: str, warning: bool = False) -> QLabel:
    """A wrapped explanation in a smaller, muted (or warning-coloured) font."""
    label = WrappingLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.9)
    label.setFont(font)
    label.setStyleSheet(f"color: {WARNING_COLOUR};" if warning else "color: palette(placeholder-text);")
    return label


def set_result(label: QLabel, ok: bool | None, message: str) -> None:
    """Show a check or save outcome: green when it worked, red when not, plain while pending.

    Plain text only: the message may quote what a server sent (a library name, a page title).
    """
    label.setTextFormat(Qt.TextFormat.PlainText)
    if ok is None:
        label.setStyleSheet("")
        label.setText(message)
        return
    colour, mark = (OK_COLOUR, "✔") if ok else (ERROR_COLOUR, "✘")
    label.setStyleSheet(f"color: {colour}; font-weight: bold;")
    label.setText(f"{mark} {message}")


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
