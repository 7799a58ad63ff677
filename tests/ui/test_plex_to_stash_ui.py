"""The Plex → Stash direction in the desktop app: its settings page, the import button through the worker, and
the Activity tab saying what came from Plex."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from plexsync_gui.core.setup.config import Config, load_config, save_config
from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.storage.store import ActivityEntry
from plexsync_gui.ui.models import ACTIVITY_COLUMNS, KeyedTableModel
from plexsync_gui.ui.settings.dialog import SettingsDialog
from tests.ui.conftest import settled

OUTCOME_COLUMN = [c.title for c in ACTIVITY_COLUMNS].index("Outcome")


def test_page_is_off_by_default_and_writes_its_section(qtbot, tmp_path) -> None:
    dialog = SettingsDialog(Config(), Secrets("token-for-the-page", None), tmp_path / "config.toml", None)
    qtbot.addWidget(dialog)
    page = dialog.plex_to_stash
    assert dialog.tabs.tabText(dialog.tabs.indexOf(page)) == "Plex → Stash"
    assert not page.enabled.isChecked() and not page.parts.isEnabled()
    assert page.plays.isChecked() and not page.resume.isChecked() and not page.rating.isChecked()
    assert not page.rating_wins.isEnabled()
    assert page.enabled.toolTip() == "In config.toml: plex_to_stash.enabled"

    page.enabled.setChecked(True)
    page.rating.setChecked(True)
    page.rating_wins.setCurrentIndex(page.rating_wins.findData("stash"))
    assert page.parts.isEnabled() and page.rating_wins.isEnabled()

    edited = dialog.edited_config()
    assert (edited.plex_to_stash.enabled, edited.plex_to_stash.rating, edited.plex_to_stash.rating_wins) == \
        (True, True, "stash")
    save_config(tmp_path / "config.toml", edited)
    assert load_config(tmp_path / "config.toml").plex_to_stash == edited.plex_to_stash


def test_activity_shows_what_came_from_plex(qtbot) -> None:
    asked: list[str] = []
    model = KeyedTableModel(ACTIVITY_COLUMNS)
    model.thumbnails = lambda scene_id: asked.append(scene_id)
    model.replace_all([
        ActivityEntry(id=1, at=1_750_000_000.0, scene_id="7", title="Watched", outcome="from_plex",
                      detail="2 plays (last 2025-06-15T15:06:40Z), rating 8 of 10"),
        ActivityEntry(id=2, at=1_750_000_001.0, scene_id="8", title="Edited", outcome="synced", detail="title"),
        ActivityEntry(id=3, at=1_750_000_002.0, scene_id="", title="Plex → Stash", outcome="from_plex",
                      detail="This Stash does not offer sceneAddPlay"),
    ])
    shown = {model.index(r, 1).data(): model.index(r, OUTCOME_COLUMN) for r in range(model.rowCount())}
    assert shown["7"].data() == "← From Plex" and shown["8"].data() == "synced"
    assert "from Plex into Stash" in shown["7"].data(Qt.ItemDataRole.ToolTipRole)
    assert "from Stash to Plex" in shown["8"].data(Qt.ItemDataRole.ToolTipRole)
    title_column = [c.title for c in ACTIVITY_COLUMNS].index("Title")
    for row in range(model.rowCount()):
        model.index(row, title_column).data(Qt.ItemDataRole.DecorationRole)
    assert sorted(asked) == ["7", "8"]  # the note without a scene asks for no poster


@pytest.mark.integration
def test_import_button_runs_in_the_worker_and_fills_the_activity(qtbot, make_service, library, plex, config,
                                                                  tmp_path) -> None:
    _, rating_key = library.add(title="Watched in Plex")
    service = make_service()
    qtbot.waitUntil(lambda: service.status.get("synced") == 1 and settled(service), timeout=15000)
    plex.add_play(rating_key, 1_750_000_000)
    dialog = SettingsDialog(config, Secrets("token-for-the-page", None), tmp_path / "config.toml", None)
    qtbot.addWidget(dialog)
    page = dialog.plex_to_stash
    page.import_requested.connect(service.import_plays)
    service.plays_imported.connect(page.show_import_result)

    with qtbot.waitSignal(service.plays_imported, timeout=15000) as done:
        page.import_button.click()
        assert not page.import_button.isEnabled()
    assert done.args == ["From Plex: 1 new play, 0 ratings, 0 resume points on 1 scene"]
    assert page.import_button.isEnabled() and page.import_result.text().endswith(done.args[0])

    def from_plex_rows() -> list[str]:
        service.flush()
        model = service.activity_model
        return [model.index(r, 2).data() for r in range(model.rowCount())
                if model.index(r, OUTCOME_COLUMN).data() == "← From Plex"]

    qtbot.waitUntil(lambda: from_plex_rows() == ["Watched in Plex"], timeout=10000)
