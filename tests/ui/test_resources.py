"""Icons and desktop files are found from a checkout and a frozen bundle, and every icon really renders."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from plexsync_gui.ui.resources import DESKTOP_FILE, ICON_NAMES, icon, resource_path, resource_root

REPO = Path(__file__).resolve().parents[2]


def test_development_checkout_uses_the_top_level_resources_folder():
    assert resource_root() == REPO / "resources"
    assert resource_path(DESKTOP_FILE).is_file()
    assert sorted(p.stem for p in resource_path("icons").glob("*.svg")) == sorted(ICON_NAMES)


def test_frozen_bundle_uses_meipass(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_path("icons", "tray-idle.svg") == tmp_path / "resources" / "icons" / "tray-idle.svg"


def opaque_fraction(image: QImage) -> float:
    pixels = [image.pixelColor(x, y).alpha() for x in range(image.width()) for y in range(image.height())]
    return sum(1 for a in pixels if a > 0) / len(pixels)


@pytest.mark.parametrize("name", ICON_NAMES)
@pytest.mark.parametrize("size", [16, 22, 64])
def test_every_icon_loads_and_renders(qapp, name, size):
    loaded = icon(name)
    assert not loaded.isNull()
    image = loaded.pixmap(size, size).toImage()
    assert image.width() == size
    assert opaque_fraction(image) > 0.5  # the disc fills most of the square


def test_tray_states_look_different(qapp):
    images = {name: icon(name).pixmap(22, 22).toImage() for name in ICON_NAMES[1:]}
    names = list(images)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert images[a] != images[b], f"{a} and {b} render identically at 22 px"


def test_missing_icon_is_empty_and_logged(qapp, caplog):
    assert icon("no-such-icon").isNull()
    assert "icon no-such-icon is missing" in caplog.text
