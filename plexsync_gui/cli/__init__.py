"""`plexsync`, the headless front end: argument parsing, commands and terminal output over the core."""
