"""The duplicate picker (issue 14): each Plex candidate's poster, added date, duration and size, read by the worker
from the emulated Plex over HTTP, and "Open in Plex" opening the item's Plex Web page without the token."""

from __future__ import annotations

import requests
from PySide6.QtCore import QBuffer, QIODevice, Qt, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QImage

from plexsync_gui.ui.main_window import MainWindow, file_size, play_length
from plexsync_gui.ui.times import local_time
from tests.servers import PLEX_TOKEN
from tests.ui.conftest import settled
from tests.ui.test_main_window import Answers
from tests.ui.test_view_fixes import show_first_failed


def png(colour: str) -> bytes:
    image = QImage(200, 300, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


def test_the_picker_shows_each_candidate_and_opens_it_in_plex(qtbot, make_service, stash, plex, movies,
                                                              monkeypatch) -> None:
    stash.add_scene(title="Twice", files=["/data/movies/twice.mp4"])
    first = plex.add_item(movies, "/media/movies/twice.mp4", title="copy one", duration=5_409_000, size=1_400_000_000)
    second = plex.add_item(movies, "/media/movies/twice.mp4", title="copy two", duration=42_000, size=700_000_000)
    uploaded = requests.post(f"{plex.url}/library/metadata/{first}/posters", data=png("red"),
                             headers={"X-Plex-Token": PLEX_TOKEN}, timeout=10)
    assert uploaded.status_code == 200
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(QUrl(url).toString()) or True)
    service = make_service()
    window = MainWindow(service, confirm=Answers(True))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: service.status.get("failed") == 1 and settled(service), timeout=15000)
    with qtbot.waitSignal(service.candidates_ready, timeout=10000):
        show_first_failed(qtbot, window)

    picker = window.details.candidates
    rows = {picker.item(i).data(Qt.ItemDataRole.UserRole): picker.item(i) for i in range(picker.count())}
    added = local_time(plex.item_state(first)["addedAt"], "%Y-%m-%d %H:%M")
    assert "copy one" in rows[first].text()
    assert f"added {added} · 1:30:09 · 1.4 GB" in rows[first].text()
    assert "0:00:42 · 700 MB" in rows[second].text()
    assert not rows[first].icon().isNull()  # the poster uploaded to that item
    assert rows[second].icon().isNull()  # none in Plex: no picture, no error

    assert not window.details.open_button.isEnabled()  # nothing picked yet
    picker.setCurrentItem(rows[second])
    window.details.open_button.click()
    assert opened == [f"{plex.url}/web/index.html#!/server/{plex.machine_identifier}/details"
                      f"?key=%2Flibrary%2Fmetadata%2F{second}"]
    assert PLEX_TOKEN not in opened[0] and "token" not in opened[0].lower()


def test_running_times_and_sizes_read_as_players_and_file_managers_show_them() -> None:
    assert [play_length(ms) for ms in (None, 0, 42_000, 5_409_000, 36_000_000)] == \
        ["", "0:00:00", "0:00:42", "1:30:09", "10:00:00"]
    assert [file_size(b) for b in (None, 12, 12_500, 700_000_000, 1_400_000_000, 2_000_000_000_000)] == \
        ["", "12 bytes", "12.5 KB", "700 MB", "1.4 GB", "2 TB"]
