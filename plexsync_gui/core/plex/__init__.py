"""Plex: the client over plexapi, the edit planner that builds each PUT, and fitting posters to what Plex accepts."""
