"""Download failures read by a person: no pool class names nor urllib3 texts, the cause kept
chained; no network (a name that does not resolve) fails at once with the offline way out."""

from __future__ import annotations

import socket
import time

import pytest

import geo.settings
from geo._core import download as _download
from geo.errors import DataSourceError, NoNetworkError
from geo.reference.geocoding import GeocodingWarning, geocode
from tests.conftest import Reply

INTERNALS = (
    "Pool",
    "urllib3",
    "Max retries",
    "NameResolutionError",
    "NewConnectionError",
    "Caused by",
    "Read timed out",
    "object at 0x",
)


def _readable(message: str) -> None:
    for internal in INTERNALS:
        assert internal not in message, (internal, message)


@pytest.fixture()
def fast(monkeypatch):
    monkeypatch.setattr(geo.settings, "download_retries", 1)
    monkeypatch.setattr(geo.settings, "retry_backoff_s", 0.01)


def test_read_timeout_is_plain_and_chained(local_server, fast, monkeypatch):
    monkeypatch.setattr(geo.settings, "timeout_s", (2.0, 0.3))
    local_server.route("/slow", Reply(200, b"{}", delay_s=1.0))
    with pytest.raises(DataSourceError) as info:
        _download.get_json(local_server.url + "/slow")
    message = str(info.value)
    assert "the server stopped answering (read timeout)" in message and "after 2 tries" in message
    _readable(message)
    assert info.value.__cause__ is not None  # the original error, for debugging


def test_body_broken_off_is_plain(local_server, fast, monkeypatch, tmp_path):
    monkeypatch.setattr(geo.settings, "timeout_s", (2.0, 0.2))
    local_server.route("/drip", Reply(200, b'{"a": 1}' * 4, drip_s=0.5))
    with pytest.raises(DataSourceError) as info:
        _download.download(local_server.url + "/drip", tmp_path / "body.json")
    assert "while reading the body after" in str(info.value)
    _readable(str(info.value))


def test_connection_refused_is_plain(fast):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    with pytest.raises(DataSourceError) as info:
        _download.get_json(f"http://127.0.0.1:{port}/x")
    assert "connection refused" in str(info.value)
    _readable(str(info.value))


@pytest.fixture()
def no_dns(monkeypatch):
    """A local resolver stub: every lookup fails after 0.2 s, as with no network."""
    lookups: list[str] = []

    def getaddrinfo(host, *args, **kwargs):
        lookups.append(host.decode() if isinstance(host, bytes) else str(host))
        time.sleep(0.2)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(geo.settings, "download_retries", 3)
    monkeypatch.setattr(geo.settings, "retry_backoff_s", 5.0)  # a retry would wait seconds
    return lookups


def test_no_network_fails_at_once_with_offline_alternative(no_dns):
    with pytest.raises(NoNetworkError) as info:
        _download.get_json("https://api-adresse.data.gouv.fr/search/", {"q": "x"})
    message = str(info.value)
    assert "pas de réseau" in message and "'api-adresse.data.gouv.fr' does not resolve" in message
    assert "geo.settings.offline = True" in message and "TZPTCE_OFFLINE=1" in message
    _readable(message)
    assert no_dns == ["api-adresse.data.gouv.fr"]  # one lookup: no retry, no backoff
    assert isinstance(info.value, DataSourceError)
    causes, error = [], info.value.__cause__
    while error is not None:
        causes.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(c, socket.gaierror) for c in causes)


def test_geocoding_without_network_stops_after_one_lookup(no_dns, seeded_cache, monkeypatch):
    monkeypatch.setattr(geo.settings, "ban_url", "https://ban.example.org")
    addresses = [f"{n} rue de la Paix, Paris" for n in range(1, 6)]
    with pytest.warns(GeocodingWarning) as record:
        result = geocode(addresses, citycodes=["75056"] * 5)
    assert len(result) == 5 and no_dns == ["ban.example.org"]
    text = " ".join(str(w.message) for w in record)
    assert "pas de réseau" in text
    _readable(text)
