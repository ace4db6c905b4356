"""Readable messages for network failures, without requests/urllib3 internals (private).

``requests`` and ``urllib3`` describe a failure with their own class names
and pool texts (``HTTPConnectionPool(host=..., port=...): Max retries
exceeded...``). :func:`plain_error` says what happened in a few words; the
original exception stays chained for debugging. :func:`unresolved_host` tells
a missing network (a host name that does not resolve) from a server that
fails, so that :mod:`geo._core.download` stops at once instead of retrying.
This module opens no connection.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests
import urllib3

from geo.errors import NoNetworkError

__all__ = ["no_network_error", "plain_error", "unresolved_host"]


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """Yield ``exc`` and what it wraps (causes, contexts, urllib3 reasons, exception args)."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        wrapped += [a for a in current.args if isinstance(a, BaseException)]
        stack.extend(w for w in reversed(wrapped) if isinstance(w, BaseException))


#: Readable description of the low-level network errors, most specific first.
_PLAIN: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused (no server listens on that port)"),
    (ConnectionResetError, "connection reset by the server"),
    (http.client.RemoteDisconnected, "the server closed the connection without answering"),
    (http.client.IncompleteRead, "the body broke off"),
    (urllib3.exceptions.SSLError, "TLS error (certificate or protocol refused)"),
    (requests.ConnectTimeout, "no answer to the connection (connect timeout)"),
    (urllib3.exceptions.ConnectTimeoutError, "no answer to the connection (connect timeout)"),
    (urllib3.exceptions.ReadTimeoutError, "the server stopped answering (read timeout)"),
    (requests.ReadTimeout, "the server stopped answering (read timeout)"),
    (TimeoutError, "the server stopped answering (timeout)"),
)


def plain_error(exc: BaseException) -> str:
    """Describe a requests/urllib3 error without their class names or pool texts."""
    # urllib3's NewConnectionError derives from ConnectTimeoutError whatever its cause.
    causes = [c for c in _causes(exc) if not isinstance(c, urllib3.exceptions.NewConnectionError)]
    for kind, text in _PLAIN:
        if any(isinstance(c, kind) for c in causes):
            return text
    for cause in causes:
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
    return "the connection failed"


def unresolved_host(exc: BaseException) -> bool:
    """Whether ``exc`` comes from a host name that does not resolve (DNS, no network)."""
    return any(
        isinstance(c, (socket.gaierror, urllib3.exceptions.NameResolutionError))
        for c in _causes(exc)
    )


def no_network_error(what: str, url: str, hint: str) -> NoNetworkError:
    host = urlsplit(url).hostname or url
    return NoNetworkError(
        f"{what} failed: pas de réseau — the host name {host!r} does not resolve (no network "
        f"or no DNS), so {url} was not fetched and nothing was retried. Work offline: set "
        f"geo.settings.offline = True (or TZPTCE_OFFLINE=1) and {hint}"
    )
