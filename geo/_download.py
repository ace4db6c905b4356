"""HTTP downloads and API calls with retries, validation and offline mode (private).

The only module that opens network connections. Every request:

* refuses to run in offline mode (``geo.settings.offline`` or the environment
  variable ``TZPTCE_OFFLINE``) before any socket is opened;
* uses the (connect, read) timeouts of ``geo.settings.timeout_s``;
* is retried with exponential backoff (``settings.download_retries``,
  ``settings.retry_backoff_s``) on connection errors, timeouts, HTTP 429
  (honouring a short ``Retry-After``) and 5xx;
* fails with a :class:`geo.errors.DataSourceError` naming the URL, the HTTP
  status or the connection error, and what to do without the network.

Downloads stream into a temporary file (:func:`geo._io.atomic_path`) that only
replaces the target once the body is complete and validated.
"""

from __future__ import annotations

import email.utils
import gzip
import json
import os
import time
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests
import urllib3

from . import settings
from ._io import atomic_path
from .errors import DataSourceError

__all__ = [
    "OFFLINE_HINT",
    "check_online",
    "download",
    "get_json",
    "is_offline",
    "request",
    "validate_geojson",
    "validate_zip",
]

OFFLINE_HINT = "use source='embedded' (no network) or path=<local file>"

#: Longest ``Retry-After`` (seconds) we are willing to wait for.
MAX_RETRY_AFTER_S = 60.0

#: Bodies larger than this show a progress bar (on a terminal).
PROGRESS_MIN_BYTES = 5 * 1024 * 1024

_CHUNK = 1 << 16
_USER_AGENT = "tzptce-geo/0.1 (python-requests)"

Validator = Callable[[Path], None]


def is_offline() -> bool:
    """Return whether offline mode is on (settings or ``TZPTCE_OFFLINE``)."""
    env = os.environ.get("TZPTCE_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    return bool(settings.offline) or env


def check_online(url: str, *, hint: str = OFFLINE_HINT) -> None:
    """Raise :class:`DataSourceError` when offline mode forbids fetching ``url``."""
    if is_offline():
        raise DataSourceError(
            f"offline mode is on (geo.settings.offline or TZPTCE_OFFLINE): not fetching "
            f"{url}; {hint}"
        )


def _session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = _USER_AGENT
    return session


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe_status(response: requests.Response) -> str:
    reason = f" {response.reason}" if response.reason else ""
    return f"HTTP {response.status_code}{reason}"


def _failure(what: str, url: str, problem: str, hint: str) -> DataSourceError:
    return DataSourceError(f"{what} failed: {url} — {problem}; {hint}")


def _retryable_status(status: int) -> bool:
    return status == 429 or 500 <= status < 600


def _sleep_before_retry(attempt: int, response: requests.Response | None) -> float | None:
    """Return the delay before the next try, or ``None`` when not worth waiting."""
    delay = settings.retry_backoff_s * (2**attempt)
    if response is not None and response.status_code == 429:
        asked = _retry_after(response)
        if asked is not None:
            if asked > MAX_RETRY_AFTER_S:
                return None
            delay = max(delay, asked)
    return delay


def request(
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    data: Any = None,
    files: Any = None,
    description: str = "request",
    hint: str = OFFLINE_HINT,
    stream: bool = False,
    session: requests.Session | None = None,
) -> requests.Response:
    """Send one HTTP request with the package's retry policy.

    Parameters
    ----------
    method, url, params, data, files
        As for :meth:`requests.Session.request`.
    description
        What is fetched, for error messages (``"BAN geocoding"``).
    hint
        What the user can do instead, appended to error messages.
    stream
        Do not read the body yet (the caller must close the response).
    session
        Reuse this session (connection pooling across calls).

    Returns
    -------
    requests.Response
        A response with a status below 400.

    Raises
    ------
    DataSourceError
        Offline mode, connection error or timeout after every retry, an HTTP
        error status, or a 429/5xx still answered after every retry.
    """
    check_online(url, hint=hint)
    session = session or _session()
    retries = max(0, int(settings.download_retries))
    last_problem = "no answer"
    for attempt in range(retries + 1):
        response: requests.Response | None = None
        try:
            response = session.request(
                method,
                url,
                params=params,
                data=data,
                files=files,
                timeout=settings.timeout_s,
                stream=stream,
            )
        except requests.Timeout as exc:
            last_problem = f"timeout after {settings.timeout_s} s (connect, read): {exc}"
        except requests.ConnectionError as exc:
            last_problem = f"connection error: {exc}"
        else:
            if response.status_code < 400:
                return response
            last_problem = _describe_status(response)
            if not _retryable_status(response.status_code):
                response.close()
                raise _failure(description, response.url or url, last_problem, hint)
            response.close()
        if attempt == retries:
            break
        delay = _sleep_before_retry(attempt, response)
        if delay is None:
            last_problem += (
                f" with Retry-After {response.headers.get('Retry-After')!r} "  # type: ignore[union-attr]
                f"(more than {MAX_RETRY_AFTER_S:.0f} s)"
            )
            break
        time.sleep(delay)
    tries = f" after {retries + 1} tries" if retries else ""
    raise _failure(description, url, last_problem + tries, hint)


def get_json(
    url: str,
    params: Mapping[str, Any] | None = None,
    *,
    description: str = "API request",
    hint: str = OFFLINE_HINT,
    session: requests.Session | None = None,
) -> Any:
    """GET ``url`` and return its parsed JSON body (with retries).

    Raises
    ------
    DataSourceError
        As :func:`request`, or when the body is not JSON.
    """
    response = request(
        "GET", url, params=params, description=description, hint=hint, session=session
    )
    try:
        return response.json()
    except ValueError as exc:
        snippet = response.text[:80].replace("\n", " ")
        raise _failure(
            description, response.url, f"the answer is not JSON ({snippet!r}...)", hint
        ) from exc


def download(
    url: str,
    target: str | os.PathLike[str],
    *,
    validate: Validator | None = None,
    description: str = "download",
    hint: str = OFFLINE_HINT,
    params: Mapping[str, Any] | None = None,
) -> Path:
    """Download ``url`` into ``target`` atomically, with retries and validation.

    The body is stored as sent (a ``.gz`` stays compressed). When the server
    applied ``Content-Encoding: gzip`` to a target that is not ``.gz``, the
    body is decompressed. Gzip integrity is checked whenever the bytes are
    gzip (``.gz`` target or gzip content encoding).

    Parameters
    ----------
    url
        What to fetch.
    target
        Final path; left untouched unless the whole download succeeds.
    validate
        Called with the temporary file once complete; raises
        :class:`DataSourceError` (or ``ValueError``) when the content is wrong.
        See :func:`validate_geojson` and :func:`validate_zip`.
    description
        What is downloaded, for messages and the progress bar.
    hint
        What the user can do instead, appended to error messages.
    params
        Query parameters.

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    DataSourceError
        Offline mode, network failure, HTTP error, truncated or invalid body.
    """
    target = Path(target)
    session = _session()
    retries = max(0, int(settings.download_retries))
    for attempt in range(retries + 1):
        response = request(
            "GET",
            url,
            params=params,
            description=description,
            hint=hint,
            stream=True,
            session=session,
        )
        try:
            with atomic_path(target) as tmp:
                encoding = _stream_to(response, tmp, description)
                _check_body(tmp, target, encoding, url, description, hint)
                if validate is not None:
                    try:
                        validate(tmp)
                    except DataSourceError as exc:
                        raise _failure(description, url, str(exc), hint) from exc
                    except (ValueError, OSError, EOFError) as exc:
                        raise _failure(description, url, f"invalid content: {exc}", hint) from exc
            return target
        except _TransientBodyError as exc:
            if attempt == retries:
                tries = f" after {retries + 1} tries" if retries else ""
                raise _failure(description, url, f"{exc}{tries}", hint) from exc
            time.sleep(settings.retry_backoff_s * (2**attempt))
        finally:
            response.close()
    raise AssertionError("unreachable")  # pragma: no cover


class _TransientBodyError(Exception):
    """The body broke off (timeout, connection lost, short read): worth a retry."""


def _stream_to(response: requests.Response, path: Path, description: str) -> str:
    """Write the raw body to ``path``; return the content encoding (lower case)."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    expected = response.headers.get("Content-Length")
    total = int(expected) if expected and expected.isdigit() else None
    bar = None
    if total is not None and total > PROGRESS_MIN_BYTES:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=total, unit="B", unit_scale=True, desc=description, disable=None, leave=False
        )
    received = 0
    try:
        with open(path, "wb") as handle:
            for chunk in response.raw.stream(_CHUNK, decode_content=False):
                handle.write(chunk)
                received += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
    except (
        urllib3.exceptions.ReadTimeoutError,
        urllib3.exceptions.ProtocolError,
        requests.ConnectionError,
        requests.Timeout,
    ) as exc:
        kind = "timeout" if "timed out" in str(exc).lower() else "connection lost"
        raise _TransientBodyError(
            f"{kind} while reading the body after {received} bytes: {exc}"
        ) from exc
    finally:
        if bar is not None:
            bar.close()
    if total is not None and received < total:
        raise _TransientBodyError(f"truncated body: {received} of {total} bytes received")
    return encoding


def _check_body(
    tmp: Path, target: Path, encoding: str, url: str, description: str, hint: str
) -> None:
    is_gzip = target.name.endswith(".gz") or encoding in ("gzip", "x-gzip")
    if not is_gzip:
        return
    try:
        _check_gzip(tmp)
    except (OSError, EOFError, zlib.error) as exc:
        raise _failure(description, url, f"truncated or corrupt gzip body ({exc})", hint) from exc
    if encoding in ("gzip", "x-gzip") and not target.name.endswith(".gz"):
        plain = tmp.with_name(tmp.name + ".plain")
        with gzip.open(tmp, "rb") as src, open(plain, "wb") as dst:
            while block := src.read(_CHUNK * 16):
                dst.write(block)
        os.replace(plain, tmp)


def _check_gzip(path: Path) -> None:
    with open(path, "rb") as raw:
        if raw.read(2) != b"\x1f\x8b":
            raise OSError("not a gzip file (bad magic number)")
    with gzip.open(path, "rb") as handle:
        while handle.read(_CHUNK * 16):
            pass


def _open_maybe_gzip(path: Path):
    with open(path, "rb") as raw:
        magic = raw.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


#: Bodies up to this size (uncompressed) are fully parsed by :func:`validate_geojson`.
FULL_PARSE_MAX_BYTES = 200 * 1024 * 1024


def validate_geojson(
    path: Path,
    *,
    required_properties: tuple[str | tuple[str, ...], ...] = (),
    min_features: int = 1,
) -> None:
    """Check that ``path`` (plain or gzip) holds a GeoJSON FeatureCollection.

    Bodies up to :data:`FULL_PARSE_MAX_BYTES` are parsed entirely and the
    first feature must carry ``required_properties`` (an entry that is a tuple
    is satisfied by any one of its names); larger ones are checked from their
    start (the reader that follows parses them anyway).

    Raises
    ------
    DataSourceError
        Not JSON, not a FeatureCollection, too few features, or missing
        properties.
    """
    with _open_maybe_gzip(path) as handle:
        head = handle.read(FULL_PARSE_MAX_BYTES + 1)
    if len(head) > FULL_PARSE_MAX_BYTES:
        text = head[:4096].decode("utf-8", errors="replace")
        if '"FeatureCollection"' not in text:
            raise DataSourceError("the body is not a GeoJSON FeatureCollection")
        return
    try:
        document = json.loads(head)
    except ValueError as exc:
        snippet = head[:60].decode("utf-8", errors="replace").replace("\n", " ")
        raise DataSourceError(f"the body is not GeoJSON (starts with {snippet!r})") from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        kind = document.get("type") if isinstance(document, dict) else type(document).__name__
        raise DataSourceError(f"the body is not a GeoJSON FeatureCollection (type {kind!r})")
    features = document.get("features")
    if not isinstance(features, list) or len(features) < min_features:
        count = len(features) if isinstance(features, list) else 0
        raise DataSourceError(f"the FeatureCollection has {count} features")
    if required_properties and features:
        properties = features[0].get("properties") or {}
        missing = [
            " or ".join(p) if isinstance(p, tuple) else p
            for p in required_properties
            if not any(name in properties for name in (p if isinstance(p, tuple) else (p,)))
        ]
        if missing:
            raise DataSourceError(
                f"the features lack the properties {missing} (found {sorted(properties)[:12]})"
            )


def validate_zip(path: Path, *, member_suffix: str = ".geojson") -> None:
    """Check that ``path`` is an intact ZIP archive holding a ``member_suffix`` file.

    Raises
    ------
    DataSourceError
        Not a ZIP, a corrupt member, or no member with that suffix.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
            names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise DataSourceError(f"not a valid ZIP archive ({exc})") from exc
    if broken is not None:
        raise DataSourceError(f"corrupt ZIP member {broken!r}")
    if not any(name.lower().endswith(member_suffix) for name in names):
        raise DataSourceError(f"the ZIP archive holds no {member_suffix} file (found {names[:8]})")
