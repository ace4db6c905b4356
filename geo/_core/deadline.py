"""The overall deadline of one network call, and its watchdog (private).

:class:`Deadline` is the monotonic end of a call (``geo.settings.deadline_s``
from its start, retries, redirects and body included). Within
:func:`watched`, every socket opened by a session mounted with
:class:`WatchedAdapter` is shut down when the deadline passes, so a server
that sends a byte now and then cannot hold the call longer.
:mod:`geo._core.download` uses both for every request.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
import urllib3

from geo import settings

__all__ = ["Deadline", "WatchedAdapter", "watched"]


class Deadline:
    """The monotonic end of one call (``settings.deadline_s`` from its start)."""

    def __init__(self) -> None:
        self.seconds = float(settings.deadline_s)
        self.end = time.monotonic() + self.seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def passed(self) -> bool:
        return self.remaining() <= 0

    def timeouts(self) -> tuple[float, float]:
        """(connect, read) timeouts, never beyond the deadline."""
        connect, read = settings.timeout_s
        left = max(self.remaining(), 0.001)
        return (min(float(connect), left), min(float(read), left))

    def problem(self) -> str:
        return f"overall deadline of {self.seconds:g} s passed (geo.settings.deadline_s)"


_CURRENT = threading.local()


class _Watch:
    """The sockets one call uses, shut down by a timer when its deadline passes."""

    def __init__(self, deadline: Deadline) -> None:
        self.sockets: set[socket.socket] = set()
        self.expired = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(deadline.remaining(), 0.0), self.expire)
        self._timer.daemon = True

    def track(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self.sockets.add(sock)
            expired = self.expired
        if expired:
            _shutdown(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self.sockets)
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes up a recv() blocked in another thread
    except OSError:
        pass


@contextmanager
def watched(deadline: Deadline) -> Iterator[None]:
    """Run the block under a watchdog (or the enclosing call's watchdog)."""
    if getattr(_CURRENT, "watch", None) is not None:
        yield
        return
    watch = _Watch(deadline)
    _CURRENT.watch = watch
    watch._timer.start()
    try:
        yield
    finally:
        watch._timer.cancel()
        _CURRENT.watch = None


def _track(sock: socket.socket | None) -> None:
    watch = getattr(_CURRENT, "watch", None)
    if watch is not None:
        watch.track(sock)


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _track(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:  # a reused connection
        _track(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _track(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _track(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class WatchedAdapter(requests.adapters.HTTPAdapter):
    """An adapter whose connections tell the current call's watchdog their socket."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }
