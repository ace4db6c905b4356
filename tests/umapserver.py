"""A real uMap server for the tests: a private PostgreSQL/PostGIS cluster and uMap on 127.0.0.1.

``scripts/install-umap-server`` installs Debian's PostgreSQL and PostGIS and uMap (PyPI
``umap-project``) in its own virtual environment (``tests/.umap-venv``, or the folder named by
``TZPTCE_UMAP_VENV``). :func:`start` then, for one test session:

1. creates a PostgreSQL cluster in a temporary folder (``initdb``, password authentication,
   listening on 127.0.0.1 only on a free port, no Unix socket), run as the ``postgres`` system
   user when the tests run as root (PostgreSQL refuses to run as root);
2. creates the ``umap`` database with the ``postgis`` extension;
3. writes ``UMAP_SETTINGS`` (secret key, database, ``AJAX_PROXY_CACHE_DIR``, ``STATIC_ROOT``,
   ``MEDIA_ROOT``, ``SITE_URL``, anonymous map creation allowed);
4. runs ``umap collectstatic`` then ``umap migrate`` (that order: uMap's migrations read the
   collected static files);
5. starts uMap (``tests/umap_serve.py``: Django's threaded WSGI server with uMap's application,
   serving the collected static files as a production server would) and waits until it answers.

:meth:`UmapServer.stop` ends both servers and removes every temporary file. :func:`missing`
says why the server cannot run here (the tests skip with that reason).

This module starts processes and files only under temporary folders: never the system's
PostgreSQL cluster, never a file in the checkout.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
UMAP_VENV = Path(os.environ.get("TZPTCE_UMAP_VENV") or HERE / ".umap-venv")
SERVE_SCRIPT = HERE / "umap_serve.py"
INSTALL_HINT = "run scripts/install-umap-server (scripts/install-test-deps does)"


def postgres_bindir() -> Path | None:
    """The newest Debian PostgreSQL ``bin`` folder whose version has the PostGIS extension."""
    found = []
    for initdb in Path("/usr/lib/postgresql").glob("*/bin/initdb"):
        major = initdb.parent.parent.name
        if (Path("/usr/share/postgresql") / major / "extension" / "postgis.control").is_file():
            found.append((int(major) if major.isdigit() else 0, initdb.parent))
    return max(found)[1] if found else None


def umap_command() -> Path:
    """The ``umap`` management command of uMap's virtual environment."""
    return UMAP_VENV / "bin" / "umap"


def missing() -> str | None:
    """Why a uMap server cannot start here, or ``None`` when it can."""
    if postgres_bindir() is None:
        return f"PostgreSQL with PostGIS not installed (apt: postgresql postgis); {INSTALL_HINT}"
    if not umap_command().is_file():
        return f"uMap not installed in {UMAP_VENV}; {INSTALL_HINT}"
    if os.geteuid() == 0 and _system_user("postgres") is None:
        return "running as root and no 'postgres' system user to run PostgreSQL as"
    return None


def _system_user(name: str) -> int | None:
    import pwd

    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(cmd: list[str], *, env: dict[str, str] | None = None, what: str) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"{what} failed ({done.returncode}): {' '.join(cmd)}\n{done.stdout}\n{done.stderr}"
        )


@dataclass
class _Postgres:
    """A private PostgreSQL cluster in a temporary folder, on 127.0.0.1 only."""

    bindir: Path
    root: Path
    port: int
    password: str
    as_user: list[str] = field(default_factory=list)  # ["runuser", "-u", "postgres", "--"]

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _pg(self, tool: str, *args: str) -> list[str]:
        return [*self.as_user, str(self.bindir / tool), *args]

    def _client_env(self) -> dict[str, str]:
        return {**os.environ, "PGPASSWORD": self.password, "PGCONNECT_TIMEOUT": "10"}

    def start(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        if self.as_user:
            shutil.chown(self.root, "postgres")
            shutil.chown(pwfile, "postgres")
        _run(
            self._pg(
                "initdb", "-D", str(self.data), "-U", "umap", f"--pwfile={pwfile}",
                "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
            ),
            what="initdb",
        )  # fmt: skip
        pwfile.unlink()
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": "''",
            # a throw-away cluster: durability is not needed, speed is
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("".join(f"{k} = {v}\n" for k, v in settings.items()))
        _run(
            self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "start"),
            what="pg_ctl start",
        )
        common = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "umap"]
        _run(
            [str(self.bindir / "createdb"), *common, "umap"],
            env=self._client_env(),
            what="createdb",
        )
        _run(
            [str(self.bindir / "psql"), *common, "-d", "umap", "-v", "ON_ERROR_STOP=1",
             "-c", "CREATE EXTENSION postgis"],
            env=self._client_env(),
            what="CREATE EXTENSION postgis",
        )  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop"),
                capture_output=True,
                timeout=120,
                check=False,
            )


_SETTINGS = """\
# Written by tests/umapserver.py for one test session.
SECRET_KEY = {secret!r}
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
SITE_URL = {site_url!r}
DATABASES = {{
    "default": {{
        "ENGINE": "django.contrib.gis.db.backends.postgis",
        "NAME": "umap",
        "USER": "umap",
        "PASSWORD": {password!r},
        "HOST": "127.0.0.1",
        "PORT": {pg_port!r},
    }}
}}
STATIC_ROOT = {static!r}
MEDIA_ROOT = {media!r}
AJAX_PROXY_CACHE_DIR = {proxy_cache!r}
UMAP_ALLOW_ANONYMOUS = True
LANGUAGE_CODE = "fr"
# plain http on 127.0.0.1: cookies cannot be "Secure"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
"""


@dataclass
class UmapServer:
    """A running uMap server; ``url`` is its root, e.g. ``http://127.0.0.1:8123``."""

    url: str
    root: Path
    postgres: _Postgres
    process: subprocess.Popen[bytes] | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def log(self) -> Path:
        return self.root / "umap.log"

    def log_tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Stop uMap and PostgreSQL, and remove their files."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self.postgres.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _wait_ready(server: UmapServer, deadline_s: float) -> None:
    end = time.monotonic() + deadline_s
    last = ""
    while time.monotonic() < end:
        if server.process is not None and server.process.poll() is not None:
            raise RuntimeError(f"uMap exited ({server.process.returncode}):\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + "/fr/", timeout=5) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.2)
    raise RuntimeError(
        f"uMap did not answer within {deadline_s:g} s ({last}):\n{server.log_tail()}"
    )


def start() -> UmapServer:
    """Start PostgreSQL and uMap for a test session (see the module docstring)."""
    reason = missing()
    if reason is not None:
        raise RuntimeError(reason)
    bindir = postgres_bindir()
    assert bindir is not None
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    # Not under pytest's tmp folders: those are private to the user running the tests, and
    # PostgreSQL runs as another user when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="tzptce-umap-"))
    root.chmod(0o755)
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    pg_root = root / "pg"
    pg_root.mkdir(mode=0o700)
    postgres = _Postgres(bindir, pg_root, free_port(), secrets.token_urlsafe(24), as_user)
    port = free_port()
    server = UmapServer(f"http://127.0.0.1:{port}", root, postgres, timings=timings)
    try:
        postgres.start()
        timings["postgres_s"] = time.monotonic() - t0
        for folder in ("static", "media", "proxy-cache"):
            (root / folder).mkdir()
        settings = root / "umap_settings.py"
        settings.write_text(
            _SETTINGS.format(
                secret=secrets.token_urlsafe(40),
                site_url=server.url,
                password=postgres.password,
                pg_port=str(postgres.port),
                static=str(root / "static"),
                media=str(root / "media"),
                proxy_cache=str(root / "proxy-cache"),
            ),
            encoding="utf-8",
        )
        env = {**os.environ, "UMAP_SETTINGS": str(settings), "PYTHONUNBUFFERED": "1"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        umap = str(umap_command())
        t1 = time.monotonic()
        _run([umap, "collectstatic", "--noinput", "-v", "0"], env=env, what="umap collectstatic")
        timings["collectstatic_s"] = time.monotonic() - t1
        t1 = time.monotonic()
        _run([umap, "migrate", "--noinput", "-v", "0"], env=env, what="umap migrate")
        timings["migrate_s"] = time.monotonic() - t1
        t1 = time.monotonic()
        python = str(UMAP_VENV / "bin" / "python")
        with server.log.open("wb") as log:
            server.process = subprocess.Popen(
                [python, str(SERVE_SCRIPT), str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        _wait_ready(server, 120)
        timings["server_s"] = time.monotonic() - t1
        timings["total_s"] = time.monotonic() - t0
    except BaseException:
        server.stop()
        raise
    return server


if __name__ == "__main__":  # start one by hand: python tests/umapserver.py
    running = start()
    print(running.url, running.timings, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
        sys.exit(0)
