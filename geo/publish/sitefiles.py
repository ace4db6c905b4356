"""File names of the static site and its build-then-swap step (no HTML here).

* :func:`slug` turns an id into a file name that every system copies:
  transliterated ASCII (``Échirolles`` -> ``echirolles``), at most
  :data:`MAX_SLUG` characters (a longer id keeps its start and gets a short
  stable hash of the whole id), never a name Windows reserves (``con``,
  ``nul``, ``com1``...).
* :func:`staged_site` builds the site in a fresh folder beside ``OUT`` and
  swaps it in place only once complete: a failed build leaves ``OUT`` as it
  was, never half-built. Files of ``OUT`` that no build wrote (a ``.git``, a
  ``CNAME``...) are moved into the new tree; files of the previous build
  (listed in its manifest) that this build does not write again are dropped.
* Nothing is ever written through a symbolic link: the new tree holds none,
  and a link in ``OUT`` where the site writes that leads out of ``OUT`` is
  refused before anything is built (:class:`geo.errors.DataSourceError`).

This module must not render pages: :mod:`geo.publish.site` does.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from geo._core.files import atomic_path, write_error
from geo._core.text import strip_accents
from geo.errors import DataSourceError

__all__ = [
    "MANIFEST",
    "MAX_SLUG",
    "SITE_FOLDERS",
    "WINDOWS_RESERVED",
    "slug",
    "staged_site",
    "write_manifest",
]

#: Name of the list of files written by the last build.
MANIFEST = ".tzptce-site-manifest"

#: Longest file name stem made from an id (a page adds ``.html``; temporary
#: files add about 40 characters, still far below the usual 255).
MAX_SLUG = 80

#: Names Windows refuses for a file, whatever its extension.
WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"com{i}" for i in range(10)] + [f"lpt{i}" for i in range(10)]
)

#: Top-level entries a build writes: a link there is checked before building.
SITE_FOLDERS = ("assets", "cartes", "donnees", "regions", "territoires", "index.html", MANIFEST)

_NOT_SLUG = re.compile(r"[^a-z0-9-]+")
_HASH = 8


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH]


def slug(value: Any) -> str:
    """Return the file name stem of an id: ASCII letters, digits and ``-`` only.

    Parameters
    ----------
    value
        An id (any value; its text is used, stripped).

    Returns
    -------
    str
        Lower-case transliterated text; a long id keeps its first characters
        and ends with ``-`` and 8 hex digits of the SHA-256 of the whole id; a
        Windows-reserved name or an id with no letter or digit gets that
        suffix too.

    Examples
    --------
    >>> slug("Échirolles"), slug("Cœur de Savoie"), slug("l'Île-Saint-Denis")
    ('echirolles', 'coeur-de-savoie', 'l-ile-saint-denis')
    >>> slug("CON")
    'con-a3dbc4b6'
    >>> len(slug("x" * 300)), slug("x" * 300)[-9:]
    (80, '-0d4e2ca9')
    """
    text = "" if value is None else str(value).strip()
    stem = _NOT_SLUG.sub("-", strip_accents(text).lower()).strip("-")
    if len(stem) > MAX_SLUG:
        stem = stem[: MAX_SLUG - _HASH - 1].rstrip("-")
    elif stem and stem not in WINDOWS_RESERVED:
        return stem
    return f"{stem or 'x'}-{_digest(text)}"


# --------------------------------------------------------------------------- links


def _outside(link: Path, root: Path) -> str | None:
    """Return where ``link`` leads when that is outside ``root`` (``None`` when inside)."""
    target = link.resolve()
    return None if target == root or root in target.parents else str(target)


def _links_out(out: Path) -> list[str]:
    """List the symbolic links of ``out`` where a build writes that lead out of ``out``."""
    root = out.resolve()
    found = []
    for name in SITE_FOLDERS:
        top = out / name
        if top.is_symlink():
            where = _outside(top, root)
            if where is not None:
                found.append(f"{top} -> {where}")
            continue
        if not top.is_dir():
            continue
        for folder, dirs, files in os.walk(top):  # does not follow links
            for entry in dirs + files:
                path = Path(folder) / entry
                if path.is_symlink() and (where := _outside(path, root)) is not None:
                    found.append(f"{path} -> {where}")
    return found


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise DataSourceError(
            f"cannot build the site in {out}: it is a file, not a folder; give a folder path"
        )
    links = _links_out(out) if out.is_dir() else []
    if links:
        raise DataSourceError(
            f"cannot build the site in {out}: {len(links)} symbolic link"
            f"{'s' if len(links) > 1 else ''} there lead out of the folder "
            f"({'; '.join(links[:5])}); the site never writes through a link: remove "
            "the link(s), or build into another folder and copy it"
        )


# --------------------------------------------------------------------------- build and swap


def write_manifest(stage: Path, written: Iterable[Path]) -> Path:
    """Write the list of the build's files (paths relative to ``stage``) into ``stage``."""
    root = stage.resolve()
    names = sorted({Path(p).resolve().relative_to(root).as_posix() for p in written})
    path = stage / MANIFEST
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(names) + "\n", encoding="utf-8")
    return path


def _built_files(out: Path) -> set[str]:
    manifest = out / MANIFEST
    if manifest.is_symlink() or not manifest.is_file():
        return set()
    lines = manifest.read_text(encoding="utf-8", errors="replace").splitlines()
    return {line for line in lines if line}


def _keep_foreign(old: Path, new: Path, built: set[str], prefix: str) -> None:
    """Move the entries of ``old`` that no build wrote into ``new`` (links as links)."""
    for entry in sorted(os.scandir(old), key=lambda e: e.name):
        rel = prefix + entry.name
        target = new / entry.name
        if entry.is_dir(follow_symlinks=False):
            if target.is_dir() and not target.is_symlink():
                _keep_foreign(Path(entry.path), target, built, rel + "/")
            elif not os.path.lexists(target):
                if any(b.startswith(rel + "/") for b in built):  # a folder of the old build
                    target.mkdir()
                    _keep_foreign(Path(entry.path), target, built, rel + "/")
                    with contextlib.suppress(OSError):
                        target.rmdir()  # only when nothing was kept in it
                else:
                    os.rename(entry.path, target)
        elif rel not in built and not os.path.lexists(target):
            os.rename(entry.path, target)


def _swap(stage: Path, out: Path) -> None:
    """Put the complete tree ``stage`` in place of ``out``, keeping its foreign files."""
    if not os.path.lexists(out):
        os.rename(stage, out)
        return
    built = _built_files(out)
    old = out.with_name(f".{out.name}.tzptce-old-{secrets.token_hex(4)}")
    os.rename(out, old)
    try:
        os.rename(stage, out)
    except OSError:
        os.rename(old, out)
        raise
    try:
        _keep_foreign(old, out, built, "")
    finally:
        shutil.rmtree(old, ignore_errors=True)


def _swap_entries(stage: Path, out: Path) -> None:
    """Swap the top-level entries of ``stage`` (a folder inside ``out``) into ``out``.

    Used when ``out`` cannot be renamed as a whole (a mount point, a parent
    folder that cannot be written): each entry is renamed in turn, once the
    whole tree is complete.
    """
    built = _built_files(out)
    old = out / f".tzptce-old-{secrets.token_hex(4)}"
    old.mkdir()
    try:
        for entry in sorted(os.scandir(stage), key=lambda e: e.name):
            target = out / entry.name
            if os.path.lexists(target):
                os.rename(target, old / entry.name)
            os.rename(entry.path, target)
        _keep_foreign(old, out, built, "")
    finally:
        shutil.rmtree(old, ignore_errors=True)


def _make_stage(out: Path) -> tuple[Path, bool]:
    """Create the build folder: beside ``out`` when possible, else inside it."""
    token = secrets.token_hex(4)
    if not os.path.ismount(out):
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            stage = out.with_name(f".{out.name}.tzptce-build-{token}")
            stage.mkdir()
            return stage, False
        except OSError as exc:
            if not out.is_dir():
                raise write_error(out / "index.html", exc) from exc
    stage = out / f".tzptce-build-{token}"
    try:
        stage.mkdir()
    except OSError as exc:
        raise write_error(out / "index.html", exc) from exc
    return stage, True


@contextlib.contextmanager
def staged_site(out_dir: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty folder to build the site in; swap it in place of ``out_dir`` on success.

    Parameters
    ----------
    out_dir
        The site folder (created when missing). When it is itself a symbolic
        link, the folder it points to is replaced.

    Yields
    ------
    Path
        A fresh folder ``.<name>.tzptce-build-<token>`` beside ``out_dir``
        (inside it, as ``.tzptce-build-<token>``, when ``out_dir`` is a mount
        point or its parent cannot be written). When the block raises, it is
        removed and ``out_dir`` is untouched.

    Raises
    ------
    DataSourceError
        ``out_dir`` is a file, cannot be written, or holds symbolic links
        leading out of it where the site writes.
    """
    out = Path(out_dir)
    out = out.resolve() if out.is_symlink() else Path(os.path.abspath(out))
    _check_out(out)
    stage, inside = _make_stage(out)
    try:
        yield stage
        if inside:
            _swap_entries(stage, out)
        else:
            _swap(stage, out)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
