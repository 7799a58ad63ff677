"""`plexsync-gui`: command-line options and the composition root of the desktop app."""

from __future__ import annotations

import argparse
import sys

from plexsync_gui import __version__


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="plexsync-gui", description="PlexSync tray app: keeps Plex in step with Stash")
    parser.add_argument("--config", metavar="FILE", help="config file (env PLEXSYNC_CONFIG)")
    parser.add_argument("--data-dir", metavar="DIR", help="database and logs (env PLEXSYNC_DATA_DIR)")
    parser.add_argument("--demo", action="store_true", help="run against emulated servers with a seeded library")
    parser.add_argument("--background", action="store_true", help="start hidden in the tray (used at login)")
    parser.add_argument("-v", "--verbose", action="store_true", help="also log to the terminal")
    parser.add_argument("--version", action="version", version=f"plexsync-gui {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    parse_args(argv)
    print("plexsync-gui: the desktop app is not built yet", file=sys.stderr)
    return 1
