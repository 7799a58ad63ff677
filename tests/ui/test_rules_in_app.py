"""Sync rules set on the settings dialog's Rules page reach the running app's worker: saved, applied, and the
affected scenes re-synced to the emulated Plex."""

from __future__ import annotations

import pytest

from plexsync_gui.core.setup.rules_config import FILL_EMPTY
from plexsync_gui.ui.main_window import MainWindow
from plexsync_gui.ui.settings.dialog import SettingsDialog
from tests.ui.conftest import settled
from tests.ui.test_main_window import Answers

pytestmark = pytest.mark.integration


def test_rules_saved_in_the_settings_resync_the_affected_scenes(qtbot, make_service, config, secrets, locations,
                                                                  library, plex, stash) -> None:
    tagged_id, tagged_key = library.add(title="Tagged", tags=["To Do", "Drama"], studio="Harbour")
    _, plain_key = library.add(title="Plain", tags=["Drama"], organized=True)
    service = make_service()
    qtbot.waitUntil(lambda: service.status.get("synced") == 2 and settled(service), timeout=15000)
    assert sorted(plex.item_state(tagged_key)["tags"]["genre"]) == ["Drama", "To Do"]

    dialog = SettingsDialog(config, secrets, locations.config_file, None, store_secrets=False)  # no keyring here
    qtbot.addWidget(dialog)
    dialog.saved.connect(lambda written: service.apply_config(written, secrets))
    dialog.rules.exclude_tags.setText("To Do")
    dialog.rules.title_template.setText("{studio} - {title}")
    dialog.rules.modes["title"].setCurrentIndex(dialog.rules.modes["title"].findData(FILL_EMPTY))
    dialog.rules.only_organized.setChecked(True)
    plex.edit_item(plain_key, title="")  # an empty Plex title gets filled
    assert dialog.save_button.isEnabled(), dialog.status.text()
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()

    qtbot.waitUntil(lambda: plex.item_state(plain_key)["title"] == "Plain" and settled(service), timeout=15000)
    tagged = plex.item_state(tagged_key)  # not organized: left as it is in Plex
    assert (tagged["title"], sorted(tagged["tags"]["genre"])) == ("Tagged", ["Drama", "To Do"])

    stash.update_scene(tagged_id, organized=True)
    service.sync_now()
    qtbot.waitUntil(lambda: plex.item_state(tagged_key)["tags"]["genre"] == ["Drama"], timeout=15000)
    assert plex.item_state(tagged_key)["title"] == "Tagged"  # the template's title only fills an empty one


def test_a_rule_naming_a_missing_tag_is_shown_as_a_config_problem_not_an_outage(qtbot, make_service, config,
                                                                                  library) -> None:
    config.rules.genre_parent_tag = "No Such Tag"
    library.add(title="Waits", tags=["Drama"])
    service = make_service()
    window = MainWindow(service, confirm=Answers(True))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: bool(service.status.get("stash_error")), timeout=15000)
    text = window.stash_label.text()
    assert "Config problem: rules.genre_parent_tag: Stash has no tag named &#x27;No Such Tag&#x27;" in text
    assert "unreachable" not in text and "nothing is synced" not in text  # the rest is in the tooltip
    assert "nothing is synced until it exists" in window.stash_label.toolTip()
    assert service.status["synced"] == 0
