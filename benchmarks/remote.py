"""The emulated servers in a process of their own, driven through multiprocessing proxies.

Real Plex and Stash servers are other processes. Running the emulators inside the benchmark process would make
PlexSync share one interpreter lock with the servers' XML and JSON work, so the figures would measure the emulators
as much as PlexSync. Here they get their own process (and core); the benchmark seeds, inspects and edits them
through small facades whose methods take and return plain values. HTTP traffic goes straight to their sockets.
"""

from __future__ import annotations

from multiprocessing import get_context
from multiprocessing.managers import BaseManager
from typing import Any

from plexsync_gui.emulators.plex import PlexEmulator
from plexsync_gui.emulators.stash import StashEmulator


class RemotePlex:
    """The parts of PlexEmulator the benchmarks use, as plain-value methods."""

    def __init__(self, **options: Any) -> None:
        self._emulator = PlexEmulator(**options).start()

    def url(self) -> str:
        return self._emulator.url

    def add_section(self, title: str, type: str, locations: list[str]) -> int:
        return self._emulator.add_section(title, type, locations)

    def add_items(self, section_key: int, items: list[dict[str, Any]]) -> list[str]:
        return self._emulator.add_items(section_key, items)

    def count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        return self._emulator.count(method, path_prefix)

    def clear_log(self) -> None:
        self._emulator.clear_log()

    def title(self, rating_key: str) -> str | None:
        return self._emulator.item_state(rating_key)["title"]

    def add_unscanned_file(self, section_key: int, file: str, scan_delay: float) -> None:
        """A file Plex finds only when asked to scan its folder, `scan_delay` seconds after being asked."""
        self._emulator.notifications.scan_delay = scan_delay
        self._emulator.add_unscanned_file(section_key, file)

    def title_of_file(self, file: str) -> str | None:
        """The title of the item holding `file`, None while there is none (benchmarks wait for it)."""
        with self._emulator._lock:
            items = [item for item in self._emulator._items.values() if item.file == file]
        return str(items[0].fields["title"]) if items else None

    def errors(self) -> list[str]:
        return list(self._emulator.errors)

    def stop(self) -> None:
        self._emulator.stop()


class RemoteStash:
    """The parts of StashEmulator the benchmarks use, as plain-value methods."""

    def __init__(self, **options: Any) -> None:
        self._emulator = StashEmulator(**options).start()

    def url(self) -> str:
        return self._emulator.url

    def add_scenes(self, scenes: list[dict[str, Any]]) -> list[str]:
        return self._emulator.add_scenes(scenes)

    def update_scene(self, scene_id: str, **fields: Any) -> str:
        return self._emulator.update_scene(scene_id, **fields)

    def advance(self, seconds: float) -> None:
        self._emulator.advance(seconds)

    def run_job(self, description: str, scene_id: str, title: str) -> None:
        """A finished Stash job (identify, say) that changed one scene's title."""
        self._emulator.jobs.run_job(description, work=lambda: self._emulator.update_scene(scene_id, title=title))

    def scene(self, scene_id: str) -> dict[str, Any]:
        return self._emulator.scene(scene_id)

    def count(self, operation: str | None = None, path: str | None = None) -> int:
        return self._emulator.count(operation, path)

    def clear_log(self) -> None:
        self._emulator.clear_log()

    def stop(self) -> None:
        self._emulator.stop()


class _Manager(BaseManager):
    pass


_Manager.register("RemotePlex", RemotePlex)
_Manager.register("RemoteStash", RemoteStash)


class EmulatorProcess:
    """One child process hosting every emulator of a benchmark run."""

    def __init__(self) -> None:
        self._manager = _Manager(ctx=get_context("spawn"))  # no fork of a process that may run threads
        self._manager.start()

    def plex(self, **options: Any) -> RemotePlex:
        return self._manager.RemotePlex(**options)  # type: ignore[attr-defined]

    def stash(self, **options: Any) -> RemoteStash:
        return self._manager.RemoteStash(**options)  # type: ignore[attr-defined]

    def shutdown(self) -> None:
        self._manager.shutdown()
