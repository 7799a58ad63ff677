""""Can PlexSync talk to this server?" answered in one line that says exactly what is wrong.

The settings dialog's "Test connection" buttons and the CLI's `check` command both use these functions, so a user
sees the same diagnosis in both. They reuse the clients the sync engine uses and only translate the clients' error
classes (and the transport failure that caused them) into advice: unreachable, TLS, credentials, wrong server.
Secrets never appear in a message: the clients' messages do not contain them, and neither do the ones built here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

import requests

from plexsync_gui.core.errors import PlexAuthError, PlexNotFound, StashAuthError, StashError, SyncError
from plexsync_gui.core.net.http import RefusedAnswer
from plexsync_gui.core.net.transport import host_port, is_tls_failure, transport_reason
from plexsync_gui.core.plex.client import SEARCH_TYPES, PlexClient
from plexsync_gui.core.setup.config import ConfigError, check_url
from plexsync_gui.core.stash.client import StashClient


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str
    libraries: list[str] = field(default_factory=list)  # Plex movie and show libraries, in server order
    folders: dict[str, list[str]] = field(default_factory=dict)  # library title -> its folders, for path mapping


MIN_SECRET_LENGTH = 8  # shorter strings turn up in URLs by chance; real tokens and keys are far longer


def check_stash(url: str, api_key: str | None, timeout: float, verify: bool | str) -> CheckResult:
    problem = _url_problem(url, api_key, "API key")
    if problem:
        return CheckResult(False, problem)
    client = StashClient(url, api_key, timeout, verify)
    try:
        info = client.probe()
    except StashAuthError:
        return CheckResult(False, "Stash rejected the API key" if api_key else
                           "Stash needs an API key (Stash: Settings > Security > API Key)")
    except StashError as exc:
        return CheckResult(False, _transport_message(exc, url, timeout) or _stash_detail(client, exc))
    finally:
        client.close()
    version = f"Stash {info.version}" if info.version else "Stash (unknown version)"
    if info.status != "OK":
        return CheckResult(False, f"{version} answers but is not ready (status {info.status}): finish its setup first")
    return CheckResult(True, f"{version} reachable")


def _stash_detail(client: StashClient, exc: StashError) -> str:
    """Stash answered, but not as expected; /healthz (open without a key) tells "Stash is down" apart, unless the
    answer was one PlexSync refused (a redirect, an oversized answer): then something is there and answering."""
    if isinstance(exc.__cause__, RefusedAnswer) or client.healthy():
        return str(exc)
    return f"{exc}; /healthz does not answer either, so Stash itself is not running there"


def check_plex(url: str, token: str | None, timeout: float, verify: bool | str) -> CheckResult:
    problem = _url_problem(url, token, "token")
    if problem:
        return CheckResult(False, problem)
    client = PlexClient(url, token, timeout, verify)
    try:
        sections = client.sections()
        name = client.server_name()
    except PlexAuthError:
        return CheckResult(False, "Plex rejected the token" if token else
                           "Plex needs a token (see 'Finding an authentication token' in Plex's help)")
    except SyncError as exc:
        return CheckResult(False, _transport_message(exc, url, timeout) or _plex_detail(url, exc))
    finally:
        client.close()
    usable = [s for s in sections if s.type in SEARCH_TYPES]
    count = f"{len(usable)} {'library' if len(usable) == 1 else 'libraries'}"
    message = f"Plex '{name}' reachable, {count}" if usable else \
        f"Plex '{name}' reachable, but it has no movie or show library"
    return CheckResult(True, message, [s.title for s in usable], {s.title: list(s.locations) for s in usable})


def _plex_detail(url: str, exc: SyncError) -> str:
    if isinstance(exc, PlexNotFound):
        return f"{host_port(url)} answers but is not a Plex server (HTTP 404)"
    if isinstance(exc.__cause__, ParseError):
        return f"{host_port(url)} answers but is not a Plex server (its answer is not Plex XML)"
    return str(exc)


def _url_problem(url: str, secret: str | None, secret_name: str) -> str | None:
    """What is wrong with the URL, without quoting it when the secret was pasted into it (messages get shown)."""
    if secret and len(secret) >= MIN_SECRET_LENGTH and secret in url:
        return f"Bad URL: it contains the {secret_name}; enter that in its own field"
    try:
        check_url("url", url)
    except ConfigError as exc:
        return "Bad URL: " + str(exc).removeprefix("url: ")
    return None


def _transport_message(exc: Exception, url: str, timeout: float) -> str | None:
    """The message for a failure before any HTTP answer (the clients chain the `requests` error as the cause); None
    for an answer PlexSync refused (a redirect, an oversized answer), which the client's own message describes."""
    cause = exc.__cause__
    where = host_port(url)
    if isinstance(cause, requests.ReadTimeout):
        return f"{where} accepted the connection but did not answer within {timeout:g} s"
    if not isinstance(cause, requests.RequestException) or isinstance(cause, RefusedAnswer):
        return None
    if is_tls_failure(cause):
        detail = transport_reason(cause).removeprefix("TLS ")
        if "certificate verify failed" in detail:
            reason = detail.removeprefix("certificate verify failed: ")
            return f"TLS certificate of {where} is not trusted ({reason}): set ca_bundle to the CA that signed it"
        kind = "TLS certificate problem" if "certificate" in detail else "TLS problem"
        return f"{kind} with {where}: {detail}"
    reason = "connection timed out" if isinstance(cause, requests.ConnectTimeout) else transport_reason(cause)
    return f"{where} is unreachable: {reason}"
