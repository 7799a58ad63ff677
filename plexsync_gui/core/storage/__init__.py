"""What PlexSync keeps on disk: the SQLite store, private file modes, moving bad files aside, the processing lock."""
