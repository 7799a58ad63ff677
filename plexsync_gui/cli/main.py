"""`plexsync`: the headless command line over the same engine the desktop app uses.

Exit codes: 0 success, 1 unexpected internal error, 2 bad configuration or input, 3 Stash or Plex unreachable or
refusing our credentials (and `process` when Plex rejected the token). Every failure a user can cause is one line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from plexsync_gui import __version__
from plexsync_gui.cli import coverage as coverage_cli
from plexsync_gui.cli.terminal import json_line, visible
from plexsync_gui.core.errors import PermanentError, StashError, SyncError
from plexsync_gui.core.setup.config import Config, ConfigError, load_config
from plexsync_gui.core.setup.hardening import forbid_core_dumps
from plexsync_gui.core.setup.logs import redact, setup_logging
from plexsync_gui.core.setup.security import config_permission_problem, tls_warnings
from plexsync_gui.core.setup.session import (
    DatabaseUnusable,
    DataDirUnusable,
    Locations,
    Session,
    client_id,
    locate,
    open_session,
    open_store,
    prepare_folders,
)
from plexsync_gui.core.storage.keys import PLEX_TO_STASH_NOTICE_KEY
from plexsync_gui.core.storage.process_lock import ProcessLock, ProcessLockBusy
from plexsync_gui.core.storage.store import DeadLetter, JobRow, Store
from plexsync_gui.core.sync.health import iso_utc as health_time
from plexsync_gui.core.sync.status import read_status

if TYPE_CHECKING:
    from plexsync_gui.core.net.http import Cancellation
    from plexsync_gui.core.setup.secrets import Secrets
    from plexsync_gui.core.sync.runner import RoundResult

# The network stack (requests, plexapi, keyring) is imported by the commands that use it, not at start: `status`,
# `queue`, `dlq` and `--help` never load it (issue 13: commands start quickly).

log = logging.getLogger("plexsync")

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_UNREACHABLE = 0, 1, 2, 3
TIME_FIELDS = frozenset({"next_retry_at", "failed_at"})  # the rows' epoch-second fields


class CliError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plexsync", description="Keep Plex metadata in step with Stash.")
    parser.add_argument("--config", metavar="FILE", help="config file (env PLEXSYNC_CONFIG)")
    parser.add_argument("--data-dir", metavar="DIR", help="database and logs (env PLEXSYNC_DATA_DIR)")
    parser.add_argument("--demo", action="store_true", help="run against emulated servers with a seeded library")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to the terminal")
    parser.add_argument("--version", action="version", version=f"plexsync {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("check", help="validate the config, reach Stash and Plex, list libraries")
    sync = commands.add_parser("sync", help="queue scenes for syncing (unchanged ones are skipped)")
    which = sync.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every scene")
    which.add_argument("--recent", type=_positive_float, metavar="HOURS", help="scenes updated in the last HOURS")
    which.add_argument("--scene", nargs="+", metavar="ID", type=_scene_id, help="these scene ids")
    sync.add_argument("--force", action="store_true", help="queue unchanged scenes too")
    sync.add_argument("--dry-run", action="store_true",
                      help="show per scene and field what would be written to Plex (Plex now -> would write); "
                           "queue and write nothing")
    sync.add_argument("--json", action="store_true", help="with --dry-run: the preview as JSON")
    undo = commands.add_parser("undo", help="put back Plex's own values from before PlexSync changed them")
    undo_which = undo.add_mutually_exclusive_group(required=True)
    undo_which.add_argument("--scene", nargs="+", metavar="ID", type=_scene_id, help="the Plex items of these scenes")
    undo_which.add_argument("--all", action="store_true", help="every Plex item PlexSync changed")
    commands.add_parser("process", help="process every job that is due now, then exit")
    commands.add_parser("run", help="poll Stash and process continuously until interrupted")
    commands.add_parser("import-plays", help="add Plex's past plays (and, if set, resume points and ratings) to "
                                             "Stash once; running it again adds nothing")
    status = commands.add_parser("status", help="queue counts and circuit breaker state")
    status.add_argument("--json", action="store_true")

    queue = commands.add_parser("queue", help="the live job queue").add_subparsers(dest="action", required=True)
    queue.add_parser("list").add_argument("--json", action="store_true")
    _add_id_selection(queue.add_parser("retry-now", help="make waiting jobs due now"))

    dlq = commands.add_parser("dlq", help="dead letters: jobs that failed for good").add_subparsers(
        dest="action", required=True)
    dlq.add_parser("list").add_argument("--json", action="store_true")
    _add_id_selection(dlq.add_parser("retry", help="move dead letters back to the queue"), by_scene=True)
    _add_id_selection(dlq.add_parser("discard", help="delete dead letters"), by_scene=True)
    purge = dlq.add_parser("purge", help="delete dead letters older than DAYS")
    purge.add_argument("--older-than", type=_positive_float, required=True, metavar="DAYS")
    coverage_cli.add_parser(commands)
    return parser


def _add_id_selection(parser: argparse.ArgumentParser, by_scene: bool = False) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("ids", nargs="*", type=_row_id, default=[], metavar="ID", help="ids from the list command")
    group.add_argument("--all", action="store_true")
    if by_scene:
        group.add_argument("--scene", nargs="+", type=_scene_id, metavar="SCENE",
                           help="the dead letters of these Stash scene ids (the window's Scene column)")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _scene_id(text: str) -> str:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"scene ids are numbers, got {text!r}")
    return text


def _row_id(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"ids are numbers (see the list command), got {text!r}")
    return int(text)


# ---- commands ------------------------------------------------------------------------------------------------------


def cmd_check(config: Config, secrets: Secrets, locations: Locations) -> int:
    from plexsync_gui.core.setup.connection_check import check_plex, check_stash
    from plexsync_gui.core.sync.people import photo_warnings

    """The settings dialog's connection tests, the folders of each library, the configured libraries, and warnings
    about TLS verification and the config file's permissions."""
    unverified = tls_warnings(config)
    for warning in unverified:
        log.warning("%s", warning)
    stash = check_stash(config.stash.url, secrets.stash_api_key, config.stash.timeout, config.stash.verify)
    if not stash.ok:
        raise CliError(f"stash: {stash.message}", EXIT_UNREACHABLE)
    _say(f"Stash  {config.stash.url}  ok  {stash.message}")
    plex = check_plex(config.plex.url, secrets.plex_token, config.plex.timeout, config.plex.verify)
    if not plex.ok:
        raise CliError(f"plex: {plex.message}", EXIT_UNREACHABLE)
    _say(f"Plex   {config.plex.url}  ok  {plex.message}")
    for title in plex.libraries:
        _say(f"  {title}: {', '.join(plex.folders[title]) or '(no folders)'}")
    titles = {title.strip().lower() for title in plex.libraries}
    missing = [name for name in config.plex.libraries if name.strip().lower() not in titles]
    if missing:
        raise CliError(f"config error: plex.libraries: no movie or show library named {missing[0]!r}", EXIT_INPUT)
    _check_rules(config, secrets)
    for warning in (unverified + _permission_warnings(locations, config)
                    + photo_warnings(config, secrets.stash_api_key)):
        _say(f"warning: {warning}")
    return EXIT_OK


def _check_rules(config: Config, secrets: Secrets) -> None:
    """The active sync rules, one line each; a genre parent tag Stash does not have is a config error (exit 2)."""
    from plexsync_gui.core.stash.client import StashClient
    from plexsync_gui.core.sync.rules import describe

    for line in describe(config.rules):
        _say(f"Rules  {line}")
    name, required = config.rules.genre_parent_tag, config.rules.require_tag
    if not name and not required:
        return
    stash = StashClient(config.stash.url, secrets.stash_api_key, config.stash.timeout, verify=config.stash.verify)
    try:
        tree = stash.tags_under(name) if name else None
        required_missing = bool(required) and stash.tag_id(required or "") is None
    except StashError as exc:
        raise CliError(f"stash: {exc}", EXIT_UNREACHABLE) from None
    finally:
        stash.close()
    if name and tree is None:
        raise CliError(f"config error: rules.genre_parent_tag: Stash has no tag named {name!r}", EXIT_INPUT)
    if tree is not None:
        _say(f"       {len(tree.descendant_ids)} tags under {name!r} can become genres")
    if required_missing:
        _say(f"warning: rules.require_tag: Stash has no tag named {required!r}, so no scene is synced")


def cmd_sync(session: Session, args: argparse.Namespace) -> int:
    if args.json and not args.dry_run:
        raise CliError("sync: --json needs --dry-run", EXIT_INPUT)
    if args.dry_run:
        from plexsync_gui.cli.preview import dry_run

        unknown = dry_run(session, args, _say)
        if unknown:
            raise CliError(f"unknown scene id(s) in Stash: {', '.join(unknown)}", EXIT_INPUT)
        return EXIT_OK
    queuer = session.queuer
    if args.all:
        result = queuer.sync_all(args.force)
    elif args.recent is not None:
        result = queuer.sync_recent(args.recent, args.force)
    else:
        result = queuer.sync_scenes(args.scene, args.force, explicit=True)
    skipped = f", skipped {result.skipped} (sync rules)" if result.skipped else ""
    _say(f"queued {result.queued}, unchanged {result.unchanged}, removed {result.deleted}{skipped}")
    if result.held:
        _say(f"not queued: scene {', '.join(result.held)}, held after an undo (sync with --scene ID to resume)")
    if result.unknown:
        raise CliError(f"unknown scene id(s) in Stash: {', '.join(result.unknown)}", EXIT_INPUT)
    return EXIT_OK


def cmd_process(session: Session, args: argparse.Namespace) -> int:
    engine = session.engine
    with ProcessLock(session.store.path.parent):
        session.store.recover_interrupted()
        if engine.auth_problem and not engine.check_auth_recovered():
            raise CliError(f"paused: {engine.auth_problem}", EXIT_UNREACHABLE)
        summary = engine.process_due()
    counts = session.store.counts()
    _say(f"synced {summary.synced}, retrying {summary.retried}, failed {summary.failed}; "
          f"{counts['pending'] + counts['retry_wait']} still queued, {counts['dlq']} dead letters")
    if engine.auth_problem:
        raise CliError(f"paused: {engine.auth_problem}", EXIT_UNREACHABLE)
    if summary.stopped_reason:
        _say(f"warning: stopped early: {summary.stopped_reason}", err=True)
    return EXIT_OK


def cmd_run(session: Session, args: argparse.Namespace) -> int:
    from plexsync_gui.core.sync.runner import Runner

    stop, finished = threading.Event(), threading.Event()
    canceller = threading.Thread(target=_cut_when_stopping, args=(stop, finished, session.cancellation),
                                 name="plexsync-stop")
    canceller.start()
    try:
        with ProcessLock(session.store.path.parent), _stop_on_signals(stop):
            session.store.recover_interrupted()
            runner = Runner(session.engine, session.poller, session.config.sync.poll_interval)
            runner.listen(session.secrets)
            try:
                runner.run(stop, on_round=RoundReport())
            finally:
                runner.close()
    finally:
        finished.set()
        stop.set()  # also when the loop ended with an error: the canceller ends with it
        canceller.join()
    return EXIT_OK


def cmd_import_plays(session: Session, args: argparse.Namespace) -> int:
    """The one-time import of Plex's play history into Stash; `[plex_to_stash]` says which parts."""
    from plexsync_gui.core.activity.plex_to_stash import PlexActivity

    activity = PlexActivity(session.store, session.stash, session.plex, lambda: session.config.plex_to_stash)
    _say(activity.import_past().line())
    if not session.config.plex_to_stash.enabled:
        _say("note: plex_to_stash.enabled is false, so later plays are not followed; set it to true to keep "
             "them coming", err=True)
    return EXIT_OK


class RoundReport:
    """`run`'s progress without -v: one line per poll round (its time, what the poll queued or why it failed, the
    jobs finished since the previous line, what is left), so a terminal shows the service is alive and working.
    Rounds that only process retries between polls add to the next line instead of printing their own."""

    def __init__(self) -> None:
        self._outcomes: Counter[str] = Counter()
        self._queued = 0
        self._seen: tuple[float | None, int] = (None, 0)

    def __call__(self, result: RoundResult) -> None:
        self._outcomes.update(outcome.outcome for outcome in result.outcomes)
        self._queued += result.enqueued
        if result.from_plex:
            _say(f"{time.strftime('%H:%M:%S')} {result.from_plex}")
        status = result.status
        problem = status.stash_error
        poll = (status.last_poll_at, int(problem["failures"]) if problem else 0)
        if poll == self._seen:
            return
        self._seen = poll
        done, self._outcomes = self._outcomes, Counter()
        queued, self._queued = self._queued, 0
        polled = f"Stash poll failed ({problem['message']})" if problem else f"polled Stash, queued {queued}"
        counts = status.counts
        _say(f"{time.strftime('%H:%M:%S')} {polled}; synced {done['synced']}, unchanged {done['unchanged']}, "
             f"retrying {done['retry']}, failed {done['failed']}; {counts['pending'] + counts['retry_wait']} "
             f"queued, {counts['dlq']} dead letters")
        sys.stdout.flush()  # a pipe or a log file sees each round as it happens


def _cut_when_stopping(stop: threading.Event, finished: threading.Event, cancellation: Cancellation) -> None:
    """After a stop signal, the jobs in flight get STOP_GRACE seconds to finish (a healthy server answers well
    within it); then their requests are cut, so a hanging server cannot hold up the exit, and the jobs go back to
    the queue uncharged. In a thread of its own, not in the signal handler, which may interrupt the main thread
    inside the very code that cancelling locks."""
    from plexsync_gui.core.net.http import STOP_GRACE

    stop.wait()
    if not finished.wait(STOP_GRACE):
        cancellation.cancel()


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT/SIGTERM end the loop in order. Once one did, the process is on its way out and further signals stay
    absorbed: a repeated Ctrl-C (or `timeout`, which signals the child and then its group) would otherwise land as a
    KeyboardInterrupt traceback in exit-time cleanup."""
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        if not stop.is_set():
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def cmd_status(store: Store, args: argparse.Namespace) -> int:
    status = read_status(store).to_json()
    if args.json:
        print(json_line(status))
        return EXIT_OK
    _say(f"pending {status['pending']}, retry_wait {status['retry_wait']}, in_progress {status['in_progress']}, "
          f"dead letters {status['dlq']}, synced {status['synced']}")
    _say(f"circuit breaker {status['breaker']}" + (f"; PAUSED: {status['paused']}" if status["paused"] else ""))
    if (notice := store.get(PLEX_TO_STASH_NOTICE_KEY)) is not None:
        _say(f"Plex to Stash: {notice}")
    if status["stash_error"]:
        problem = status["stash_error"]
        _say(f"Stash polls failing since {problem.get('since')} ({problem.get('failures')} in a row): "
              f"{problem.get('message')}")
    if status["database_notice"]:
        _say(f"note ({status['database_notice'].get('at')}): {status['database_notice'].get('message')}")
    events = status["events"]
    _say("events: " + ("; ".join(f"{name} {state}" for name, state in events.items()) if events
                       else "not listening (polling only)"))
    return EXIT_OK


def cmd_queue(store: Store, args: argparse.Namespace) -> int:
    if args.action == "list":
        return _print_rows(store.list_jobs(), args.json, ("id", "scene_id", "status", "attempts", "next_retry_at",
                                                          "title", "last_error"))
    ids = None if args.all else _existing(store, args.ids, "jobs")
    _say(f"{store.retry_now(ids)} job(s) due now")
    return EXIT_OK


def cmd_dlq(store: Store, args: argparse.Namespace) -> int:
    if args.action == "list":
        return _print_rows(store.list_dead_letters(), args.json, ("id", "scene_id", "error_type", "attempts",
                                                                  "failed_at", "title", "error"))
    if args.action == "purge":
        _say(f"purged {store.purge_dead_letters(args.older_than * 86400)} dead letter(s)")
        return EXIT_OK
    if args.all:
        ids = None
    elif args.scene:
        ids = _dead_letters_of_scenes(store, args.scene)
    else:
        ids = _existing(store, args.ids, "dead_letters")
    if args.action == "retry":
        _say(f"{store.retry_dead_letters(ids)} dead letter(s) moved back to the queue")
    else:
        _say(f"discarded {store.discard_dead_letters(ids)} dead letter(s)")
    return EXIT_OK


def _existing(store: Store, ids: list[int], table: str) -> list[int]:
    missing = sorted(set(ids) - store.existing_job_ids(ids, table))
    if missing:
        raise CliError(f"no such id: {', '.join(map(str, missing))} (see the list command)", EXIT_INPUT)
    return ids


def _dead_letters_of_scenes(store: Store, scene_ids: list[str]) -> list[int]:
    """The dead letters of the scenes the window shows; every scene must have one, or nothing is done."""
    rows = store.list_dead_letters(scene_ids)
    found = {row.scene_id for row in rows}
    missing = [scene for scene in dict.fromkeys(scene_ids) if scene not in found]
    if missing:
        raise CliError(f"no dead letter for scene {', '.join(missing)} (see dlq list)", EXIT_INPUT)
    return [row.id for row in rows]


def _print_rows(rows: Sequence[JobRow | DeadLetter], as_json: bool, columns: tuple[str, ...]) -> int:
    cells = [_cells(row) for row in rows]
    if as_json:
        print(json_line(cells))
        return EXIT_OK
    if not cells:
        _say("(empty)")
        return EXIT_OK
    print("\t".join(columns))
    for row in cells:  # each cell made visible on its own: the tabs between them are the table's
        print("\t".join("" if row[c] is None else visible(str(row[c])[:120]) for c in columns))
    return EXIT_OK


def _cells(row: JobRow | DeadLetter) -> dict[str, Any]:
    """A store row as the tables and `--json` print it, times as ISO 8601 UTC text: the format the CLI has always
    printed, which reads the same in every zone and parses in any script."""
    return {name: iso_utc(value) if name in TIME_FIELDS else value for name, value in asdict(row).items()}


def iso_utc(epoch: float | None) -> str | None:
    """The CLI's one time format, `2026-07-01T12:00:00Z`: the format of the status records, so one command's
    output reads alike throughout."""
    return None if epoch is None else health_time(epoch)


# ---- entry point ---------------------------------------------------------------------------------------------------

def cmd_undo(session: Session, args: argparse.Namespace) -> int:
    """Restore Plex's values; exit 3 when some item could not be restored (kept, to try again)."""
    from plexsync_gui.cli.preview import cmd_undo as undo

    with ProcessLock(session.store.path.parent):  # never beside a sync that could write the values back
        restored = undo(session, args, _say)
    return EXIT_OK if restored else EXIT_UNREACHABLE


NETWORK_COMMANDS: dict[str, Callable[[Session, argparse.Namespace], int]] = {
    "sync": cmd_sync, "process": cmd_process, "run": cmd_run, "undo": cmd_undo, "import-plays": cmd_import_plays,
    "coverage": coverage_cli.run,
}
LOCAL_COMMANDS: dict[str, Callable[[Store, argparse.Namespace], int]] = {
    "status": cmd_status, "queue": cmd_queue, "dlq": cmd_dlq,
}


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # a process of its own (not an in-process caller such as a test): no core dumps
        forbid_core_dumps()
    args = build_parser().parse_args(argv)
    secrets: list[str] = []  # known once resolved; every line printed on failure is redacted with them
    try:
        with _environment(args) as (locations, config, resolved):
            secrets.extend(resolved.values() if resolved else [])
            prepare_folders(locations)
            setup_logging(locations.log_dir, secrets, args.verbose)
            if args.command != "check":  # check lists it with its other findings
                for warning in _permission_warnings(locations, config):
                    _say(f"plexsync: warning: {warning}", err=True)
            return _dispatch(args, locations, config, resolved)
    except CliError as exc:
        return _failed(str(exc), exc.code, secrets)
    except coverage_cli.CoverageInputError as exc:
        return _failed(str(exc), EXIT_INPUT, secrets)
    except ConfigError as exc:
        return _failed(f"config error: {exc}", EXIT_INPUT, secrets)
    except (ProcessLockBusy, DatabaseUnusable, DataDirUnusable) as exc:
        return _failed(str(exc), EXIT_INPUT, secrets)
    except StashError as exc:
        return _failed(f"stash: {exc}", EXIT_UNREACHABLE, secrets)
    except (PermanentError, SyncError) as exc:
        return _failed(f"plex: {exc}", EXIT_UNREACHABLE, secrets)
    except KeyboardInterrupt:
        return EXIT_OK
    except Exception as exc:  # the last line of defence: log the details, show one line
        log.exception("internal error")
        return _failed(f"internal error: {type(exc).__name__}: {exc} (details in the log)", EXIT_INTERNAL, secrets)


def _failed(message: str, code: int, secrets: list[str]) -> int:
    """Print one redacted line: an exception text may carry a URL with a token or key."""
    _say(f"plexsync: {redact(message, secrets)}", err=True)
    return code


def _say(text: str, err: bool = False) -> None:
    """Every human-readable line goes through here: titles, paths and error texts come from Stash, Plex and file
    names, and their control characters are printed as visible escapes, never obeyed by the terminal."""
    print(visible(text), file=sys.stderr if err else sys.stdout)


def _permission_warnings(locations: Locations, config: Config | None) -> list[str]:
    """The config-file permission warning, for every command; commands that skip the config read it quietly."""
    if config is None:
        try:
            config = load_config(locations.config_file)
        except ConfigError:
            return []
    problem = config_permission_problem(locations.config_file, config)
    return [problem] if problem else []


@contextmanager
def _environment(args: argparse.Namespace) -> Iterator[tuple[Locations, Config | None, Secrets | None]]:
    """Locations, config and secrets for this invocation; with --demo, emulated servers that live until exit."""
    if args.demo:
        from plexsync_gui.emulators.demo import demo_environment

        if not args.data_dir:
            _say("plexsync: demo: fresh emulated servers and a temporary database for this command only; "
                 "add --data-dir DIR to keep the demo's queue and dead letters across commands", err=True)
        with demo_environment(args.data_dir) as (locations, config, secrets):
            yield locations, config, secrets
        return
    locations = locate(args.config, args.data_dir)
    if args.command in LOCAL_COMMANDS:
        if args.command == "status":  # "is it working?": without a usable config the answer is no, not zeros
            load_config(locations.config_file)
        yield locations, None, None
        return
    config = load_config(locations.config_file)
    from plexsync_gui.core.setup.secrets import resolve_secrets

    yield locations, config, resolve_secrets(config)


def _dispatch(args: argparse.Namespace, locations: Locations, config: Config | None,
              secrets: Secrets | None) -> int:
    store = open_store(locations, config)
    try:
        if args.command in LOCAL_COMMANDS:
            return LOCAL_COMMANDS[args.command](store, args)
        assert config is not None and secrets is not None
        if args.command == "check":
            from plexsync_gui.core.plex.client import set_client_identity

            set_client_identity(client_id(store))  # the device Plex already knows from sync runs, not a new one
            return cmd_check(config, secrets, locations)
        session = open_session(config, secrets, store)
        try:
            return NETWORK_COMMANDS[args.command](session, args)
        finally:
            session.close()
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
