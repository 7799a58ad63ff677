"""The window's preview and undo against a live service and the emulated servers: computed by the worker, shown
in a table model, undo after a confirmation, and the first-sync offer of a new setup."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QSystemTrayIcon

from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.ui.app import PlexSyncApp, Startup
from plexsync_gui.ui.main_window import MainWindow
from plexsync_gui.ui.preview_dialog import PreviewDialog
from plexsync_gui.ui.worker import ALL_SCENES
from tests.integration.test_preview_undo import comparable, seed_plex_item
from tests.servers import PLEX_TOKEN, STASH_KEY
from tests.ui.conftest import settled
from tests.ui.test_main_window import Answers, select_rows

pytestmark = pytest.mark.integration


def test_preview_dialog_shows_plex_now_and_would_write_without_writing(qtbot, make_service, library, plex) -> None:
    scene_id, rating_key = seed_plex_item(plex, library)
    service = make_service()
    service.set_paused(True)
    dialog = PreviewDialog(service, first_sync=True)
    qtbot.addWidget(dialog)
    assert dialog.selection.currentData() == ALL_SCENES
    plex.clear_log()
    dialog.show()
    dialog.refresh()
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=10000)
    rows = {(r.scene_id, r.field): (r.plex_now, r.would_write, r.note) for r in dialog.model.rows}
    assert rows[(scene_id, "title")] == ("Plex Title", "Stash Title", "changes")
    assert rows[(scene_id, "tags")] == ("Old Genre, Kept, with comma", "Outdoor", "changes")
    assert rows[(scene_id, "collection")] == ("My Picks", "My Picks, Stash Studio", "changes")
    assert dialog.summary.text().startswith("1 scene(s) would change")
    assert plex.count("PUT") == plex.count("POST") == 0
    assert plex.item_state(rating_key)["title"] == "Plex Title"


def test_undo_selected_in_activity_restores_after_confirmation(qtbot, make_service, library, plex) -> None:
    first, first_key = seed_plex_item(plex, library)
    _, second_key = seed_plex_item(plex, library, plex_title="Other", title="Second")
    seeded = comparable(plex.item_state(first_key))
    service = make_service()
    answers = Answers(True)
    window = MainWindow(service, confirm=answers)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: settled(service) and service.activity_model.rowCount() == 2, timeout=15000)
    page = window.activity_page
    position = next(i for i in range(page.proxy.rowCount())
                    if page.model.row(page.proxy.ids([i])[0]).scene_id == first)
    select_rows(page, [position])

    window.undo_selected()

    qtbot.waitUntil(lambda: window.undo_box is not None, timeout=10000)
    assert "1 scene selected" in answers.asked[0]
    assert comparable(plex.item_state(first_key)) == seeded
    assert plex.item_state(second_key)["title"] == "Second"
    assert window.statusBar().currentMessage().startswith("Restored 1 Plex item(s)")
    assert f"scene {first} no longer synced" in window.undo_box.text()
    qtbot.waitUntil(lambda: service.status["synced"] == 1, timeout=5000)  # the undone scene is not in step now

    window.sync_selected_again()  # the explicit sync that resumes it

    qtbot.waitUntil(lambda: plex.item_state(first_key)["title"] == "Stash Title", timeout=10000)


def test_undo_all_needs_a_yes_and_says_when_there_is_nothing(qtbot, make_service, library, plex) -> None:
    _, rating_key = seed_plex_item(plex, library)
    service = make_service()
    answers = Answers(False)
    window = MainWindow(service, confirm=answers)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: settled(service) and service.activity_model.rowCount() == 1, timeout=15000)
    window.undo_all()
    assert answers.asked and plex.item_state(rating_key)["title"] == "Stash Title"  # "no": nothing undone
    answers.answer = True
    window.undo_all()
    qtbot.waitUntil(lambda: plex.item_state(rating_key)["title"] == "Plex Title", timeout=10000)
    qtbot.waitUntil(lambda: window.undo_box is not None, timeout=10000)
    window.undo_box = None
    window.undo_all()
    qtbot.waitUntil(lambda: window.undo_box is not None, timeout=10000)
    assert window.undo_box.text().startswith("Nothing to undo")


def test_a_new_setup_can_preview_before_the_first_sync(qtbot, locations, stash, plex, movies) -> None:
    stash.add_scene(title="First sync", files=["/media/movies/first.mp4"])
    rating_key = plex.add_item(movies, "/media/movies/first.mp4", title="first")
    app = PlexSyncApp(Startup(locations, Config(), Secrets(None, None), first_run=True),
                      tray_factory=QSystemTrayIcon, tray_available=lambda: True)
    try:
        app.start()
        qtbot.waitUntil(lambda: app.settings is not None and app.settings.isVisible(), timeout=5000)
        page = app.settings.connections
        page.stash_url.setText(stash.url)
        page.stash_key.setText(STASH_KEY)
        page.plex_url.setText(plex.url)
        page.plex_token.setText(PLEX_TOKEN)
        page.plaintext.setChecked(True)
        assert app.settings.preview_button is not None and app.settings.preview_button.isEnabled()
        app.settings.preview_button.click()
        qtbot.waitUntil(lambda: app.preview is not None and app.preview.model.rowCount() > 0, timeout=10000)
        preview = app.preview
        assert ("title", "first", "First sync") in [(r.field, r.plex_now, r.would_write) for r in preview.model.rows]
        qtbot.waitUntil(lambda: bool(app.service.status) and app.service.status["paused"], timeout=5000)
        assert plex.count("PUT") == 0 and plex.item_state(rating_key)["title"] == "first"
        assert preview.start_button is not None
        preview.start_button.click()
        qtbot.waitUntil(lambda: plex.item_state(rating_key)["title"] == "First sync", timeout=15000)
        assert not app.service.paused
    finally:
        app.window.quitting = True
        app.window.close()
        app.shutdown()
