"""Shared fixtures: an isolated cache, a real local HTTP server, shared data paths, Chromium."""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import geo.settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache directory for the whole run: the embedded table is converted once."""
    return tmp_path_factory.mktemp("cache")


_TEST_SETTINGS = {
    "offline": False,
    "retry_backoff_s": 0.01,
    "timeout_s": (2.0, 2.0),
}


@pytest.fixture(scope="session", autouse=True)
def _session_settings(session_cache: Path) -> Iterator[None]:
    """Point the cache at a scratch folder before any fixture of any scope loads data.

    Module-scoped fixtures run before function-scoped ones, so the isolation must
    start at session scope: no test writes into the checkout or the user's cache.
    Subprocesses (notebook kernels, ``python -m geo``) get it through the environment,
    and import this checkout's ``geo`` (``PYTHONPATH``), not the copy the venv's
    editable install points at: a git worktree tests its own code.
    """
    names = ["cache_dir", *_TEST_SETTINGS]
    saved = {name: getattr(geo.settings, name) for name in names}
    saved_env = os.environ.get("TZPTCE_CACHE_DIR")
    saved_path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), saved_path]))
    geo.settings.cache_dir = session_cache
    os.environ["TZPTCE_CACHE_DIR"] = str(session_cache)
    for name, value in _TEST_SETTINGS.items():
        setattr(geo.settings, name, value)
    yield
    for name, value in saved.items():
        setattr(geo.settings, name, value)
    for key, value in (("TZPTCE_CACHE_DIR", saved_env), ("PYTHONPATH", saved_path)):
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True)
def _isolated_settings(session_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo, after each test, whatever the test changed in the settings."""
    monkeypatch.setattr(geo.settings, "cache_dir", session_cache)
    for name, value in _TEST_SETTINGS.items():
        monkeypatch.setattr(geo.settings, name, value)


@pytest.fixture()
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory of the test's own."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setattr(geo.settings, "cache_dir", cache)
    from geo.reference import cog

    cog.clear()
    return cache


@pytest.fixture()
def seeded_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of the test's own holding only the converted embedded table.

    Downloads and geocoder answers land there, apart from other tests, without
    paying the 3 s conversion again: it is copied from the session cache.
    """
    import shutil

    from geo.reference.communes import _embedded_cache_path, _embedded_table

    _embedded_table()  # converts once per session, in the session cache
    embedded = _embedded_cache_path()
    cache = tmp_path / "cache"
    cache.mkdir()
    for file in (embedded, embedded.with_name(embedded.name + ".sha256")):
        shutil.copy2(file, cache / file.name)
    monkeypatch.setattr(geo.settings, "cache_dir", cache)
    return cache


@pytest.fixture()
def shared_data() -> Path:
    """``../shared/data``, or skip when this checkout has no ``shared/`` beside it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"third-party test data not found at {SHARED_DATA} (../shared/data)")
    return SHARED_DATA


@pytest.fixture()
def shared_reference() -> Path:
    """``../shared/reference``, or skip when absent."""
    path = SHARED / "reference"
    if not path.is_dir():
        pytest.skip(f"reference tables not found at {path} (../shared/reference)")
    return path


@dataclass
class Reply:
    """One scripted HTTP answer."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    truncate_to: int | None = None  # announce full length, send fewer bytes
    reset_after: int | None = None  # send this many body bytes, then reset the connection (RST)
    drip_s: float = 0.0  # send the body (or raw) one byte at a time, pausing this long
    raw: bytes | None = None  # send these bytes as the whole answer (status line included)


@dataclass
class Request:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _QuietServer(ThreadingHTTPServer):
    """Ignores clients that hang up early (timeout tests do that on purpose)."""

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class LocalServer:
    """A real HTTP server on 127.0.0.1 answering scripted replies per path.

    ``server.route("/a.geojson", Reply(500), Reply(200, body))`` answers 500 to
    the first request and the last reply to every later one. The path matched
    is the request path without its query string, unless a route with the full
    path and query exists. Unrouted paths answer 404.
    """

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        handler = self._handler_class()
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def hits(self, prefix: str = "") -> list[Request]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    def _next_reply(self, full_path: str) -> Reply:
        with self._lock:
            key = full_path if full_path in self.routes else full_path.split("?", 1)[0]
            replies = self.routes.get(key)
            if not replies:
                return Reply(404, b'{"message": "not found"}')
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append(
                    Request(self.command, self.path, dict(self.headers.items()), body)
                )
                reply = server._next_reply(self.path)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.raw is not None:
                    self._send_raw(reply.raw, reply.drip_s)
                    return
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    payload = reply.body
                    if reply.truncate_to is not None:
                        payload = payload[: reply.truncate_to]
                        self.close_connection = True
                    if reply.reset_after is not None:
                        self.wfile.write(payload[: reply.reset_after])
                        self.wfile.flush()
                        self._reset()
                        return
                    if reply.drip_s:
                        self._drip(payload, reply.drip_s)
                        return
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send_raw(self, raw: bytes, pause_s: float) -> None:
                try:
                    if pause_s:
                        self._drip(raw, pause_s)
                    else:
                        self.wfile.write(raw)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            def _reset(self) -> None:
                # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
                linger = struct.pack("ii", 1, 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.close_connection = True

            def _drip(self, payload: bytes, pause_s: float) -> None:
                self.close_connection = True
                for i in range(len(payload)):
                    self.wfile.write(payload[i : i + 1])
                    self.wfile.flush()
                    time.sleep(pause_s)

            do_GET = _serve
            do_POST = _serve
            do_HEAD = _serve

            def log_message(self, *args) -> None:  # keep test output clean
                pass

        return Handler

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def local_server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 for download tests."""
    server = LocalServer()
    try:
        yield server
    finally:
        server.close()


@dataclass
class ConnectGuard:
    """What :func:`connect_guard` saw: every host looked up or connected to."""

    attempts: list[str] = field(default_factory=list)

    def others(self) -> list[str]:
        """Attempts towards anything but the loopback address."""
        return [a for a in self.attempts if a not in _LOOPBACK]


_LOOPBACK = {"127.0.0.1", "localhost"}


@pytest.fixture()
def connect_guard(monkeypatch: pytest.MonkeyPatch) -> ConnectGuard:
    """Record every name lookup and connection; refuse all but 127.0.0.1.

    A redirect towards another host must not even be looked up: the guard
    lets the test say so without any packet leaving the machine.
    """
    guard = ConnectGuard()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        guard.attempts.append(name)
        if name not in _LOOPBACK:
            raise OSError(f"test guard: no lookup of {name!r} allowed")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self, address):
        host = str(address[0]) if isinstance(address, tuple) else str(address)
        guard.attempts.append(host)
        if host not in _LOOPBACK:
            raise OSError(f"test guard: no connection to {host!r} allowed")
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return guard


# --------------------------------------------------------------------------- browser

BROWSER_DIR = Path(__file__).resolve().parent / "browser"
NODE_MODULES = BROWSER_DIR / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: A 1x1 transparent PNG: what map tiles are answered with.
BLANK_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
_CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def cors_headers(path: Path) -> dict[str, str]:
    """What a CDN sends with a file: CORS, so that Subresource Integrity can be checked."""
    return {
        "Access-Control-Allow-Origin": "*",
        "Content-Type": _CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
    }


def npm_file(url: str) -> Path | None:
    """The local npm copy of a CDN URL (jsDelivr ``npm/pkg@v/...``, cdnjs ``libs/pkg/v/...``).

    ``None`` for another URL. The version in the URL must be the installed one: a
    page that asks for another version than the tests serve fails here, loudly.
    """
    parts = urlsplit(url)
    path = parts.path
    if parts.netloc == "cdn.jsdelivr.net" and path.startswith("/npm/"):
        segments = path[len("/npm/") :].split("/")
        scoped = segments[0].startswith("@")  # "@scope/name@version/..."
        spec, rest = "/".join(segments[: 1 + scoped]), "/".join(segments[1 + scoped :])
        package, _, version = spec.rpartition("@")
        candidates = [rest]
    elif parts.netloc == "cdnjs.cloudflare.com" and path.startswith("/ajax/libs/"):
        package, version, rest = path[len("/ajax/libs/") :].split("/", 2)
        candidates = [f"dist/{rest}", rest]
    else:
        return None
    meta = json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))
    assert meta["version"] == version, f"{url}: npm has {package} {meta['version']}"
    for relative in candidates:
        for name in (relative, relative.replace(".min.js", ".js")):
            local = NODE_MODULES / package / name
            if local.is_file():
                return local
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole run (Debian's, driven by Playwright)."""
    if not CHROMIUM.is_file():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    if not AXE.is_file():
        pytest.skip(
            f"browser tests need the npm assets in {NODE_MODULES}: ./scripts/install-test-deps"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class BrowserPage:
    """One page in a browser context of its own, with its errors and outside requests.

    Pages on ``file:`` and on ``127.0.0.1`` load as they are; any other URL is kept
    in :attr:`external`, then served from the npm copies (CDN files), answered with a
    blank PNG (tiles) or aborted; ``allow_network=False`` aborts them all. ``routes``
    (Playwright ``(pattern, handler)`` pairs) take precedence. ``axe=True`` puts
    axe-core in every frame. With a ``target``, the page is opened at once.
    """

    def __init__(
        self,
        browser: Any,
        target: Path | str | None = None,
        *,
        viewport: tuple[int, int] = (1100, 800),
        touch: bool = False,
        allow_network: bool = True,
        routes: tuple = (),
        origin: str | None = None,
        axe: bool = False,
    ) -> None:
        self.errors: list[str] = []
        self.external: list[str] = []
        self.allow_network = allow_network
        self.context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            has_touch=touch,
            is_mobile=touch,
        )
        if origin:
            self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        self.context.route("**/*", self._route)
        if axe:
            self.context.add_init_script(path=str(AXE))
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console: {msg.text}") if msg.type == "error" else None
            ),
        )
        for pattern, handler in routes:  # later routes take precedence
            self.page.route(pattern, handler)
        if target is not None:
            self.open(target)

    def _route(self, route: Any, request: Any) -> None:
        url = request.url
        if url.startswith(("file:", "http://127.0.0.1")):
            route.continue_()
            return
        self.external.append(url)
        if not self.allow_network:
            route.abort()
            return
        try:
            local = npm_file(url)
        except AssertionError as exc:
            self.errors.append(str(exc))
            local = None
        if local is not None:
            route.fulfill(path=str(local), headers=cors_headers(local))
        elif request.resource_type == "image":
            route.fulfill(status=200, content_type="image/png", body=BLANK_PNG)  # tiles
        else:
            route.abort()

    def open(self, target: Path | str, *, settle_ms: int = 300) -> Any:
        """Go to a URL or file, wait for it and its frames to load, return the page."""
        self.page.goto(target if isinstance(target, str) else target.as_uri(), wait_until="load")
        for frame in self.page.frames[1:]:
            frame.wait_for_load_state("load")
        self.page.wait_for_timeout(settle_ms)
        return self.page

    def js(self, code: str, arg: Any = None) -> Any:
        """Run a function body with ``map`` (the page's Leaflet map) and ``groups`` bound."""
        prelude = (
            "const map = Object.values(window).find(v => v instanceof L.Map);"
            "const groups = Object.values(map._layers);"
        )
        return self.page.evaluate(f"(arg) => {{ {prelude} {code} }}", arg)

    def wait_js(self, code: str, timeout_ms: float = 10_000) -> None:
        """Poll ``code`` (a function body that returns a boolean) until it is true."""
        prelude = "const map = Object.values(window).find(v => v instanceof L.Map);"
        self.page.wait_for_function(f"() => {{ {prelude} {code} }}", timeout=timeout_ms)

    def close(self) -> None:
        self.context.close()


# --------------------------------------------------------------------------- Nu Html Checker

VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"


def nu_errors(paths: list[Path]) -> list[str]:
    """The Nu Html Checker's errors on ``paths`` (one Java run), as "file: line: message"."""
    java = shutil.which("java")
    if java is None or not VNU_JAR.is_file():
        pytest.skip("the Nu Html Checker needs java and npm vnu-jar: scripts/install-test-deps")
    done = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(done.stderr or done.stdout)["messages"]
    return [
        f"{Path(m.get('url', '')).name}: {m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]
