"""Protocol-faithful emulated Stash and Plex servers on 127.0.0.1, for tests and demo mode."""
