"""Plex -> Stash: plays, resume points and ratings made in Plex, carried into Stash (opt-in)."""
