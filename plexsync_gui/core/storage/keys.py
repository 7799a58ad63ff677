"""Names of the store's key-value entries that more than one part reads, in a module that imports nothing: `plexsync
status` reads them without loading the sync engine and its network stack."""

AUTH_PAUSE_KEY = "plex_auth_error"  # why processing is paused for the Plex token (None: not paused)
BREAKER_KEY = "breaker"  # the circuit breaker's state, as JSON
WATERMARK_KEY = "stash_watermark"  # the Stash poll's cursor
PLEX_TO_STASH_NOTICE_KEY = "plex_to_stash.notice"  # what Stash lacks for Plex -> Stash; absent when nothing
EVENTS_KEY = "events_state"  # whether the syncing process hears Plex and Stash push events, as JSON (absent: off)
