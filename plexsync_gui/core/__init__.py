"""The sync engine: plain Python, no Qt imports, shared by the CLI and the desktop app."""
