"""The Fields page's group and performer-photo toggles: saved to the file, explained in their tooltips, and the photo
option off with its reason while Stash has an API key (typed now or saved before)."""

from __future__ import annotations

from plexsync_gui.core.setup.config import load_config
from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.sync.people import PHOTOS_NEED_KEY
from tests.ui import test_settings_dialog as dialog_tests
from tests.ui.test_settings_dialog import SAVED_TOKEN, sample_config

# The settings dialog's fixtures (its keyring in memory, the config file's place, the dialog factory).
memory_keyring = dialog_tests.memory_keyring
config_path = dialog_tests.config_path
make_dialog = dialog_tests.make_dialog


def test_toggles_save_and_say_what_they_do(make_dialog, qtbot, config_path):
    dialog = make_dialog()
    groups, photos = dialog.fields.toggles["groups"], dialog.fields.toggles["performer_photos"]
    assert groups.isChecked() and not photos.isChecked() and photos.isEnabled()  # the defaults, no Stash key
    assert groups.toolTip() == ("Each Stash group becomes a Plex collection, in the group's scene order. "
                                "In config.toml: fields.groups")
    assert "\n" not in photos.toolTip() and photos.toolTip().endswith("In config.toml: fields.performer_photos")
    assert not dialog.fields.photos_reason.isVisibleTo(dialog.fields)
    groups.setChecked(False)
    photos.setChecked(True)
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    saved = load_config(config_path)
    assert saved.fields.groups is False and saved.fields.performer_photos is True


def test_photos_are_off_with_the_reason_while_stash_has_a_key(make_dialog, qtbot, config_path):
    config = sample_config()
    config.fields.performer_photos = True
    dialog = make_dialog(config, Secrets(SAVED_TOKEN, "stash-key"))
    photos = dialog.fields.toggles["performer_photos"]
    assert not photos.isEnabled() and not photos.isChecked()
    assert dialog.fields.photos_reason.isVisibleTo(dialog.fields)
    assert dialog.fields.photos_reason.text() == f"Performer photos are off: {PHOTOS_NEED_KEY}."
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    assert load_config(config_path).fields.performer_photos is True  # the choice is kept for when the key goes


def test_typing_or_clearing_the_stash_key_switches_the_photo_option(make_dialog):
    dialog = make_dialog()
    photos = dialog.fields.toggles["performer_photos"]
    photos.setChecked(True)
    dialog.connections.stash_key.setText("new-key")
    assert not photos.isEnabled() and not photos.isChecked()
    assert dialog.fields.photos_reason.isVisibleTo(dialog.fields)
    dialog.connections.stash_key.setText("  ")
    assert photos.isEnabled() and photos.isChecked()  # back as the user left it
    assert not dialog.fields.photos_reason.isVisibleTo(dialog.fields)
