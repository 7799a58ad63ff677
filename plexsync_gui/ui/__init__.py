"""The desktop tray app (Qt only); it drives plexsync_gui.core through a worker on a QThread."""
