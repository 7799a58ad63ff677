"""Coverage: which Stash scenes have a Plex item and which do not (and why), and which Plex items have no scene."""
