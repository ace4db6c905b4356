"""From a map's data table to page fragments and files (private; used by :mod:`geo.publish.maps`).

A synergy map page is: in its head, a description and the static CSS; in its
``<main>``, the map's ``<div>``, the text alternative of each data table
(:mod:`geo.publish.pagetext`: key facts and the list, readable without any
script), then CDN links to Leaflet (and the optional markercluster plugin)
with Subresource Integrity, the static JavaScript of
``geo/publish/static/map.js`` and one JSON data block per map made by
:func:`geo.publish.pagedata.json_block`. Data texts appear only in that block,
in the text alternative and in the ``<title>`` and description, each escaped by
:func:`geo.publish.pagedata.html_text` outside the block.

:func:`split_assets` turns a rendered page into a page with no inline script
or style (for ``Content-Security-Policy: script-src 'self'``): the page's own
code goes to a ``.js`` and a ``.css`` file next to it.
"""

from __future__ import annotations

import re
from typing import Any

from geo.publish import assets as _assets
from geo.publish import pagedata as _pagedata
from geo.publish import pagetext as _pagetext
from geo.publish.static_files import static_text

__all__ = [
    "INTEGRITY",
    "body_fragments",
    "head_fragments",
    "render_page",
    "split_assets",
    "start_script",
]

#: sha384 Subresource Integrity of each CDN file (the npm packages of the
#: same versions hold the same bytes; tests/test_maps.py checks them).
INTEGRITY = {
    _assets.LEAFLET_JS: "sha384-okbbMvvx/qfQkmiQKfd5VifbKZ/W8p1qIsWvE1ROPUfHWsDcC8/BnHohF7vPg2T6",
    _assets.LEAFLET_CSS: "sha384-o/2yZuJZWGJ4s/adjxVW71R+EO/LyCwdQfP5UWSgX/w87iiTXuvDZaejd3TsN7mf",
    _assets.CLUSTER_JS: "sha384-d3fZjp9NKg6g+z82JfePUaUc/O3DiJNfYUQh1lQ/+pV1TocwxX0ZU/+jVHjJ9dSU",
    _assets.CLUSTER_CSS[0]: (
        "sha384-lPzjPsFQL6te2x+VxmV6q1DpRxpRk0tmnl2cpwAO5y04ESyc752tnEWPKDfl1olr"
    ),
    _assets.CLUSTER_CSS[1]: (
        "sha384-5kMSQJ6S4Qj5i09mtMNrWpSi8iXw230pKU76xTmrpezGnNJQzj0NzXjQLLg+jE7k"
    ),
}

#: folium's names for the Leaflet links, so that a folium map given by the
#: user loads Leaflet once.
_LINK_NAMES = {_assets.LEAFLET_JS: "leaflet", _assets.LEAFLET_CSS: "leaflet_css"}


def _script_link(url: str) -> str:
    return (
        f'<script src="{url}" integrity="{INTEGRITY[url]}" crossorigin="anonymous"'
        f' referrerpolicy="no-referrer"></script>'
    )


def _css_link(url: str) -> str:
    return (
        f'<link rel="stylesheet" href="{url}" integrity="{INTEGRITY[url]}"'
        f' crossorigin="anonymous" referrerpolicy="no-referrer"/>'
    )


def head_fragments(data_id: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Return ``(name, html)`` fragments for ``<head>``: the description and the map's CSS.

    Nothing here loads from the network, so the page's text shows before any
    asset arrives. Shared fragments have fixed names (a page holding several
    maps has them once).
    """
    text = _pagedata.html_text(_pagetext.description(data))
    return [
        ("geo-description", f'<meta name="description" content="{text}">'),
        ("geo-css", f"<style>{static_text('map.css')}</style>"),
    ]


def body_fragments(data_id: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Return ``(name, html)`` fragments for the body, after the map's ``<div>``, in order.

    First the text alternative (title, key facts, list: readable with no
    script at all), then the CDN assets with Subresource Integrity, the
    runtime and the data block: on a slow connection the list shows while
    Leaflet is still loading. A name already on the page (a folium map that
    loads Leaflet in its head) is written once.
    """
    parts = [
        (f"{data_id}-text", _pagetext.text_section(data, data_id)),
        (_LINK_NAMES[_assets.LEAFLET_CSS], _css_link(_assets.LEAFLET_CSS)),
        (_LINK_NAMES[_assets.LEAFLET_JS], _script_link(_assets.LEAFLET_JS)),
    ]
    if data.get("cluster"):
        parts += [
            ("markerclustercss", _css_link(_assets.CLUSTER_CSS[0])),
            ("markerclusterdefaultcss", _css_link(_assets.CLUSTER_CSS[1])),
            # optional: the page draws every PTCE and says so when it fails to load
            ("markercluster", _script_link(_assets.CLUSTER_JS)),
        ]
    parts += [
        ("geo-runtime", f"<script>{static_text('map.js')}</script>"),
        (data_id, _pagedata.json_block(data_id, data)),
    ]
    return parts


def start_script(map_name: str, data_id: str) -> str:
    """Return the call that draws one data block on the folium map named ``map_name``."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", map_name):
        raise ValueError(f"not a JavaScript identifier: {map_name!r}")
    return f'geoTzptce.start({map_name}, "{data_id}");'


def render_page(data: dict[str, Any], data_id: str, map_name: str = "geo_map") -> str:
    """Write the whole page of one map without folium (what the command line writes).

    The same page as a :func:`geo.publish.maps.synergy_map` map rendered by folium:
    the same fragments, a map ``<div>`` and the start call; no template
    engine is involved at all.
    """
    head = "\n".join(text for _, text in head_fragments(data_id, data))
    body = "\n".join(text for _, text in body_fragments(data_id, data))
    create = (
        f'var {map_name} = L.map("{map_name}", '
        "{center: [46.6, 2.4], zoom: 6, zoomControl: false});"
    )
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_pagedata.html_text(data.get('title', ''))}</title>\n"
        f"<style>#{map_name} {{ position: relative; width: 100%; height: 100%; }}</style>\n"
        f"{head}\n</head>\n<body>\n<main>\n"
        f'<div class="folium-map geo-map" id="{map_name}"></div>\n'
        f"{body}\n</main>\n<script>\n{create}\n{start_script(map_name, data_id)}\n</script>\n"
        "</body>\n</html>\n"
    )


_INLINE_SCRIPT = re.compile(r"<script>(?P<code>.*?)</script>\s*", re.DOTALL)
_INLINE_STYLE = re.compile(r"<style>(?P<code>.*?)</style>\s*", re.DOTALL)


def split_assets(page: str, stem: str) -> tuple[str, str, str]:
    """Move a page's inline scripts and styles to files.

    Parameters
    ----------
    page
        A rendered page (inline ``<script>`` and ``<style>`` elements have no
        attributes; data blocks have ``type="application/json"`` and stay).
    stem
        File name without suffix of the ``.js`` and ``.css`` files, relative
        to the page.

    Returns
    -------
    tuple of str
        The page (loading ``stem.css`` in its head and ``stem.js`` at the end
        of its body), the JavaScript and the CSS.
    """
    scripts = [m.group("code") for m in _INLINE_SCRIPT.finditer(page)]
    styles = [m.group("code") for m in _INLINE_STYLE.finditer(page)]
    page = _INLINE_SCRIPT.sub("", page)
    page = _INLINE_STYLE.sub("", page)
    page = page.replace("</head>", f'<link rel="stylesheet" href="{stem}.css"/>\n</head>', 1)
    page = page.replace("</body>", f'<script src="{stem}.js"></script>\n</body>', 1)
    return page, "\n;\n".join(scripts), "\n".join(styles)
