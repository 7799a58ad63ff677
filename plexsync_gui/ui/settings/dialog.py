"""The settings dialog: edit the config, test both servers, choose libraries, launch at login; then save.

Validation is the config schema itself: the pages write their values into the TOML-shaped dict, config_from_dict
checks it on every edit, and the key named in its one-line ConfigError is mapped back to the widget to mark. So the
dialog can never accept what the CLI would reject, and the rules live in one place.

Usage (the app's composition root):
    dialog = SettingsDialog(config, resolve_secrets(config), locations.config_file, autostart, parent=window)
    dialog.saved.connect(app.apply_config)   # receives the Config as written to the file
    dialog.open()
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLineEdit, QPushButton, QTabWidget, QVBoxLayout, QWidget

from plexsync_gui.core.setup.config import Config, ConfigError, config_from_dict, config_to_dict
from plexsync_gui.core.setup.secrets import Secrets, keyring_available
from plexsync_gui.core.setup.settings_writer import NoKeyringError, SaveError, write_settings
from plexsync_gui.ui.settings.connections_page import PLAINTEXT_CHOICE, ConnectionsPage
from plexsync_gui.ui.settings.pages import BehaviourPage, FieldsPage, MatchingPage
from plexsync_gui.ui.settings.path_map_model import COLUMNS, SIDES
from plexsync_gui.ui.settings.plex_to_stash_page import PlexToStashPage
from plexsync_gui.ui.settings.rules_page import RulesPage
from plexsync_gui.ui.widgets import INVALID_STYLE, WrappingLabel, mark_invalid, set_result

if TYPE_CHECKING:
    from plexsync_gui.core.setup.autostart import Autostart

_PATH_MAP_KEY = re.compile(r"path_map #(\d+)(?:\.(stash|plex))?")


class SettingsDialog(QDialog):
    """Emits `saved(Config)` after the file was written; secrets are inside only when stored as plaintext."""

    saved = Signal(object)

    def __init__(self, config: Config, secrets: Secrets, config_path: Path, autostart: Autostart | None,
                 parent: QWidget | None = None, store_secrets: bool = True, offer_preview: bool = False) -> None:
        """`store_secrets` False: the secrets shown are built in (the demo's) and are never written anywhere.
        `offer_preview` (a new setup): a second save button asks to see what the first sync would change first
        (`preview_first`)."""
        super().__init__(parent)
        self.preview_first = False
        self._store_secrets = store_secrets
        self.setWindowTitle("PlexSync Settings")
        self.setStyleSheet(INVALID_STYLE)
        self.resize(680, 660)  # the tab pages' wrapped hints need more than Qt's size hint (no height-for-width)
        self._config = config
        self._path = config_path
        self.connections = ConnectionsPage(config, secrets, keyring_available())
        self.matching = MatchingPage(config, self.connections.detect_target)
        self.fields = FieldsPage(config)
        self.rules = RulesPage(config)
        self.fields.set_stash_key(self.connections.stash_key.text())
        self.connections.stash_key.textChanged.connect(self.fields.set_stash_key)
        self.behaviour = BehaviourPage(config, autostart)
        self.plex_to_stash = PlexToStashPage(config)
        self.tabs = QTabWidget()
        for page, title in ((self.connections, "Connections"), (self.matching, "Matching"),
                            (self.fields, "Fields"), (self.rules, "Rules"), (self.behaviour, "Behaviour"),
                            (self.plex_to_stash, "Plex → Stash")):
            self.tabs.addTab(page, title)
        self.status = WrappingLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.preview_button: QPushButton | None = None
        if offer_preview:
            self.preview_button = self.buttons.addButton("Save and preview changes…",
                                                         QDialogButtonBox.ButtonRole.ActionRole)
            self.preview_button.setToolTip("Save, then show what the first sync would write to Plex before "
                                           "anything is written")
            self.preview_button.clicked.connect(self._save_and_preview)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._connect_validation()
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        self._validate()

    def _connect_validation(self) -> None:
        for edit in (self.connections.stash_url, self.connections.plex_url, self.connections.stash_tls.ca_bundle,
                     self.connections.plex_tls.ca_bundle, self.connections.plex_token):
            edit.textChanged.connect(self._validate)
        self.connections.stash_tls.verify.toggled.connect(self._validate)
        self.connections.plex_tls.verify.toggled.connect(self._validate)
        self.matching.path_map.edited.connect(self._validate)
        for edit in (self.rules.require_tag, self.rules.genre_parent, self.rules.exclude_tags,
                     self.rules.title_template):
            edit.textChanged.connect(self._validate)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # The OS entry is the truth and may have changed since the last opening; a spontaneous show (restored
        # from minimised) is not an opening and must not undo an unsaved tick.
        if self.behaviour.launch is not None and not event.spontaneous():
            self.behaviour.launch.refresh()

    # ---- validation --------------------------------------------------------------------------------------------

    def edited_config(self) -> Config:
        """The config as edited, validated by the schema (ConfigError names the offending key)."""
        data: dict[str, Any] = config_to_dict(self._config)
        data["stash"].pop("api_key", None)  # secrets are the writer's business (keyring or, if allowed, file)
        data["plex"].pop("token", None)
        for page in (self.connections, self.matching, self.fields, self.rules, self.behaviour, self.plex_to_stash):
            page.apply(data)
        return config_from_dict(data)

    @Slot()
    def _validate(self) -> Config | None:
        for widget in [*(widget for _, widget in self._keyed_fields().values()), self.connections.plex_token]:
            mark_invalid(widget, False)
        self.matching.path_map.mark_invalid(None)
        try:
            config = self.edited_config()
        except ConfigError as exc:
            key, _, problem = str(exc).partition(": ")
            set_result(self.status, False, f"{self._mark(key)}: {problem}")
            self._enable_save(False)
            return None
        if not self.connections.secrets().plex_token:
            mark_invalid(self.connections.plex_token, True)
            set_result(self.status, False, "Plex token: enter the X-Plex-Token (Plex refuses PlexSync without one)")
            self._enable_save(False)
            return None
        self.status.setText("")
        self._enable_save(True)
        return config

    def _enable_save(self, enabled: bool) -> None:
        self.save_button.setEnabled(enabled)
        if self.preview_button is not None:
            self.preview_button.setEnabled(enabled)

    def _keyed_fields(self) -> dict[str, tuple[str, QLineEdit]]:
        """Config key -> (the name the user knows the field by, the field) for the single-line fields."""
        page = self.connections
        return {"stash.url": ("Stash URL", page.stash_url), "plex.url": ("Plex URL", page.plex_url),
                "stash.ca_bundle": ("Stash CA bundle", page.stash_tls.ca_bundle),
                "plex.ca_bundle": ("Plex CA bundle", page.plex_tls.ca_bundle),
                "rules.title_template": ("Title template", self.rules.title_template),
                "rules.exclude_tags": ("Never these tags", self.rules.exclude_tags)}

    def _mark(self, key: str) -> str:
        """Mark the widget behind a config key; returns the name the user knows that widget by."""
        fields = self._keyed_fields()
        if key in fields:
            label, widget = fields[key]
            mark_invalid(widget, True)
            return label
        match = _PATH_MAP_KEY.fullmatch(key)
        if match:
            row, column = int(match.group(1)) - 1, SIDES.index(match.group(2) or "stash")
            self.matching.path_map.mark_invalid((row, column))
            return f"Path mapping row {row + 1}, {COLUMNS[column]}"
        return key

    # ---- saving ------------------------------------------------------------------------------------------------

    @Slot()
    def _save(self) -> None:
        config = self._validate()
        if config is None:
            return
        try:
            secrets = self.connections.secrets() if self._store_secrets else None
            written = write_settings(self._path, config, secrets, self.connections.plaintext_allowed())
        except NoKeyringError as exc:
            self.connections.offer_plaintext()
            self.tabs.setCurrentWidget(self.connections)
            set_result(self.status, False, f"{exc}: tick \"{PLAINTEXT_CHOICE}\" or clear them")
            return
        except SaveError as exc:
            set_result(self.status, False, str(exc))
            return
        self._config = written
        self.saved.emit(written)
        if self._apply_launch_at_login():
            self.accept()

    @Slot()
    def _save_and_preview(self) -> None:
        self.preview_first = True
        self._save()
        if self.isVisible():  # not saved after all: a plain Save later starts syncing as before
            self.preview_first = False

    def _apply_launch_at_login(self) -> bool:
        if self.behaviour.launch is None:
            return True
        try:
            self.behaviour.launch.apply()
        except SaveError as exc:
            self.tabs.setCurrentWidget(self.behaviour)
            set_result(self.status, False, f"Settings saved, but: {exc}")
            return False
        return True
