"""Plex -> Stash activity end to end: plays, resume points and ratings read from the emulated Plex over HTTP and
written to the emulated Stash through its play/activity mutations."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from plexsync_gui.cli.main import main
from plexsync_gui.core.activity.plex_to_stash import OUTCOME, PlexActivity
from plexsync_gui.core.activity.rules import stash_time, unix_of
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.setup.session import Session, open_session
from plexsync_gui.core.stash.client import ActivityWrite, StashClient
from plexsync_gui.core.storage.store import Store
from plexsync_gui.core.sync.runner import Runner
from plexsync_gui.emulators.stash import StashEmulator
from tests.servers import PLEX_TOKEN, STASH_KEY, Library, base_config

pytestmark = pytest.mark.integration

DAY = 86_400
PAST = 1_750_000_000  # 2025-06-15, a real date in the past


def synced(session: Session, library: Library, count: int, **fields) -> list[tuple[str, str]]:
    """`count` scenes in Stash and Plex, synced so PlexSync knows which item is which scene."""
    pairs = [library.add(title=f"Scene {i}", **fields) for i in range(count)]
    session.queuer.sync_scenes([scene_id for scene_id, _ in pairs])
    assert session.engine.process_due().synced == count
    return [(scene_id, str(rating_key)) for scene_id, rating_key in pairs]


def stash_view(stash: StashEmulator, scene_id: str) -> dict:
    """The scene's activity fields, read over HTTP as any client would."""
    client = StashClient(stash.url, STASH_KEY)
    try:
        return client.scene_activity([scene_id], ("play_history", "resume_time", "rating100"))[scene_id]
    finally:
        client.close()


def writes(stash: StashEmulator, kind: str) -> int:
    """How many activity writes of `kind` ("play", "resume", "rating") reached Stash, batched or not."""
    return sum(1 for record in stash.requests if record.operation == "ActivityWrites"
               for name in record.variables or {} if name.removeprefix(kind).isdigit())


def activity(session: Session, config: Config) -> PlexActivity:
    return PlexActivity(session.store, session.stash, session.plex, lambda: config.plex_to_stash)


def test_new_plays_land_once_with_their_plex_dates(session, library, plex, stash, config):
    config.plex_to_stash.enabled = True
    (scene_id, rating_key), _ = synced(session, library, 2)
    runner = Runner(session.engine, session.poller, 30)
    runner.step(lambda: False)  # the first round starts the watermark: older plays are the import's
    now = int(time.time())
    plex.add_play(rating_key, now + 5)
    plex.add_play(rating_key, now + 65)

    runner.poll_soon()
    result = runner.step(lambda: False)

    history = stash_view(stash, scene_id)["play_history"]
    assert sorted(unix_of(t) for t in history) == [now + 5, now + 65]
    assert "2 new plays" in result.from_plex
    row = session.store.recent_activity(1)[0]
    assert (row.scene_id, row.outcome) == (scene_id, OUTCOME) and "2 plays" in row.detail

    stash.clear_log()
    plex.clear_log()
    runner.poll_soon()
    again = runner.step(lambda: False)
    assert again.from_plex == ""
    assert len(stash_view(stash, scene_id)["play_history"]) == 2
    assert stash.count(operation="ActivityWrites") == 0
    assert plex.count("GET", "/status/sessions/history/all") == 1  # the whole cost of a quiet round in Plex


def test_import_adds_past_plays_once_and_dedupes_against_stash(session, library, plex, stash, config):
    (first, first_key), (second, second_key) = synced(session, library, 2)
    plex.add_play(first_key, PAST)
    plex.add_play(first_key, PAST + DAY)
    plex.add_play(second_key, PAST + 2 * DAY)
    already = ActivityWrite("play", second, [stash_time(PAST + 2 * DAY)])  # played in Stash too
    StashClient(stash.url, STASH_KEY).write_activity([already])

    summary = activity(session, config).import_past()

    assert (summary.plays_added, summary.plays_known, summary.scenes) == (2, 1, {first})
    assert sorted(unix_of(t) for t in stash_view(stash, first)["play_history"]) == [PAST, PAST + DAY]
    assert len(stash_view(stash, second)["play_history"]) == 1
    again = activity(session, config).import_past()
    assert (again.plays_added, again.plays_known) == (0, 3)
    assert len(stash_view(stash, first)["play_history"]) == 2


def test_history_pages_are_all_read(session, library, plex, stash, config):
    ((scene_id, rating_key),) = synced(session, library, 1)
    for n in range(7):
        plex.add_play(rating_key, PAST + n * 3600)
    plays = session.plex.play_history(0, page_size=3)
    assert len(plays) == 7 and plex.count("GET", "/status/sessions/history/all") == 3
    activity(session, config).import_past()
    assert len(stash_view(stash, scene_id)["play_history"]) == 7


def test_plays_of_unmatched_items_are_counted_not_guessed(session, library, plex, movies, config):
    synced(session, library, 1)
    stray = plex.add_item(movies, "/media/movies/not-in-stash.mp4")
    plex.add_play(stray, PAST)
    summary = activity(session, config).import_past()
    assert summary.unmatched == 1 and summary.plays_added == 0
    assert "1 play of Plex items not matched to a scene" in summary.line()


def test_resume_point_follows_plex(session, library, plex, stash, config):
    config.plex_to_stash.resume = True
    ((scene_id, rating_key),) = synced(session, library, 1)
    plex.edit_item(rating_key, viewOffset=754_000)
    activity(session, config).import_past()
    assert stash_view(stash, scene_id)["resume_time"] == pytest.approx(754.0)
    assert "resume at 12:34" in session.store.recent_activity(1)[0].detail


def test_plex_rating_wins_when_told_and_only_when_it_changed(session, library, plex, stash, config):
    config.plex_to_stash.rating, config.plex_to_stash.rating_wins = True, "plex"
    config.plex_to_stash.resume = True
    ((scene_id, rating_key),) = synced(session, library, 1, rating100=60)
    plex.edit_item(rating_key, userRating=8.0)
    flow = activity(session, config)
    flow.import_past()
    assert stash_view(stash, scene_id)["rating100"] == 80
    stash.update_scene(scene_id, rating100=40)  # changed in Stash afterwards; Plex still says 8
    plex.edit_item(rating_key, viewOffset=30_000)  # the item changed in Plex, its rating did not
    stash.clear_log()
    flow.import_past()
    assert stash_view(stash, scene_id)["rating100"] == 40  # Plex's rating did not change: nothing to carry
    assert writes(stash, "rating") == 0 and writes(stash, "resume") == 1


def test_stash_rating_wins_when_told(session, library, plex, stash, config):
    config.plex_to_stash.rating, config.plex_to_stash.rating_wins = True, "stash"
    (rated, rated_key), (unrated, unrated_key) = [library.add(title="Rated", rating100=60),
                                                  library.add(title="Unrated")]
    session.queuer.sync_scenes([rated, unrated])
    session.engine.process_due()
    plex.edit_item(rated_key, userRating=9.0)
    plex.edit_item(unrated_key, userRating=7.0)
    activity(session, config).import_past()
    assert stash_view(stash, rated)["rating100"] == 60
    assert stash_view(stash, unrated)["rating100"] == 70


def test_rating_never_bounces_with_the_stash_to_plex_rating_sync(session, library, plex, stash, config):
    """Stash -> Plex rating sync on and Plex winning: a rating changed in Stash goes to Plex and stays in Stash."""
    config.fields.rating = True
    config.plex_to_stash.enabled, config.plex_to_stash.rating, config.plex_to_stash.plays = True, True, False
    ((scene_id, rating_key),) = synced(session, library, 1, rating100=80)
    assert plex.item_state(rating_key)["userRating"] == 8.0
    runner = Runner(session.engine, session.poller, 30)
    runner.step(lambda: False)  # reads Plex's 8: the same as Stash's 80, nothing written
    stash.update_scene(scene_id, rating100=50)
    stash.clear_log()
    for _ in range(3):  # poll (queues the edit), push it to Plex, read Plex back; "Sync now" reads every rating
        runner.poll_soon()
        runner.step(lambda: False)
    assert plex.count("GET", "/library/metadata/") >= 3  # Plex's rating was read in every round
    assert plex.item_state(rating_key)["userRating"] == 5.0
    assert stash_view(stash, scene_id)["rating100"] == 50
    assert writes(stash, "rating") == 0


def test_disabled_sends_no_activity_request(session, library, plex, stash, config):
    synced(session, library, 1)
    plex.clear_log()
    stash.clear_log()
    runner = Runner(session.engine, session.poller, 30)
    runner.step(lambda: False)
    assert plex.count("GET", "/status/sessions/history") == 0
    assert stash.count(operation="ActivityProbe") == 0 and stash.count(operation="SceneActivity") == 0


@pytest.fixture
def old_stash() -> Iterator[StashEmulator]:
    with StashEmulator(api_key=STASH_KEY, profile="v0.24") as emulator:
        yield emulator


def test_an_older_stash_without_play_history_is_said_once_and_skipped(tmp_path, old_stash, plex, movies, capsys):
    config = base_config(old_stash, plex)
    config.plex_to_stash.resume = True
    store = Store(tmp_path / "plexsync.db")
    session = open_session(config, Secrets(plex_token=PLEX_TOKEN, stash_api_key=STASH_KEY), store)
    try:
        library = Library(old_stash, plex, movies)
        ((_scene_id, rating_key),) = synced(session, library, 1)
        plex.add_play(rating_key, PAST)
        plex.edit_item(rating_key, viewOffset=60_000)
        flow = activity(session, config)
        summary = flow.import_past()
        assert summary.plays_added == 0 and summary.resumes == 1
        assert summary.notices == ["This Stash does not offer sceneAddPlay, Scene.play_history: plays from Plex "
                                   "are skipped (play history needs Stash v0.25+)"]
        assert writes(old_stash, "play") == 0 and writes(old_stash, "resume") == 1
        notices = [row for row in store.recent_activity() if row.detail.startswith("This Stash does not offer")]
        assert len(notices) == 1
        assert flow.import_past().notices == []  # said once per session
    finally:
        session.close()
        store.close()
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[stash]\nurl = "{old_stash.url}"\n[plex]\nurl = "{plex.url}"\n')
    capsys.readouterr()
    assert main(["--config", str(config_file), "--data-dir", str(tmp_path), "status"]) == 0
    assert "Plex to Stash: This Stash does not offer sceneAddPlay" in capsys.readouterr().out


def test_import_plays_command_prints_one_summary_line(cli, stash, plex, movies):
    library = Library(stash, plex, movies)
    _scene_id, rating_key = library.add(title="Watched")
    assert cli("sync", "--all")[0] == 0 and cli("process")[0] == 0
    plex.add_play(rating_key, PAST)
    plex.add_play(rating_key, PAST + DAY)
    code, out, err = cli("import-plays")
    assert code == 0, err
    assert out.strip() == "From Plex: 2 new plays, 0 ratings, 0 resume points on 1 scene"
    assert "plex_to_stash.enabled is false" in err
    code, out, _ = cli("import-plays")
    assert out.strip() == "From Plex: 0 new plays, 0 ratings, 0 resume points on 0 scenes; 2 plays already in Stash"


def test_a_bad_plex_to_stash_setting_is_one_line_naming_the_key(cli):
    with cli.config_file.open("a") as handle:
        handle.write('[plex_to_stash]\nenabled = true\nrating_wins = "both"\n')
    code, out, err = cli("import-plays")
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "plex_to_stash.rating_wins: must be one of 'plex', 'stash'" in err


def test_writes_go_in_batches_of_aliased_mutations(session, library, plex, stash, config):
    config.plex_to_stash.rating = True
    pairs = synced(session, library, 60)
    for _scene_id, rating_key in pairs:
        plex.add_play(rating_key, PAST)
        plex.edit_item(rating_key, userRating=6.0)
    stash.clear_log()
    summary = activity(session, config).import_past()
    assert (summary.plays_added, summary.ratings) == (60, 60)
    assert stash.count(operation="ActivityWrites") == 3  # 120 writes, 50 a request
    assert all(stash_view(stash, scene_id)["rating100"] == 60 for scene_id, _ in pairs)


def test_import_plays_with_plex_down_is_one_line_and_moves_nothing(cli, stash, plex, movies, tmp_path):
    library = Library(stash, plex, movies)
    library.add(title="Watched")
    assert cli("sync", "--all")[0] == 0 and cli("process")[0] == 0
    plex.refuse()
    code, out, err = cli("import-plays")
    assert code == 3 and out == "" and "Traceback" not in err
    assert err.strip().count("\n") == 0 and "unreachable" in err
    store = Store(tmp_path / "data" / "plexsync.db")
    try:
        assert store.get("plex_to_stash.watermark") is None
    finally:
        store.close()


def test_a_failing_history_request_leaves_the_round_and_the_watermark_alone(session, library, plex, stash, config):
    config.plex_to_stash.enabled = True
    ((scene_id, rating_key),) = synced(session, library, 1)
    runner = Runner(session.engine, session.poller, 30)
    runner.step(lambda: False)
    mark = session.store.get("plex_to_stash.watermark")
    plex.add_play(rating_key, int(time.time()) + 5)
    plex.fail_next(500, route="/status/sessions/history")
    runner.poll_soon()
    failed = runner.step(lambda: False)
    assert failed.from_plex == "" and session.store.get("plex_to_stash.watermark") == mark
    runner.poll_soon()
    assert "1 new play" in runner.step(lambda: False).from_plex
    assert len(stash_view(stash, scene_id)["play_history"]) == 1
