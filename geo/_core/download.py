"""HTTP downloads and API calls with retries, validation and offline mode (private).

The only module that opens network connections. Every request:

* refuses to run in offline mode (``geo.settings.offline``, whose default
  comes from the environment variable ``TZPTCE_OFFLINE``) before any socket
  is opened;
* uses the (connect, read) timeouts of ``geo.settings.timeout_s`` and, for the
  whole call (retries, redirects and body included), the overall deadline
  ``geo.settings.deadline_s``: bodies are read in chunks against a monotonic
  clock, and when the deadline passes a watchdog shuts the call's sockets
  down, so a server that sends a byte now and then (headers or body) cannot
  hold a call longer;
* follows redirects itself, at most :data:`MAX_REDIRECTS`, only to http(s) URLs
  on the host of the URL asked (or a host that source is known to redirect to,
  :data:`REDIRECT_HOSTS`), never from https to http: a redirect elsewhere is
  refused before any connection to the other host is attempted;
* is retried with exponential backoff (``settings.download_retries``,
  ``settings.retry_backoff_s``) on connection errors, timeouts, HTTP 429
  (honouring a short ``Retry-After``), 5xx and bodies that break off;
* fails with a :class:`geo.errors.DataSourceError` naming the URL, the HTTP
  status or the connection error, and what to do without the network; no
  ``requests``/``urllib3`` exception escapes.

Downloads stream into a temporary file (:func:`geo._core.files.atomic_path`) that only
replaces the target once the body is complete and validated.
"""

from __future__ import annotations

import email.utils
import functools
import gzip
import http.client
import json
import os
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from geo import settings
from geo._core.bodies import check_gzip, validate_geojson, validate_zip
from geo._core.deadline import Deadline, WatchedAdapter, watched
from geo._core.files import atomic_path, temporary_path
from geo._core.netmessages import no_network_error, plain_error, unresolved_host
from geo.errors import DataSourceError

__all__ = [
    "MAX_REDIRECTS",
    "OFFLINE_HINT",
    "REDIRECT_HOSTS",
    "check_online",
    "download",
    "get_json",
    "is_offline",
    "request",
    "scratch_file",
    "validate_geojson",
    "validate_zip",
]

OFFLINE_HINT = "use source='embedded' (no network) or path=<local file>"

#: Longest ``Retry-After`` (seconds) we are willing to wait for.
MAX_RETRY_AFTER_S = 60.0

#: Most redirects followed for one request.
MAX_REDIRECTS = 5

#: Hosts a source's host is known to redirect to, besides itself: data.gouv.fr
#: serves dataset resources ``/api/1/datasets/r/<id>`` from its static host, and
#: the BAN geocoder moves to IGN's Géoplateforme. Add an entry to trust another.
REDIRECT_HOSTS: dict[str, tuple[str, ...]] = {
    "www.data.gouv.fr": ("static.data.gouv.fr",),
    "data.gouv.fr": ("www.data.gouv.fr", "static.data.gouv.fr"),
    "api-adresse.data.gouv.fr": ("data.geopf.fr",),
}

#: Bodies larger than this show a progress bar (on a terminal).
PROGRESS_MIN_BYTES = 5 * 1024 * 1024

_CHUNK = 1 << 16
_USER_AGENT = "tzptce-geo/0.1 (python-requests)"
_REDIRECT_STATUSES = (301, 302, 303, 307, 308)

Validator = Callable[[Path], None]


def is_offline() -> bool:
    """Return whether offline mode is on (:data:`geo.settings.offline`).

    ``TZPTCE_OFFLINE`` gives that setting its default when :mod:`geo.settings`
    is imported; afterwards the setting alone decides, so
    ``geo.settings.offline = False`` overrides the environment.
    """
    return bool(settings.offline)


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
    adapter = WatchedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
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


# --- redirects ---------------------------------------------------------------------------


class _Refused(Exception):
    """A redirect we do not follow, or a URL we do not fetch: never retried."""


class _TransientBodyError(Exception):
    """The body broke off (timeout, connection lost, short read): worth a retry."""


class _DeadlineError(Exception):
    """The overall deadline passed while reading: not retried."""


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, explicit port or ``None`` for the scheme's default)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1": matches nothing
        return "", "", -1
    try:
        port = parts.port
    except ValueError:
        port = -1  # an invalid port matches nothing
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), None if port == default else port


def _allowed_hosts(url: str, extra: Iterable[str] = ()) -> set[tuple[str, int | None]]:
    _, host, port = _origin(url)
    allowed = {(host, port)}
    for other in (*REDIRECT_HOSTS.get(host, ()), *extra):  # "host" or "host:port"
        _, other_host, other_port = _origin(f"http://{other}")
        allowed.add((other_host, other_port))
    return allowed


def _check_url(url: str) -> None:
    scheme, host, port = _origin(url)
    if scheme not in ("http", "https") or not host:
        raise _Refused(f"not an http(s) URL: {url!r}")
    if port == -1:
        raise _Refused(f"invalid port in {url!r}")


def _redirect_problem(
    source: str, target: str, allowed: set[tuple[str, int | None]]
) -> str | None:
    scheme, host, port = _origin(target)
    if scheme not in ("http", "https"):
        return f"scheme {scheme + ':' if scheme else '(none)'} is not http(s)"
    if (host, port) not in allowed:
        shown = sorted(h if p is None else f"{h}:{p}" for h, p in allowed)
        return f"another host ({host or '?'}) than the source's ({', '.join(shown)})"
    if _origin(source)[0] == "https" and scheme == "http":
        return "from https to http"
    return None


def _send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None,
    data: Any,
    files: Any,
    allowed: set[tuple[str, int | None]],
    deadline: Deadline,
) -> requests.Response:
    """Send the request and follow redirects within ``allowed`` hosts (headers only read)."""
    seen: list[str] = []
    current = url
    for hop in range(MAX_REDIRECTS + 1):
        response = session.request(
            method,
            current,
            params=params if hop == 0 else None,
            data=data,
            files=files,
            timeout=deadline.timeouts(),
            stream=True,
            allow_redirects=False,
        )
        location = response.headers.get("Location")
        if response.status_code not in _REDIRECT_STATUSES or location is None:
            return response
        here = response.url or current
        response.close()
        target = urljoin(here, location.strip())
        seen.append(here)
        problem = _redirect_problem(here, target, allowed)
        if problem is not None:
            raise _Refused(f"redirect to {target!r} refused: {problem}")
        if target in seen:
            raise _Refused(f"redirect loop ({' -> '.join([*seen, target])})")
        if response.status_code == 303 or (response.status_code in (301, 302) and method != "GET"):
            method, data, files = "GET", None, None
        if deadline.passed():
            raise _DeadlineError(deadline.problem())
        current = target
    raise _Refused(f"more than {MAX_REDIRECTS} redirects ({' -> '.join(seen)})")


def _read_body(
    response: requests.Response,
    write: Callable[[bytes], Any],
    deadline: Deadline,
    *,
    decode_content: bool,
    progress: Callable[[int], Any] | None = None,
) -> int:
    """Copy the body into ``write`` chunk by chunk, within the deadline; return its size.

    Raises
    ------
    _TransientBodyError
        The body broke off (connection reset, read timeout, short body).
    _DeadlineError
        The overall deadline passed.
    DataSourceError
        The body cannot be decoded (``Content-Encoding`` not matching the bytes).
    """
    raw = response.raw
    received = 0
    try:
        while True:
            if deadline.passed():
                raise _DeadlineError(
                    f"{deadline.problem()} while reading the body ({received} bytes received)"
                )
            chunk = raw.read1(_CHUNK, decode_content=decode_content)
            if not chunk:
                if deadline.passed():  # the watchdog shut the socket: not the end
                    raise _DeadlineError(
                        f"{deadline.problem()} while reading the body ({received} bytes received)"
                    )
                break
            write(chunk)
            received += len(chunk)
            if progress is not None:
                progress(len(chunk))
    except urllib3.exceptions.DecodeError as exc:
        encoding = response.headers.get("Content-Encoding", "")
        raise DataSourceError(
            f"garbled body: it does not decode as its Content-Encoding {encoding!r} says ({exc})"
        ) from exc
    except (
        urllib3.exceptions.HTTPError,
        requests.RequestException,
        http.client.HTTPException,
        OSError,
    ) as exc:
        if deadline.passed():
            raise _DeadlineError(
                f"{deadline.problem()} while reading the body ({received} bytes received)"
            ) from exc
        kind = "timeout" if isinstance(exc, TimeoutError) or "timed out" in str(exc) else ""
        raise _TransientBodyError(
            f"{kind or 'connection lost'} while reading the body after {received} bytes "
            f"({plain_error(exc)})"
        ) from exc
    return received


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
    allowed_hosts: Iterable[str] = (),
    _deadline: Deadline | None = None,
) -> requests.Response:
    """Send one HTTP request with the package's retry, redirect and deadline policy.

    Parameters
    ----------
    method, url, params, data, files
        As for :meth:`requests.Session.request`.
    description
        What is fetched, for error messages (``"BAN geocoding"``).
    hint
        What the user can do instead, appended to error messages.
    stream
        Do not read the body yet (the caller must read it within the deadline,
        under its own watchdog, and close the response; :func:`download` does).
    session
        Reuse this session (connection pooling across calls).
    allowed_hosts
        Other hosts redirects may lead to, besides ``url``'s own host and its
        :data:`REDIRECT_HOSTS`.

    Returns
    -------
    requests.Response
        A response with a status below 400 whose body, unless ``stream``, has
        been read within the deadline.

    Raises
    ------
    DataSourceError
        Offline mode, a URL that is not http(s), a redirect refused (another
        host, not http(s), a loop, too many), connection error or timeout
        after every retry, a body broken off or garbled, the overall deadline
        passed, an HTTP error status, or a 429/5xx still answered after every
        retry.
    """
    check_online(url, hint=hint)
    deadline = _deadline or Deadline()
    try:
        _check_url(url)
    except _Refused as exc:
        raise _failure(description, url, str(exc), hint) from None
    session = session or _session()
    allowed = _allowed_hosts(url, allowed_hosts)
    send = functools.partial(
        _send, session, method, url, params=params, data=data, files=files, allowed=allowed
    )
    with watched(deadline):
        retries = max(0, int(settings.download_retries))
        last_problem = "no answer"
        last_error: BaseException | None = None
        for attempt in range(retries + 1):
            outcome = _attempt(send, url, deadline, stream, description, hint)
            if isinstance(outcome, requests.Response):
                return outcome
            last_problem = outcome.problem
            if outcome.error is not None:  # an error status keeps the last exception
                last_error = outcome.error
            if deadline.passed():
                raise _failure(
                    description, url, f"{last_problem}; {deadline.problem()}", hint
                ) from last_error
            if attempt == retries:
                break
            delay = _sleep_before_retry(attempt, outcome.response)
            if delay is None:
                last_problem += (
                    f" with Retry-After {outcome.response.headers.get('Retry-After')!r} "  # type: ignore[union-attr]
                    f"(more than {MAX_RETRY_AFTER_S:.0f} s)"
                )
                break
            if delay >= deadline.remaining():
                raise _failure(
                    description, url, f"{last_problem}; {deadline.problem()}", hint
                ) from last_error
            time.sleep(delay)
        tries = f" after {retries + 1} tries" if retries else ""
        raise _failure(description, url, last_problem + tries, hint) from last_error


@dataclass(frozen=True)
class _Retryable:
    """A failed attempt worth another try: what went wrong, why, and the answer if any."""

    problem: str
    error: BaseException | None
    response: requests.Response | None


def _attempt(
    send: Callable[..., requests.Response],
    url: str,
    deadline: Deadline,
    stream: bool,
    description: str,
    hint: str,
) -> requests.Response | _Retryable:
    """Send the request once (``send``, within ``deadline``) and read its body unless ``stream``.

    Returns the response on success, a :class:`_Retryable` for a timeout, a
    connection error, a body broken off or a 429/5xx status; raises
    :class:`DataSourceError` for anything another try would not mend.
    """
    try:
        response = send(deadline=deadline)
    except (_Refused, _DeadlineError) as exc:
        raise _failure(description, url, str(exc), hint) from None
    except requests.Timeout as exc:
        problem = f"{plain_error(exc)}, timeouts {settings.timeout_s} s (connect, read)"
        return _Retryable(problem, exc, None)
    except requests.ConnectionError as exc:
        if unresolved_host(exc):
            raise no_network_error(description, url, hint) from exc
        return _Retryable(f"connection error: {plain_error(exc)}", exc, None)
    except (requests.RequestException, urllib3.exceptions.HTTPError, ValueError) as exc:
        raise _failure(
            description, url, f"invalid request or answer ({plain_error(exc)})", hint
        ) from exc
    if response.status_code >= 400:
        problem = _describe_status(response)
        response.close()
        if not _retryable_status(response.status_code):
            raise _failure(description, response.url or url, problem, hint)
        return _Retryable(problem, None, response)
    if stream:
        return response
    try:
        _read_into_response(response, deadline)
        return response
    except _TransientBodyError as exc:
        return _Retryable(str(exc), exc, response)
    except (_DeadlineError, DataSourceError) as exc:
        raise _failure(description, response.url or url, str(exc), hint) from None
    finally:
        response.close()


def _read_into_response(response: requests.Response, deadline: Deadline) -> None:
    """Read the whole (decoded) body within the deadline; ``.content`` then serves it."""
    parts: list[bytes] = []
    _read_body(response, parts.append, deadline, decode_content=True)
    # requests keeps a read body in _content: set it as requests itself does.
    response._content = b"".join(parts)


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
        return json.loads(response.content)
    except ValueError as exc:  # also UnicodeDecodeError: bytes that are not text
        snippet = response.content[:80].decode("utf-8", errors="replace").replace("\n", " ")
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
    allowed_hosts: Iterable[str] = (),
) -> Path:
    """Download ``url`` into ``target`` atomically, with retries and validation.

    The body is stored as sent (a ``.gz`` stays compressed). When the server
    applied ``Content-Encoding: gzip`` to a target that is not ``.gz``, the
    body is decompressed. Gzip integrity is checked whenever the bytes are
    gzip (``.gz`` target or gzip content encoding). The whole call, retries
    included, ends within ``geo.settings.deadline_s``.

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
    allowed_hosts
        Other hosts redirects may lead to (see :func:`request`).

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    DataSourceError
        Offline mode, network failure, refused redirect, deadline passed,
        HTTP error, truncated or invalid body.
    """
    target = Path(target)
    session = _session()
    deadline = Deadline()
    with watched(deadline):
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
                allowed_hosts=allowed_hosts,
                _deadline=deadline,
            )
            try:
                with atomic_path(target) as tmp:
                    encoding = _stream_to(response, tmp, description, deadline)
                    _check_body(tmp, target, encoding, url, description, hint)
                    if validate is not None:
                        try:
                            validate(tmp)
                        except DataSourceError as exc:
                            raise _failure(description, url, str(exc), hint) from exc
                        except (ValueError, OSError, EOFError) as exc:
                            raise _failure(
                                description, url, f"invalid content: {exc}", hint
                            ) from exc
                return target
            except _TransientBodyError as exc:
                if attempt == retries or deadline.passed():
                    tries = f" after {attempt + 1} tries" if attempt else ""
                    raise _failure(description, url, f"{exc}{tries}", hint) from None
                time.sleep(
                    min(settings.retry_backoff_s * (2**attempt), max(deadline.remaining(), 0))
                )
            except _DeadlineError as exc:
                raise _failure(description, url, str(exc), hint) from None
            finally:
                response.close()
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def scratch_file(suffix: str, prefix: str) -> Iterator[Path]:
    """Yield a new, empty file of this process's own in the cache; remove it on exit.

    Downloads that are converted and then thrown away go there: several
    processes may share the cache, and a fixed name would let one overwrite
    or delete another's download. The name is a :func:`geo._core.files.temporary_path`
    one, so the file of a process killed meanwhile is removed by a later run.

    Parameters
    ----------
    suffix
        End of the name (``".geojson.gz"``: :func:`download` checks gzip
        bodies by the target's suffix, readers pick their driver by it).
    prefix
        Start of the name, after a dot (hidden file), for people looking at
        the cache.
    """
    cache_dir = settings.default_cache_dir()
    with temporary_path(cache_dir / prefix, suffix=suffix) as path:
        yield path


def _stream_to(
    response: requests.Response, path: Path, description: str, deadline: Deadline
) -> str:
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
    try:
        with open(path, "wb") as handle:
            received = _read_body(
                response,
                handle.write,
                deadline,
                decode_content=False,
                progress=None if bar is None else bar.update,
            )
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
        check_gzip(tmp)
    except (OSError, EOFError, zlib.error) as exc:
        raise _failure(description, url, f"truncated or corrupt gzip body ({exc})", hint) from exc
    if encoding in ("gzip", "x-gzip") and not target.name.endswith(".gz"):
        plain = tmp.with_name(tmp.name + ".plain")
        with gzip.open(tmp, "rb") as src, open(plain, "wb") as dst:
            while block := src.read(_CHUNK * 16):
                dst.write(block)
        os.replace(plain, tmp)
