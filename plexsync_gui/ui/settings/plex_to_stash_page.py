"""The "Plex → Stash" settings page: plays, resume points and ratings from Plex into Stash, off by default.

Like the other pages it shows part of a Config and writes it back into the TOML-shaped dict the dialog validates,
so the schema's rules (which values rating_wins takes) live in one place. The import button asks the worker, which
owns the connections; the page only shows the summary line it sends back.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QPushButton, QVBoxLayout, QWidget

from plexsync_gui.core.setup.config import Config
from plexsync_gui.ui.settings.pages import config_key, explained
from plexsync_gui.ui.widgets import WrappingLabel, hint_label, set_result

RATING_RULES = {"plex": "Plex wins: a rating changed in Plex replaces Stash's",
                "stash": "Stash wins: Plex's rating only fills in unrated scenes"}


class PlexToStashPage(QWidget):
    import_requested = Signal()

    def __init__(self, config: Config, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        settings = config.plex_to_stash
        self.enabled = QCheckBox("Bring what happens in Plex back into Stash")
        self.plays = QCheckBox("Plays, with the dates they happened in Plex")
        self.resume = QCheckBox("Where playback stopped (resume point)")
        self.rating = QCheckBox("Your Plex rating, as the Stash rating")
        self.rating_wins = QComboBox()
        for value, words in RATING_RULES.items():
            self.rating_wins.addItem(words, value)
        self.rating_wins.setCurrentIndex(max(self.rating_wins.findData(settings.rating_wins), 0))
        for box, name in ((self.enabled, "enabled"), (self.plays, "plays"), (self.resume, "resume"),
                          (self.rating, "rating")):
            box.setChecked(getattr(settings, name))
            config_key(box, f"plex_to_stash.{name}")
        config_key(self.rating_wins, "plex_to_stash.rating_wins")
        self.import_button = QPushButton("Import past plays now")
        self.import_button.setToolTip("Adds every play in Plex's history to Stash once, with the saved settings; "
                                      "running it again adds nothing")
        self.import_button.clicked.connect(self._import)
        self.import_result = WrappingLabel()

        layout = QVBoxLayout(self)
        explained(self.enabled, "Off by default: PlexSync otherwise only reads Stash. Checked at every poll.",
                   layout)
        layout.addWidget(self._parts_box())
        layout.addWidget(self._import_box())
        layout.addStretch(1)
        self.enabled.toggled.connect(self._follow)
        self.rating.toggled.connect(self._follow)
        self._follow()

    def _parts_box(self) -> QGroupBox:
        self.parts = QGroupBox("What comes from Plex")
        box = QVBoxLayout(self.parts)
        explained(self.plays, "Each Plex play is added to the scene's play history once, at its real date.", box)
        explained(self.resume, "A resume point set in Plex becomes the scene's resume time in Stash.", box)
        explained(self.rating, "Plex's 0-10 stars become Stash's 1-100 rating.", box)
        form = QFormLayout()
        form.addRow("When both have a rating:", self.rating_wins)
        box.addLayout(form)
        return self.parts

    def _import_box(self) -> QGroupBox:
        group = QGroupBox("Past plays")
        box = QVBoxLayout(group)
        box.addWidget(hint_label("Plays made before this was switched on are not read by the polls; import them "
                                 "once. Save your changes first."))
        box.addWidget(self.import_button)
        box.addWidget(self.import_result)
        return group

    @Slot()
    def _follow(self) -> None:
        """The parts only matter when the direction is on; the rating rule only with ratings."""
        self.parts.setEnabled(self.enabled.isChecked())
        self.rating_wins.setEnabled(self.rating.isChecked())

    @Slot()
    def _import(self) -> None:
        self.import_button.setEnabled(False)
        set_result(self.import_result, None, "Importing plays from Plex…")
        self.import_requested.emit()

    @Slot(str)
    def show_import_result(self, line: str) -> None:
        self.import_button.setEnabled(True)
        set_result(self.import_result, line.startswith("From Plex"), line)

    def apply(self, data: dict[str, Any]) -> None:
        data["plex_to_stash"] = {"enabled": self.enabled.isChecked(), "plays": self.plays.isChecked(),
                                 "resume": self.resume.isChecked(), "rating": self.rating.isChecked(),
                                 "rating_wins": self.rating_wins.currentData()}
