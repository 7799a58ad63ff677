"""One short phrase for a connection that failed before any HTTP answer arrived.

Both clients and the connection check describe such failures, and a user fixes each kind differently (start the
server, fix the host name, trust the certificate), so the phrase names the kind, not `requests`' exception class.
`requests` folds everything into ConnectionError with urllib3's text inside, so the kind is read from that text;
the phrases cover Linux, macOS and Windows wording.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests

_SSL_REASON = re.compile(r"\[SSL: [A-Z0-9_]+\] ([^(\"']+)")
_PHRASES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("Failed to resolve", "Name or service not known", "Temporary failure in name resolution",
      "nodename nor servname", "getaddrinfo failed", "No address associated"), "host name not found"),
    (("Connection refused", "actively refused"), "connection refused"),
    (("No route to host",), "no route to host"),
    (("Network is unreachable",), "network is unreachable"),
    (("timed out",), "timed out"),
    (("reset by peer", "forcibly closed"), "connection reset"),
    (("RemoteDisconnected", "Connection aborted"), "connection closed without an answer"),
    (("IncompleteRead",), "answer cut off"),
)


def is_tls_failure(exc: BaseException) -> bool:
    return isinstance(exc, requests.exceptions.SSLError)


def transport_reason(exc: BaseException) -> str:
    """"connection refused", "host name not found", "TLS certificate verify failed: self-signed certificate"..."""
    text = str(exc)
    if is_tls_failure(exc):
        match = _SSL_REASON.search(text)
        detail = match.group(1).strip().rstrip(".") if match else "handshake failed"
        if "wrong version number" in detail:
            detail = "handshake failed (the port does not speak https)"
        return f"TLS {detail}"
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
        return "invalid URL"
    for needles, phrase in _PHRASES:
        if any(needle in text for needle in needles):
            return phrase
    return type(exc).__name__


def host_port(url: str) -> str:
    """`host:port` of a URL, with the scheme's default port made explicit (users rarely know it)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or url
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port or (443 if parts.scheme == 'https' else 80)}"
