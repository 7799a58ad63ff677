"""Getting a process ready: config, secrets, locations and session wiring, logging, hardening, login entries."""
