"""Turning Stash scenes into queued jobs and jobs into Plex edits: mapping, engine, workers, breaker, service loop."""
