"""Preview: what a sync would write to Plex, per scene and field, without writing anything (core/preview/compute.py)."""
