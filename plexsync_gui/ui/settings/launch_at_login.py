"""The "Launch at login" row: a checkbox that shows the OS entry's real state, and a repair for stale entries.

The OS entry is the source of truth (desktop-conventions §6): the state is read every time the dialog is shown,
never cached in the config, and the checkbox only changes the entry when the dialog is saved. A stale entry (left
by an older install or a moved copy) is repaired on the spot, because starting the wrong program at login is a bug
the user should not have to save settings to fix.
"""

from __future__ import annotations

import logging
import shlex
from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from plexsync_gui.core.setup.autostart import AutostartError
from plexsync_gui.core.setup.settings_writer import SaveError, set_launch_at_login
from plexsync_gui.ui.widgets import WrappingLabel, hint_label, set_result

if TYPE_CHECKING:
    from plexsync_gui.core.setup.autostart import Autostart, AutostartState

log = logging.getLogger(__name__)

STALE_TEXT = "The login entry points at an old location"


class LaunchAtLogin(QWidget):
    def __init__(self, autostart: Autostart, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._autostart = autostart
        self._enabled_in_os = False
        self.checkbox = QCheckBox("Launch PlexSync at login")
        self.details = hint_label("")
        self.stale = hint_label(STALE_TEXT, warning=True)
        self.repair = QPushButton("Repair")
        self.result = WrappingLabel()

        stale_row = QHBoxLayout()
        stale_row.addWidget(self.stale, 1)
        stale_row.addWidget(self.repair)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.checkbox)
        layout.addWidget(self.details)
        layout.addLayout(stale_row)
        layout.addWidget(self.result)
        self.repair.clicked.connect(self._repair)

    def refresh(self) -> None:
        """Read the OS entry again and show it as it is."""
        self.result.setText("")
        self.result.hide()
        try:
            state = self._autostart.state()
            where = self._autostart.describe()
        except (AutostartError, OSError) as exc:  # an unreadable entry must not keep the settings from opening
            log.warning("launch at login: reading the entry failed")
            self._show_unreadable(exc)
            return
        self._show(state, where)

    def _show(self, state: AutostartState, where: str) -> None:
        self._enabled_in_os = state.enabled
        self.checkbox.setEnabled(True)
        self.checkbox.setChecked(state.enabled)
        lines = [f"Entry: {where}"]
        if state.command:
            lines.append(f"Runs: {shlex.join(state.command)}")
        self.details.setText("\n".join(lines))
        self.stale.setVisible(state.stale)
        self.repair.setVisible(state.stale)

    def _show_unreadable(self, exc: Exception) -> None:
        self.checkbox.setEnabled(False)
        self.stale.hide()
        self.repair.hide()
        self.details.setText("")
        self._report(False, f"Cannot read the login entry: {exc}")

    def _report(self, ok: bool, message: str) -> None:
        set_result(self.result, ok, message)
        self.result.show()

    @Slot()
    def _repair(self) -> None:
        try:
            set_launch_at_login(self._autostart, True)
        except SaveError as exc:
            self._report(False, str(exc))
            return
        self.refresh()
        self._report(True, "Login entry repaired")

    def apply(self) -> None:
        """Change the OS entry when the checkbox differs from it; SaveError with one line on failure."""
        wanted = self.checkbox.isChecked()
        if self.checkbox.isEnabled() and wanted != self._enabled_in_os:
            set_launch_at_login(self._autostart, wanted)
            self._enabled_in_os = wanted
