"""The sync engine: plain Python, no Qt imports, shared by the CLI and the desktop app.

One folder per subsystem: `stash/` (talking to Stash and noticing changes), `plex/` (talking to Plex and planning
edits), `sync/` (queueing, processing, failure policy), `storage/` (the SQLite store and files on disk), `net/`
(the guarded HTTP layer both clients use), `setup/` (config, secrets, sessions, logging, login entries).
"""
