"""JavaScript/CSS assets of the maps, for single-file offline HTML (private).

Folium pages load Leaflet and its plugins from CDNs. To write a page that
works with no network at all, :func:`inline_assets` replaces every
``<script src=...>`` and ``<link rel="stylesheet" href=...>`` of a rendered
page by the file's content, read from a local asset directory, and turns the
images a stylesheet refers to (``url(images/layers.png)``) into ``data:``
URIs.

The asset directory mirrors the CDN URLs: ``https://cdn.jsdelivr.net/npm/
leaflet@1.9.3/dist/leaflet.js`` is ``<dir>/cdn.jsdelivr.net/npm/leaflet@1.9.3/
dist/leaflet.js`` (see :func:`asset_path`). Fill it once while online with
:func:`fetch_assets`, or copy the files there yourself (for instance from the
npm packages of the same versions).

Pages of maps with the user's own folium layers also load what folium
declares for them (jQuery, Leaflet.awesome-markers and icon fonts for an
``Icon``, d3 for a ``Choropleth`` legend, a plugin's files):
:func:`default_assets` lists the common ones, :func:`missing_assets` what a
given page still lacks, and :func:`complete_assets` fetches that before a
page is inlined, or says which URLs are missing and the command that fetches
them when offline mode is on. Downloads go to the CDNs, or to the mirror of
:data:`geo.settings.assets_mirror`.

Only :func:`fetch_assets` and :func:`complete_assets` touch the network.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import os
import re
import shlex
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

from geo import settings
from geo.errors import ArgumentError, DataSourceError
from geo.publish.static_files import static_text

__all__ = [
    "MAP_ASSETS",
    "asset_path",
    "asset_urls",
    "complete_assets",
    "default_assets",
    "fetch_assets",
    "fetch_command",
    "inline_assets",
    "mirror_url",
    "missing_assets",
    "one_font_format",
]

# The one definition of every CDN asset of the maps (folium 0.20 versions);
# geo.publish.maps loads exactly these.
_LEAFLET = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/"
LEAFLET_JS = _LEAFLET + "leaflet.js"
LEAFLET_CSS = _LEAFLET + "leaflet.css"
#: Leaflet's default marker images (a folium ``Marker`` without ``Icon``), by option
#: name: Leaflet finds them at run time from its CSS, which an inlined page defeats.
LEAFLET_IMAGES = {
    "iconUrl": _LEAFLET + "images/marker-icon.png",
    "iconRetinaUrl": _LEAFLET + "images/marker-icon-2x.png",
    "shadowUrl": _LEAFLET + "images/marker-shadow.png",
}
_CLUSTER = "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/"
CLUSTER_JS = _CLUSTER + "leaflet.markercluster.js"
CLUSTER_CSS = (_CLUSTER + "MarkerCluster.css", _CLUSTER + "MarkerCluster.Default.css")
_FULLSCREEN = "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/"
FULLSCREEN_JS = _FULLSCREEN + "Control.FullScreen.min.js"
FULLSCREEN_CSS = _FULLSCREEN + "Control.FullScreen.css"

#: CDN URLs of every asset a :func:`geo.publish.maps.synergy_map` page loads, and
#: Leaflet's default marker images; images referenced by the CSS are fetched with them.
MAP_ASSETS: tuple[str, ...] = (
    LEAFLET_JS,
    LEAFLET_CSS,
    *LEAFLET_IMAGES.values(),
    CLUSTER_JS,
    *CLUSTER_CSS,
    FULLSCREEN_JS,
    FULLSCREEN_CSS,
)

_SCRIPT_TAG = re.compile(
    r"""<script\s+src=["'](?P<url>https?://[^"']+)["'][^>]*>\s*</script>""", re.IGNORECASE
)
_LINK_TAG = re.compile(
    r"""<link\s+(?=[^>]*rel=["']stylesheet["'])[^>]*href=["'](?P<url>https?://[^"']+)["'][^>]*/?>""",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"""url\(\s*(?P<q>["']?)(?P<ref>[^"')]+)(?P=q)\s*\)""")


def asset_path(assets_dir: str | os.PathLike[str], url: str) -> Path:
    """Return where the asset of ``url`` lives inside ``assets_dir``.

    ``<dir>/<host>/<path>``; a port is written ``host_port``.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DataSourceError(f"asset URL {url!r} is not an http(s) URL")
    relative = parts.path.lstrip("/")
    if not relative or ".." in relative.split("/"):
        raise DataSourceError(f"asset URL {url!r} has no usable file path")
    return Path(assets_dir) / parts.netloc.replace(":", "_") / relative


def asset_urls(html: str) -> list[str]:
    """List the script and stylesheet URLs a rendered page loads, in order."""
    found = [m.group("url") for m in _SCRIPT_TAG.finditer(html)]
    found += [m.group("url") for m in _LINK_TAG.finditer(html)]
    return list(dict.fromkeys(found))


_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}", re.IGNORECASE)
_FONT_SRC = re.compile(r"(?<![-\w])src\s*:\s*(?P<value>[^;}]+);?", re.IGNORECASE)


def _src_entries(value: str) -> list[str]:
    """Split a ``src`` value at its top-level commas (``url(a) format("woff2"), url(b)``)."""
    entries, depth, start = [], 0, 0
    for i, char in enumerate(value):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            entries.append(value[start:i].strip())
            start = i + 1
    return [e for e in (*entries, value[start:].strip()) if e]


def one_font_format(css: str) -> str:
    """Keep one file per ``@font-face``: the WOFF2 one (else WOFF) when the rule offers it.

    Icon fonts list the same font in up to five formats for old browsers
    (EOT, SVG, TTF...); every browser that runs Leaflet reads WOFF2 or WOFF.
    An offline page then fetches and inlines one file per font, not five.
    A rule with neither format is kept as it is.

    Examples
    --------
    >>> one_font_format('@font-face{font-family:"F";src:url(f.eot);'
    ...                 'src:url(f.woff2) format("woff2"),url(f.ttf) format("truetype")}')
    '@font-face{font-family:"F";src:url(f.woff2) format("woff2")}'
    """

    def rule(match: re.Match[str]) -> str:
        text = match.group(0)
        entries = [e for m in _FONT_SRC.finditer(text) for e in _src_entries(m.group("value"))]
        for kind in ("woff2", "woff"):
            pattern = re.compile(rf"format\(\s*['\"]?{kind}['\"]?\s*\)", re.IGNORECASE)
            chosen = [e for e in entries if pattern.search(e)]
            if chosen:
                rest = _FONT_SRC.sub("", text)[:-1].rstrip().rstrip(";")
                return f"{rest}{'' if rest.endswith('{') else ';'}src:{chosen[0]}}}"
        return text

    return _FONT_FACE.sub(rule, css)


def css_references(css: str, base_url: str) -> list[str]:
    """Return the absolute URLs a stylesheet refers to (``url(...)``), one font format each.

    Parameters
    ----------
    css
        The stylesheet's text.
    base_url
        Where it was fetched from: relative references are resolved against it.

    Returns
    -------
    list of str
        The images and fonts to fetch with it (``data:`` URIs and fragments left out).

    Examples
    --------
    >>> css_references('a { background: url("img/x.png") }', "https://cdn.org/lib/s.css")
    ['https://cdn.org/lib/img/x.png']
    """
    refs = []
    for match in _CSS_URL.finditer(one_font_format(css)):
        ref = match.group("ref").strip()
        if ref.startswith(("data:", "#")):
            continue
        refs.append(urljoin(base_url, ref))
    return refs


def _host(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


def default_assets() -> tuple[str, ...]:
    """Return what ``python -m geo assets fetch`` downloads by default.

    The synergy map's own assets (:data:`MAP_ASSETS`) and those folium
    declares for the elements users commonly add (``Marker`` with an
    ``Icon``, ``Popup``, ``Choropleth``: see
    :func:`geo.publish.foliummap.user_asset_urls`).
    """
    from geo.publish.foliummap import user_asset_urls  # imports folium

    return tuple(dict.fromkeys((*MAP_ASSETS, *user_asset_urls())))


def mirror_url(url: str) -> str:
    """Return where an asset is downloaded from: its CDN, or the mirror's copy.

    With :data:`geo.settings.assets_mirror` set, ``https://<host>/<path>``
    is fetched from ``<mirror>/<host>/<path>`` (the query string dropped, as
    in the asset directory).

    Raises
    ------
    ArgumentError
        :data:`geo.settings.assets_mirror` is not an ``http(s)`` URL.
    """
    base = settings.assets_mirror
    if not base:
        return url
    if urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).netloc:
        raise ArgumentError(
            f"geo.settings.assets_mirror must be an http(s) URL such as "
            f"'https://intranet.example/cdn', got {base!r}"
        )
    return f"{base.rstrip('/')}/{quote(asset_path('', url).as_posix(), safe='/@')}"


def fetch_command(assets_dir: str | os.PathLike[str], urls: Iterable[str]) -> str:
    """Return the command line that fetches ``urls`` into ``assets_dir``."""
    known = set(default_assets())
    extra = "".join(f" --url {shlex.quote(u)}" for u in dict.fromkeys(urls) if u not in known)
    return f"python -m geo assets fetch {shlex.quote(str(assets_dir))}{extra}"


def _fetch(url: str, target: Path, assets_dir: Path) -> None:
    from geo._core.download import download  # imports requests: only when fetching

    hint = f"fetch it later with: {fetch_command(assets_dir, [url])}, or copy the file to {target}"
    download(mirror_url(url), target, description="map asset", hint=hint)


def _untrusted_reference(css_url: str, ref_url: str, trusted: set[str]) -> DataSourceError:
    return DataSourceError(
        f"the stylesheet {css_url} refers to {ref_url!r}, which is not on a CDN the maps "
        f"use ({', '.join(sorted(trusted))}): not fetched. Check the stylesheet, or copy "
        "the file into the asset directory by hand (see geo.publish.assets.asset_path)"
    )


def fetch_assets(
    assets_dir: str | os.PathLike[str],
    urls: Iterable[str] | None = None,
    *,
    refresh: bool = False,
) -> list[Path]:
    """Download map assets (and the images their CSS uses) into ``assets_dir``.

    Parameters
    ----------
    assets_dir
        Target directory, created when missing.
    urls
        Asset URLs; :func:`default_assets` by default. Use :func:`asset_urls`
        on a rendered page to get the assets of any folium map.
    refresh
        Download files that are already present again.

    Returns
    -------
    list of Path
        Every asset file, present or downloaded.

    Raises
    ------
    DataSourceError
        When a file cannot be downloaded (URL and reason in the message), or
        a stylesheet refers to a file that is not on one of the trusted CDN
        hosts (those of :func:`default_assets` and of ``urls``): nothing is
        then fetched from that host.
    """
    defaults = default_assets()
    pending = list(defaults if urls is None else urls)
    trusted = {_host(u) for u in (*defaults, *pending)}
    done: list[Path] = []
    seen: set[str] = set()
    while pending:
        url = pending.pop(0)
        if url in seen:
            continue
        seen.add(url)
        target = asset_path(assets_dir, url)
        if refresh or not target.is_file():
            _fetch(url, target, Path(assets_dir))
        done.append(target)
        if target.suffix == ".css":
            css = target.read_text(encoding="utf-8", errors="replace")
            for ref in css_references(css, url):
                if urlsplit(ref).scheme not in ("http", "https") or _host(ref) not in trusted:
                    raise _untrusted_reference(url, ref, trusted)
                if ref not in seen:
                    pending.append(ref)
    return done


def _missing_error(assets_dir: Path, urls: list[str], why: str = "") -> DataSourceError:
    unique = list(dict.fromkeys(urls))
    return DataSourceError(
        f"{len(unique)} map assets missing from {assets_dir}: {', '.join(unique)}{why}; fetch "
        f"them once while online with: {fetch_command(assets_dir, unique)} (or "
        "geo.publish.assets.fetch_assets(dir, urls)), or copy each file to "
        "<dir>/<host>/<path of the URL> (e.g. from the npm package of the same version)"
    )


def missing_assets(html: str, assets_dir: str | os.PathLike[str]) -> list[str]:
    """List what a rendered page needs and ``assets_dir`` lacks, in page order.

    Scripts and stylesheets of the page (:func:`asset_urls`), and the files
    (images, fonts) that the stylesheets present in ``assets_dir`` refer to.
    """
    missing: list[str] = []
    for url in asset_urls(html):
        path = asset_path(assets_dir, url)
        if not path.is_file():
            missing.append(url)
        elif path.suffix == ".css":
            css = path.read_text(encoding="utf-8", errors="replace")
            refs = css_references(css, url)
            missing += [r for r in refs if not asset_path(assets_dir, r).is_file()]
        if url == LEAFLET_JS:
            images = LEAFLET_IMAGES.values()
            missing += [u for u in images if not asset_path(assets_dir, u).is_file()]
    return list(dict.fromkeys(missing))


def complete_assets(html: str, assets_dir: str | os.PathLike[str]) -> list[Path]:
    """Fetch into ``assets_dir`` what a rendered page needs and it lacks.

    Parameters
    ----------
    html
        A rendered page, e.g. a folium map with the user's own layers.
    assets_dir
        Directory laid out as :func:`asset_path` says.

    Returns
    -------
    list of Path
        The files fetched (none when everything was there).

    Raises
    ------
    DataSourceError
        Offline mode is on (:data:`geo.settings.offline`) and files are
        missing: the message names every missing URL and the command that
        fetches them; or a download failed (see :func:`fetch_assets`).
    """
    missing = missing_assets(html, assets_dir)
    if not missing:
        return []
    from geo._core.download import is_offline

    if is_offline():
        why = " (not fetched: offline mode is on, geo.settings.offline or TZPTCE_OFFLINE)"
        raise _missing_error(Path(assets_dir), missing, why)
    # the page's own list, not the missing files alone: a stylesheet's references are
    # then checked against the trusted hosts again (see fetch_assets)
    before = {asset_path(assets_dir, url) for url in missing}
    page_assets = asset_urls(html)
    if LEAFLET_JS in page_assets:
        page_assets += LEAFLET_IMAGES.values()
    done = fetch_assets(assets_dir, page_assets)
    return [path for path in done if path in before]


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".svg":
        mime = "image/svg+xml"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css(url: str, assets_dir: Path, missing: list[str]) -> str:
    path = asset_path(assets_dir, url)
    if not path.is_file():
        missing.append(url)
        return ""
    css = one_font_format(path.read_text(encoding="utf-8", errors="replace"))

    def replace(match: re.Match[str]) -> str:
        ref = match.group("ref").strip()
        if ref.startswith(("data:", "#")):
            return match.group(0)
        ref_url = urljoin(url, ref)
        ref_path = asset_path(assets_dir, ref_url)
        if not ref_path.is_file():
            missing.append(ref_url)
            return match.group(0)
        return f'url("{_data_uri(ref_path)}")'

    css = _CSS_URL.sub(replace, css)
    return re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)


def _default_icon_script(assets_dir: Path) -> str:
    """Point Leaflet's default marker at its images as ``data:`` URIs (when present).

    Leaflet derives the images' folder from the URL of a CSS background, which
    :func:`inline_assets` turns into a ``data:`` URI: without this, a plain
    marker would ask for ``marker-icon.png`` beside the page. The images go in a
    JSON block read by the shipped ``static/leaflet-icons.js``.
    """
    paths = {name: asset_path(assets_dir, url) for name, url in LEAFLET_IMAGES.items()}
    if not all(path.is_file() for path in paths.values()):
        return ""
    options = json.dumps({name: _data_uri(path) for name, path in paths.items()})
    options = options.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        f'\n<script type="application/json" id="geo-leaflet-icons">{options}</script>'
        f"\n<script>\n{static_text('leaflet-icons.js')}</script>"
    )


def _comment(url: str) -> str:
    r"""Return a URL as the text of a JS/CSS comment that can end neither it nor the tag.

    >>> print(_comment("https://x.org/a*/alert(1)//</script>"))
    https://x.org/a* /alert(1)//<\/script>
    """
    return re.sub(r"</", r"<\\/", url.replace("*/", "* /"))


def inline_assets(html: str, assets_dir: str | os.PathLike[str]) -> str:
    """Return ``html`` with every CDN script and stylesheet inlined.

    Parameters
    ----------
    html
        A rendered page (``m.get_root().render()``).
    assets_dir
        Directory laid out as :func:`asset_path` says.

    Returns
    -------
    str
        A page that loads no script or stylesheet from the network.

    Raises
    ------
    DataSourceError
        Listing every asset missing from ``assets_dir``.
    """
    assets_dir = Path(assets_dir)
    missing: list[str] = []

    def script(match: re.Match[str]) -> str:
        url = match.group("url")
        path = asset_path(assets_dir, url)
        if not path.is_file():
            missing.append(url)
            return match.group(0)
        js = path.read_text(encoding="utf-8", errors="replace")
        js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE).replace("<!--", "<\\!--")
        after = _default_icon_script(assets_dir) if url == LEAFLET_JS else ""
        return f"<script>/* {_comment(url)} */\n{js}\n</script>{after}"

    def link(match: re.Match[str]) -> str:
        url = match.group("url")
        return f"<style>/* {_comment(url)} */\n{_inline_css(url, assets_dir, missing)}\n</style>"

    html = _SCRIPT_TAG.sub(lambda m: script(m), html)
    html = _LINK_TAG.sub(lambda m: link(m), html)
    if missing:
        raise _missing_error(assets_dir, missing)
    return html
