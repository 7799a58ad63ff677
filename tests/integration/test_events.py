"""Event-driven sync end to end: the real listeners on real websockets to the emulated Plex and Stash, the real
runner, store and clients (issue 15). Polling stays the fallback, so every test also holds without events."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import pytest

from plexsync_gui.core.errors import PlexNotFound
from plexsync_gui.core.events.inbox import EventInbox, Heard
from plexsync_gui.core.events.listeners import start_listeners
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.setup.session import Session
from plexsync_gui.core.sync.runner import Runner
from plexsync_gui.core.sync.scan_watch import FALLBACK_EVERY, NOT_FOUND
from plexsync_gui.core.sync.status import read_status
from plexsync_gui.emulators.plex import PlexEmulator
from plexsync_gui.emulators.stash import StashEmulator
from tests.servers import PLEX_TOKEN, STASH_KEY

pytestmark = pytest.mark.integration

DEADLINE = 15.0  # seconds a test waits for something that takes milliseconds when it works


def wait_for(condition: Callable[[], object], what: str, step: Callable[[], object] | None = None) -> None:
    """Run `step` (a runner round) until `condition` holds; fail naming `what` after DEADLINE."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if step is not None:
            step()
        if condition():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


class Clock:
    """A monotonic clock the test moves (polls and the fallback check follow it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def runners(session: Session) -> Iterator[Callable[..., tuple[Runner, Clock]]]:
    made: list[Runner] = []

    def factory(poll_interval: float = 3600.0, listen: bool = True) -> tuple[Runner, Clock]:
        session.config.events.listen = listen
        clock = Clock()
        runner = Runner(session.engine, session.poller, poll_interval, clock=clock)
        runner.listen(session.secrets)
        made.append(runner)
        if listen:
            assert runner.listeners is not None
            wait_for(lambda: runner.listeners is not None and runner.listeners.state().live, "both listeners live")
        return runner, clock

    yield factory
    for runner in made:
        runner.close()


def step(runner: Runner) -> Callable[[], object]:
    return lambda: runner.step(lambda: False)


def plex_title(plex: PlexEmulator, file: str) -> str | None:
    items = [key for key in (str(k) for k in range(1000, 1100)) if _file_of(plex, key) == file]
    return str(plex.item_state(items[0])["title"]) if items else None


def _file_of(plex: PlexEmulator, rating_key: str) -> str | None:
    try:
        return str(plex.item_state(rating_key)["file"])
    except KeyError:
        return None


def dead_letter_waiting_for_scan(session: Session) -> None:
    """Spend a scene's "no Plex item" attempts at once (retry_now between rounds) until it is a dead letter."""
    for _ in range(20):
        session.store.retry_now(None)
        session.engine.process_due()
        if session.store.counts()["dlq"]:
            break
    letters = session.store.list_dead_letters()
    assert [letter.error_type for letter in letters] == [NOT_FOUND]


def test_a_file_plex_scans_syncs_at_once_instead_of_after_the_backoff(
        session: Session, runners: Callable[..., tuple[Runner, Clock]], stash: StashEmulator, plex: PlexEmulator,
        movies: int) -> None:
    stash.add_scene(title="Fresh Scene", files=["/data/movies/new/fresh.mp4"])
    plex.add_unscanned_file(movies, "/media/movies/new/fresh.mp4")
    runner, _ = runners()
    step(runner)()  # polls, finds no item, asks Plex to scan the folder
    assert plex.notifications.scans == [(movies, "/media/movies/new")]
    job = session.store.list_jobs()[0]
    assert (job.last_error_type, job.attempts) == (NOT_FOUND, 1)
    claimed = session.store.claim(session.store.due_jobs(time.time() + 10_000)[0])
    assert claimed is not None  # as if deep in its backoff: due again only in an hour
    session.store.reschedule(claimed, NOT_FOUND, "no item", 8, 12, time.time() + 3600)
    wait_for(lambda: plex_title(plex, "/media/movies/new/fresh.mp4") == "Fresh Scene", "the scene in Plex",
             step(runner))
    assert session.store.counts()["retry_wait"] == 0
    assert read_status(session.store).events == {"plex": "live", "stash": "live"}


def test_many_scenes_in_one_folder_cost_one_scan_and_no_second_within_the_cooldown(
        session: Session, runners: Callable[..., tuple[Runner, Clock]], stash: StashEmulator, plex: PlexEmulator,
        movies: int) -> None:
    for n in range(5):
        stash.add_scene(title=f"Part {n}", files=[f"/data/movies/batch/part{n}.mp4"])
    runner, clock = runners(listen=False)
    step(runner)()
    session.store.retry_now(None)
    clock.now += 60
    step(runner)()
    assert plex.notifications.scans == [(movies, "/media/movies/batch")]
    assert plex.count("GET", "/library/sections/1/refresh") == 1


def test_a_dead_letter_comes_back_when_plex_announces_its_item(
        session: Session, runners: Callable[..., tuple[Runner, Clock]], stash: StashEmulator, plex: PlexEmulator,
        movies: int) -> None:
    session.config.events.scan_missing = False
    stash.add_scene(title="Late Scene", files=["/data/movies/late.mp4"])
    session.poller.poll()
    dead_letter_waiting_for_scan(session)
    runner, _ = runners()
    plex.add_item(movies, "/media/movies/late.mp4", title="late")  # Plex's own scan found it
    wait_for(lambda: plex_title(plex, "/media/movies/late.mp4") == "Late Scene", "the revived scene in Plex",
             step(runner))
    assert session.store.counts()["dlq"] == 0


def test_without_websockets_a_periodic_check_brings_the_dead_letter_back(
        session: Session, runners: Callable[..., tuple[Runner, Clock]], stash: StashEmulator, plex: PlexEmulator,
        movies: int) -> None:
    session.config.events.scan_missing = False
    stash.add_scene(title="Quiet Scene", files=["/data/movies/quiet.mp4"])
    session.poller.poll()
    dead_letter_waiting_for_scan(session)
    runner, clock = runners(listen=False)
    plex.add_item(movies, "/media/movies/quiet.mp4", title="quiet")
    step(runner)()
    assert session.store.counts()["dlq"] == 1  # not yet: the check runs every FALLBACK_EVERY seconds
    clock.now += FALLBACK_EVERY + 1
    revived = runner.step(lambda: False)  # the check finds the file and puts the scene back in the queue
    assert revived.enqueued == 1  # so the app reloads its queue and failed views
    step(runner)()
    assert plex_title(plex, "/media/movies/quiet.mp4") == "Quiet Scene"
    assert session.store.counts()["dlq"] == 0


def test_a_finished_stash_job_polls_at_once(
        session: Session, runners: Callable[..., tuple[Runner, Clock]], stash: StashEmulator, plex: PlexEmulator,
        movies: int) -> None:
    scene = stash.add_scene(title="Before", files=["/data/movies/a.mp4"])
    plex.add_item(movies, "/media/movies/a.mp4")
    runner, _ = runners(poll_interval=3600)
    step(runner)()
    assert plex_title(plex, "/media/movies/a.mp4") == "Before"
    stash.advance(5)
    stash.jobs.run_job("Identifying...", work=lambda: stash.update_scene(scene, title="After"))
    wait_for(lambda: plex_title(plex, "/media/movies/a.mp4") == "After", "the identified title in Plex",
             step(runner))


def test_listeners_reconnect_after_the_servers_drop_them(
        config: Config, stash: StashEmulator, plex: PlexEmulator, movies: int) -> None:
    inbox = EventInbox()
    listeners = start_listeners(config, Secrets(plex_token=PLEX_TOKEN, stash_api_key=STASH_KEY), inbox)
    assert listeners is not None
    try:
        wait_for(lambda: listeners.state().live and stash.jobs.subscribed == 1, "both listeners live")
        plex.drop_websockets()
        stash.drop_websockets()
        wait_for(lambda: plex.notifications.hub.connections == 2 and stash.jobs.hub.connections == 2
                 and listeners.state().live and stash.jobs.subscribed == 1, "both listeners back")
        key = plex.add_item(movies, "/media/movies/b.mp4")
        stash.jobs.run_job("Scanning...")
        heard: list[Heard] = []
        wait_for(lambda: heard.append(inbox.drain()) or (any(h.items for h in heard)
                                                           and any(h.stash_jobs for h in heard)),
                 "the new item and the finished job heard")
    finally:
        listeners.stop()
    assert any(key in h.items for h in heard)


def test_refused_websockets_leave_polling_working_and_say_so(
        session: Session, runners: Callable[..., tuple[Runner, Clock]], stash: StashEmulator, plex: PlexEmulator,
        movies: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    plex.refuse_websockets()
    stash.refuse_websockets()
    stash.add_scene(title="Polled", files=["/data/movies/p.mp4"])
    plex.add_item(movies, "/media/movies/p.mp4")
    runner, _ = runners(listen=False)
    session.config.events.listen = True
    runner.listen(Secrets(plex_token=PLEX_TOKEN, stash_api_key=STASH_KEY))
    listeners = runner.listeners
    assert listeners is not None
    wait_for(lambda: all("503" in state for state in listeners.state().to_json().values()), "both refusals")
    step(runner)()
    assert plex_title(plex, "/media/movies/p.mp4") == "Polled"
    status = read_status(session.store)
    assert status.events is not None and status.events["plex"].startswith("polling only: ")
    assert status.events_summary == "Plex and Stash events unavailable: polling"
    upgrades = [r for r in plex.requests if r.path == "/:/websockets/notifications"]
    assert upgrades and all(PLEX_TOKEN not in r.query for r in upgrades)
    refusals = [r for r in stash.requests if r.status == 503]
    assert refusals and all(STASH_KEY not in r.path for r in refusals)
    assert PLEX_TOKEN not in caplog.text and STASH_KEY not in caplog.text


def test_an_announced_item_plexsync_already_wrote_to_costs_no_plex_request(
        session: Session, runners: Callable[..., tuple[Runner, Clock]], stash: StashEmulator, plex: PlexEmulator,
        movies: int) -> None:
    stash.add_scene(title="Synced", files=["/data/movies/s.mp4"])
    synced_key = plex.add_item(movies, "/media/movies/s.mp4")
    stash.add_scene(title="Waiting", files=["/data/movies/w.mp4"])
    runner, _ = runners(listen=False)
    step(runner)()  # one synced, one waiting for a scan
    assert session.store.counts()["retry_wait"] == 1
    plex.clear_log()
    runner.inbox.item_appeared(synced_key)  # as Plex announces an edit PlexSync made
    step(runner)()
    assert plex.count("GET", "/library/metadata") == 0
    runner.inbox.item_appeared(plex.add_item(movies, "/media/movies/other.mp4"))  # new, but not the waited file
    step(runner)()
    assert plex.count("GET", "/library/metadata") == 1
    assert session.store.counts()["retry_wait"] == 1


def test_scan_folder_asks_for_one_folder_and_says_which_section_failed(session: Session, plex: PlexEmulator,
                                                                       movies: int) -> None:
    section = session.plex.target_sections(["Movies"])[0]
    session.plex.scan_folder(section, "/media/movies/Ünïcode & spaces")
    refresh = [r for r in plex.requests if r.path == f"/library/sections/{movies}/refresh"]
    assert [r.params.get("path") for r in refresh] == [["/media/movies/Ünïcode & spaces"]]
    assert PLEX_TOKEN not in refresh[0].query
    plex.remove_section(movies)
    with pytest.raises(PlexNotFound, match="asking 'Movies' to scan 'Ünïcode & spaces'"):
        session.plex.scan_folder(section, "/media/movies/Ünïcode & spaces")
