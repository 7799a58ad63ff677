"""The Rules page of the settings dialog: which scenes sync, which tags become genres, the title template, and per
field whether Stash wins or only fills an empty Plex field (`[rules]` in config.toml).

Like the other pages it only writes its values into the TOML-shaped dict the dialog validates with
config_from_dict, so the schema's own one-line errors (naming the key) are what the user sees.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.rules_config import FILL_EMPTY, STASH_WINS, FieldModes
from plexsync_gui.core.sync.rules import templated_title
from plexsync_gui.core.sync.scene import SceneMetadata
from plexsync_gui.core.sync.title_template import PLACEHOLDERS, check_template
from plexsync_gui.ui.settings.pages import FIELD_LABELS, config_key
from plexsync_gui.ui.widgets import hint_label, set_result

MODE_LABELS = {STASH_WINS: "Stash wins", FILL_EMPTY: "Only fill when empty"}
# The scene the title template is shown on while it is typed.
SAMPLE = SceneMetadata(scene_id="0", updated_at="", path=None, title="Sunset Walk", studio="Harbour Studio",
                       summary=None, date="2024-03-05", rating=None, performers=("Ada Lane", "Ben Ortiz"), tags=(),
                       screenshot_url=None)
SAMPLE_CODE = "HS-042"


class RulesPage(QWidget):
    def __init__(self, config: Config, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        rules = config.rules
        self.only_organized = QCheckBox("Only scenes marked organized in Stash")
        self.only_organized.setChecked(rules.only_organized)
        self.require_tag = _edit(rules.require_tag or "", "any scene", "rules.require_tag")
        self.genre_parent = _edit(rules.genre_parent_tag or "", "every tag", "rules.genre_parent_tag")
        self.exclude_tags = _edit(", ".join(rules.exclude_tags), "none", "rules.exclude_tags")
        self.title_template = _edit(rules.title_template, "{title}", "rules.title_template")
        self.title_example = QLabel()
        self.modes = {f.name: QComboBox() for f in fields(FieldModes)}
        for name, combo in self.modes.items():
            for mode, label in MODE_LABELS.items():
                combo.addItem(label, mode)
            combo.setCurrentIndex(combo.findData(getattr(rules.fields, name)))
            config_key(combo, f"rules.fields.{name}")
        config_key(self.only_organized, "rules.only_organized")

        layout = QVBoxLayout(self)
        layout.addWidget(self._scenes_box())
        layout.addWidget(self._genres_box())
        layout.addWidget(self._title_box())
        layout.addWidget(self._modes_box())
        layout.addStretch(1)
        self.title_template.textChanged.connect(self._show_example)
        self._show_example()

    def _scenes_box(self) -> QGroupBox:
        box = QGroupBox("Scenes to sync")
        form = QFormLayout(box)
        form.addRow(self.only_organized)
        form.addRow("Only scenes with the tag:", self.require_tag)
        form.addRow(hint_label("A scene that stops matching is left as it is in Plex; one that starts matching "
                               "is synced at the next check."))
        return box

    def _genres_box(self) -> QGroupBox:
        box = QGroupBox("Tags that become Plex genres")
        form = QFormLayout(box)
        form.addRow("Only tags under:", self.genre_parent)
        form.addRow("Never these tags:", self.exclude_tags)
        form.addRow(hint_label("\"Under\" counts children at any depth, not the parent tag itself. Separate "
                               "excluded tags with commas."))
        return box

    def _title_box(self) -> QGroupBox:
        box = QGroupBox("Plex title")
        form = QFormLayout(box)
        form.addRow("Title template:", self.title_template)
        form.addRow("Example:", self.title_example)
        form.addRow(hint_label(f"Placeholders: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}. When the result "
                               "is empty, the plain title is used."))
        return box

    def _modes_box(self) -> QGroupBox:
        box = QGroupBox("When Plex already has a value")
        grid = QGridLayout(box)
        grid.addWidget(hint_label("\"Only fill when empty\" writes a field only while it is empty in Plex, "
                                  "whoever filled it."), 0, 0, 1, 4)
        for position, (name, combo) in enumerate(self.modes.items()):
            row, column = 1 + position // 2, (position % 2) * 2
            grid.addWidget(QLabel(f"{FIELD_LABELS[name]}:"), row, column)
            grid.addWidget(combo, row, column + 1)
        return box

    @Slot()
    def _show_example(self) -> None:
        """The template on a sample scene, or what is wrong with it (the same check the config file gets)."""
        template = self.title_template.text().strip() or "{title}"
        try:
            check_template(template)
        except ValueError as exc:
            set_result(self.title_example, False, str(exc))
            return
        set_result(self.title_example, None, templated_title(SAMPLE, {"code": SAMPLE_CODE}, template) or "")

    def apply(self, data: dict[str, Any]) -> None:
        data["rules"] = {
            "only_organized": self.only_organized.isChecked(),
            "require_tag": self.require_tag.text(),
            "genre_parent_tag": self.genre_parent.text(),
            "exclude_tags": [name.strip() for name in self.exclude_tags.text().split(",") if name.strip()],
            "title_template": self.title_template.text(),
            "fields": {name: combo.currentData() for name, combo in self.modes.items()},
        }


def _edit(text: str, placeholder: str, key: str) -> QLineEdit:
    edit = QLineEdit(text)
    edit.setPlaceholderText(placeholder)
    config_key(edit, key)
    return edit
