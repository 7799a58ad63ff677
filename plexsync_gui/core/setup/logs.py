"""Logging set-up shared by the CLI and the desktop app, with secrets redacted from every record.

Redaction sits in a handler filter, so a secret that slips into any message (a library's debug line, an exception
text, a URL with `X-Plex-Token` or `apikey`) is masked before it reaches a file or the terminal.
"""

from __future__ import annotations

import logging
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO

from plexsync_gui.core.storage.private_files import make_private_dirs, open_private_append

_URL_SECRET = re.compile(r"(?i)((?:x-plex-token|apikey|api_key|token)=)[^&\s'\"]+")
MASK = "***"


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return _URL_SECRET.sub(r"\1" + MASK, text)


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = redact(message, self.secrets), None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


class PrivateRotatingFileHandler(RotatingFileHandler):
    """Every log file it opens (the first and each one after a rollover) is created with mode 0600: logs carry
    titles, paths and error texts, which are nobody else's business on a shared machine."""

    def _open(self) -> IO[str]:  # type: ignore[override]  # any text stream does; FileHandler only writes to it
        return open_private_append(Path(self.baseFilename), self.encoding, self.errors)


def setup_logging(log_dir: Path | None, secrets: list[str], verbose: bool = False) -> None:
    """Terminal at WARNING (INFO with verbose), plus a rotating file at INFO when `log_dir` is given."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    redacting = RedactingFilter(secrets)
    console = logging.StreamHandler()
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    console.addFilter(redacting)
    root.addHandler(console)
    if log_dir is not None:
        make_private_dirs(log_dir)
        file_handler = PrivateRotatingFileHandler(log_dir / "plexsync.log", maxBytes=5_000_000, backupCount=5,
                                           encoding="utf-8")
        file_handler.setLevel(logging.INFO)
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        file_handler.addFilter(redacting)
        root.addHandler(file_handler)
    for noisy in ("urllib3", "plexapi"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
