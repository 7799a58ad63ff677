"""Stash: the GraphQL client, its fixed documents, and the poller that notices changed scenes and renamed entities."""
