"""The ``.umap`` export in a real uMap 3.8 server, as an editor and a visitor use it (issue 20).

A uMap server (PyPI ``umap-project`` 3.8, PostgreSQL/PostGIS; see ``tests/umapserver.py``)
runs for this module. For each export (national, a région, a territory, a table of hostile
names, a map updated through its published files), an editor in headless Chromium creates
a map, imports the file through uMap's own import panel ("Importer des données", format
``umap``), saves it and makes it public; then an anonymous visitor, in a fresh browser context,
opens the public map. Every expected value comes from the exported file or from the input
table, never from uMap itself. The browser reaches nothing but 127.0.0.1: every other request
is recorded and refused (the background tiles of uMap's default layer are the only ones
expected).

What the visitor must get:
- a first view where the data is: metropolitan France for the national map (no world map),
  the région's territories and PTCE for a région, the territory and its partners with a margin
  for a territory; the overseas territories of a national map listed and reachable;
- every layer of the file, with every feature once, in reading order (statuts, PTCE, links);
- popups where every value from the data is shown as typed: no link, image or frame made
  from it, no placeholder resolved, no heading or list made of its line starts, and no
  request to the hosts it names;
- strokes drawn at full opacity with a contrast of at least 3:1 against the land colour of
  uMap's default background (Positron);
- a legend: one layer per link kind, named after it; filters with French labels and no
  "[vide]" choice; numbers typed as numbers; a title naming the area; French plurals;
- an update path that does not duplicate: layers that read the published GeoJSON files, so
  that publishing a new export changes the map with the same number of features.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pytest
import shapely
import umapserver
from shapely.geometry import shape
from wcag import POSITRON_LAND, contrast, rgba

import geo
from geo.publish.frtext import public_urls, safe_url

pytestmark = [pytest.mark.slow, pytest.mark.browser]

VIEWPORT = {"width": 1280, "height": 800}
REGION = "84"  # Auvergne-Rhône-Alpes: 16 territories
TERRITORY = "trieves"  # one overlapping PTCE and one PTCE about 20 km away
# Mainland France (with Corsica), in degrees: west, south, east, north.
MAINLAND = (-5.2, 41.3, 9.6, 51.1)
# What a view "on metropolitan France" may show at most: no world map, no Atlantic.
MAINLAND_VIEW_LIMIT = (-22.0, 34.0, 27.0, 58.0)

HOSTILE = [
    "[[[https://evil.example/x|Cliquez]]]",
    "{{{https://evil.example/p.png}}}",
    "{{https://evil.example/i.png}}",
    "<img src=https://evil.example/a.png>",
    "<iframe src=https://evil.example/></iframe>",
    "{description}",
    "{name}",
    "https://evil.example/",
    "# Titre",
    "- liste",
    "**x**",
]
HOSTILE_TEXT = " ".join(HOSTILE[:8]) + "\n" + "\n".join(HOSTILE[8:])


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def umap_server() -> Iterator[umapserver.UmapServer]:
    reason = umapserver.missing()
    if reason is not None:
        pytest.skip(reason)
    server = umapserver.start()
    print(f"\nuMap server ready in {server.timings['total_s']:.1f} s: {server.timings}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium(browser):
    """The session's headless Chromium (``browser`` in conftest.py)."""
    return browser


@pytest.fixture(scope="module")
def frames():
    territories = geo.load_territories()
    ptce = geo.load_ptce()
    return territories, ptce, geo.synergies(territories, ptce)


class _StaticFiles(SimpleHTTPRequestHandler):
    """A static host like the published site's: files of one folder, readable cross-origin."""

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class SiteServer:
    """An HTTP server on 127.0.0.1 publishing a folder, as the site's static host does."""

    root: Path
    httpd: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[SiteServer]:
    root = tmp_path_factory.mktemp("site")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_StaticFiles, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    server = SiteServer(root, httpd, thread)
    try:
        yield server
    finally:
        server.close()


# --------------------------------------------------------------------------- the file


@dataclass
class FileLayer:
    """A data layer of the exported file, with its features (read from the remote file)."""

    name: str
    options: dict[str, Any]
    features: list[dict[str, Any]]


def file_layers(path: Path, site: SiteServer | None = None) -> list[FileLayer]:
    """The leaf layers of a ``.umap`` file, in file order; remote data read from ``site``."""
    document = json.loads(path.read_text(encoding="utf-8"))
    out: list[FileLayer] = []

    def walk(layer: dict[str, Any]) -> None:
        options = layer.get("_umap_options") or layer.get("properties") or {}
        children = layer.get("layers") or []
        for child in children:
            walk(child)
        if children or options.get("group"):
            return
        features = list(layer.get("features") or [])
        remote = options.get("remoteData") or {}
        if remote.get("url"):
            assert site is not None, f"{path}: layer {options.get('name')} reads {remote}"
            assert remote["url"].startswith(site.url), remote
            local = site.root / remote["url"][len(site.url) :]
            features = json.loads(local.read_text(encoding="utf-8"))["features"]
        out.append(FileLayer(str(options.get("name")), options, features))

    for layer in document["layers"]:
        walk(layer)
    return out


def bbox(geometries: list[Any]) -> tuple[float, float, float, float]:
    shapes = [shape(g) for g in geometries if g]
    return tuple(shapely.total_bounds(shapes).tolist())  # type: ignore[return-value]


# --------------------------------------------------------------------------- the browser


def _local_only(route, recorded: list[str]) -> None:
    url = route.request.url
    host = urlsplit(url).hostname
    if host == "127.0.0.1":
        route.continue_()
    else:
        recorded.append(url)
        route.abort()


@dataclass
class Visit:
    """The public map opened by an anonymous visitor."""

    page: Any
    url: str
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def state(self) -> dict[str, Any]:
        return self.page.evaluate(_STATE_JS)

    def caption(self) -> str:
        """The caption panel as the visitor reads it ("Légende" in the bottom bar)."""
        self.page.locator(".umap-caption-bar .umap-about-link").click()
        caption = self.page.locator(".panel.on .umap-caption")
        caption.wait_for()
        return caption.inner_text()

    def tile_hosts(self) -> set[str]:
        templates = self.page.evaluate(
            "() => (U.MAP.properties.tilelayers || []).map((t) => t.url_template)"
            ".concat([U.MAP.properties.tilelayer?.url_template || ''])"
        )
        hosts = set()
        for template in templates:
            host = urlsplit(template).hostname or ""
            # "{s}.tile.example" and "cartodb-basemaps-{s}.example": any subdomain letter
            hosts.add(re.sub(r"\{s\}", "[a-z0-9]+", re.escape(host).replace(r"\{s\}", "{s}")))
        return {h for h in hosts if h}

    def foreign_data_requests(self) -> list[str]:
        """Requests to other hosts than 127.0.0.1, background tiles apart."""
        patterns = [re.compile(h + r"\Z") for h in self.tile_hosts()]
        return [
            u
            for u in self.foreign
            if not any(p.match(urlsplit(u).hostname or "") for p in patterns)
        ]


_STATE_JS = """() => {
  const app = U.MAP
  const map = app.mapProxy.map
  const b = map.getBounds()
  const fieldOf = (dl, key) => {
    for (const owner of [dl, ...(dl.ancestry || []), app]) {
      const f = owner.fields?.get(key)
      if (f) return f.TYPE
    }
    return null
  }
  const layers = Array.from(app.layers.tree).map((dl) => {
    const features = dl.features.all()
    const types = {}
    for (const key of ['population', 'distance_km']) {
      if (features.some((f) => key in f.properties)) {
        types[key] = {
          field: fieldOf(dl, key),
          values: [...new Set(features.map((f) => typeof f.properties[key]))],
        }
      }
    }
    return {
      id: dl.id,
      name: dl.getName(),
      group: Boolean(dl.properties.group),
      parent: dl.parentId || null,
      remote: dl.isRemoteLayer(),
      visible: dl.isVisible(),
      description: dl.properties.description || '',
      count: features.length,
      keys: features.map((f) => JSON.stringify([
        f.properties.id ?? null, f.properties.territory_id ?? null,
        f.properties.ptce_id ?? null])),
      geometries: [...new Set(features.map((f) => f.geometry.type))],
      statuts: [...new Set(features.map((f) => f.properties.statut ?? null))],
      types,
    }
  })
  return {
    bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()],
    zoom: map.getZoom(),
    title: app.getDisplayName(),
    description: app.properties.description || '',
    layers,
  }
}"""


# uMap's own steps (import, save, first load) can take long on a busy 2-core machine: a
# generous wait, never a timed assertion.
_WAIT_MS = 120_000


def _new_context(chromium, foreign: list[str]):
    context = chromium.new_context(viewport=VIEWPORT, locale="fr-FR")
    context.set_default_timeout(_WAIT_MS)
    context.route("**/*", lambda route: _local_only(route, foreign))
    return context


def publish(chromium, server: umapserver.UmapServer, umap_file: Path, n_layers: int) -> str:
    """Create a map, import ``umap_file`` through uMap's import panel, save, make it public."""
    foreign: list[str] = []
    context = _new_context(chromium, foreign)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(server.url + "/fr/map/new/")
        page.wait_for_function("() => window.U && U.MAP && U.MAP.dataloaded")
        page.get_by_title("Importer des données").first.click()
        panel = page.locator(".umap-import")
        panel.locator("input[type=file]").set_input_files(str(umap_file))
        panel.locator("select[name=format]").select_option("umap")
        panel.locator("input[name=submit]").click()
        page.wait_for_function(
            "n => Array.from(U.MAP.layers.tree).filter((l) => !l.properties.group).length >= n",
            arg=n_layers,
        )
        page.get_by_role("button", name="Enregistrer le brouillon").click()
        page.wait_for_url(re.compile(r".*/map/[^/]+_\d+$"))
        page.wait_for_function("() => !U.MAP.isDirty")
        page.get_by_role("button", name=re.compile("^Visibilité")).click()
        page.locator("select[name=share_status]").select_option("1")  # Tout le monde (public)
        page.get_by_role("button", name="Enregistrer", exact=True).click()
        page.wait_for_function("() => !U.MAP.isDirty")
        page.wait_for_function("() => U.MAP.permissions.properties.share_status === 1")
        assert not errors, errors
        return page.url
    except Exception as exc:  # say what uMap showed: its alerts, the page's errors
        alerts = page.locator("umap-alert, .umap-alert, [role=alert]").all_inner_texts()
        raise AssertionError(f"publishing {umap_file.name}: {alerts} {errors}") from exc
    finally:
        context.close()


def visit(chromium, map_url: str) -> Visit:
    """Open a public map as an anonymous visitor (new context, no cookie of the editor)."""
    foreign: list[str] = []
    context = _new_context(chromium, foreign)
    page = context.new_page()
    result = Visit(page, map_url, foreign)
    page.on("pageerror", lambda exc: result.errors.append(str(exc)))
    response = page.goto(map_url)
    assert response is not None and response.status == 200, (map_url, response)
    page.wait_for_function("() => window.U && U.MAP && U.MAP.dataloaded")
    # The initial view is set once data are in, maybe with an animation: wait until the
    # view stays the same for half a second.
    last = None
    for _ in range(40):
        page.wait_for_timeout(250)
        now = page.evaluate("() => U.MAP.mapProxy.map.getBounds().toBBoxString()")
        if now == last:
            break
        last = now
    return result


@dataclass
class Published:
    file: Path
    layers: list[FileLayer]
    visit: Visit


@pytest.fixture(scope="module")
def published(umap_server, chromium, frames, tmp_path_factory) -> Iterator[dict[str, Published]]:
    """The national, région and territory exports, published once each, opened as a visitor."""
    folder = tmp_path_factory.mktemp("exports")
    territories, ptce, pairs = frames
    out: dict[str, Published] = {}
    contexts = []
    paths = {"national": folder / "national.umap"}
    # The national export through the command line, as the README shows it.
    done = subprocess.run(
        [sys.executable, "-m", "geo", "map", "--umap", str(paths["national"])],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    paths["region"] = geo.write_umap(
        folder / "region.umap", territories, ptce, pairs, region=REGION
    )
    paths["territory"] = geo.write_umap(
        folder / "territory.umap", territories, ptce, pairs, territory=TERRITORY
    )
    for kind, path in paths.items():
        layers = file_layers(path)
        url = publish(chromium, umap_server, path, len(layers))
        seen = visit(chromium, url)
        contexts.append(seen.page.context)
        out[kind] = Published(path, layers, seen)
    yield out
    for context in contexts:
        context.close()


# --------------------------------------------------------------------------- views


def _inside(inner, outer, tol: float = 1e-9) -> bool:
    w, s, e, n = inner
    W, S, E, N = outer
    return w >= W - tol and s >= S - tol and e <= E + tol and n <= N + tol


def _grow(box, share: float):
    w, s, e, n = box
    dx, dy = (e - w) * share, (n - s) * share
    return (w - dx, s - dy, e + dx, n + dy)


_SCREEN_JS = """([w, s, e, n]) => {
  const map = U.MAP.mapProxy.map
  const box = map.getContainer().getBoundingClientRect()
  const a = map.latLngToContainerPoint([n, w])
  const b = map.latLngToContainerPoint([s, e])
  const rel = (r) => [r.left - box.left, r.top - box.top, r.right - box.left, r.bottom - box.top]
  const covers = Array.from(document.querySelectorAll('.leaflet-control, .panel.on'))
    .filter((el) => el.offsetParent !== null && el.getClientRects().length)
    .map((el) => [el.className, ...rel(el.getBoundingClientRect())])
    .filter(([, x0, y0, x1, y1]) => x1 > x0 && y1 > y0)
  return {data: [a.x, a.y, b.x, b.y], size: [box.width, box.height], covers}
}"""


def assert_shown(visit: Visit, box, what: str, margin_px: float = 12) -> None:
    """The box is on screen, ``margin_px`` from the edges, under no control nor panel."""
    screen = visit.page.evaluate(_SCREEN_JS, list(box))
    x0, y0, x1, y1 = screen["data"]
    width, height = screen["size"]
    assert x0 >= margin_px and y0 >= margin_px, (what, screen["data"], screen["size"])
    assert x1 <= width - margin_px and y1 <= height - margin_px, (what, screen["data"], width)
    hidden = [
        (name, rect)
        for name, *rect in screen["covers"]
        if rect[0] < x1 and x0 < rect[2] and rect[1] < y1 and y0 < rect[3]
    ]
    assert not hidden, f"{what} at {screen['data']} lies under {hidden}"


def test_national_map_opens_on_metropolitan_france(published):
    """Mutant caught: ``defaultView: "data"`` over every feature (a world map), a caption
    panel opened over the mainland."""
    doc = published["national"]
    view = doc.visit.state()["bounds"]
    mainland = [
        f["geometry"]
        for layer in doc.layers
        for f in layer.features
        if f["geometry"] and _inside(shape(f["geometry"]).bounds, MAINLAND)
    ]
    assert mainland, "no mainland feature in the national export"
    assert _inside(view, MAINLAND_VIEW_LIMIT), f"view {view} is wider than France's surroundings"
    assert_shown(doc.visit, bbox(mainland), "mainland data")


def test_national_map_says_how_to_reach_overseas(published):
    """The caption tells where the overseas territories are, and the data list reaches them."""
    doc = published["national"]
    caption = doc.visit.caption()
    assert re.search(r"outre-mer", caption, re.IGNORECASE), caption
    overseas = [
        f
        for layer in doc.layers
        for f in layer.features
        if f["geometry"] and not _inside(shape(f["geometry"]).bounds, MAINLAND_VIEW_LIMIT)
    ]
    assert overseas, "the shipped data have overseas territories"
    page = doc.visit.page
    target = overseas[0]
    name = target["properties"].get("nom") or target["properties"]["name"]
    page.get_by_role("button", name="Visualiser les données").first.click()
    page.locator(".feature-title", has_text=name).first.click()
    page.wait_for_timeout(1000)
    center = page.evaluate(
        "() => { const c = U.MAP.mapProxy.map.getCenter(); return [c.lng, c.lat] }"
    )
    w, s, e, n = shape(target["geometry"]).bounds
    assert w - 1 <= center[0] <= e + 1 and s - 1 <= center[1] <= n + 1, (center, name)


def test_region_map_opens_on_the_region(published):
    """The région's own territories and PTCE fill the view, clear of uMap's controls."""
    doc = published["region"]
    view = doc.visit.state()["bounds"]
    own = [
        f["geometry"]
        for layer in doc.layers
        for f in layer.features
        if f["geometry"] and f["properties"].get("region") == REGION
    ]
    assert own
    box = bbox(own)
    assert_shown(doc.visit, box, "the région's data")
    ratio = min((view[2] - view[0]) / (box[2] - box[0]), (view[3] - view[1]) / (box[3] - box[1]))
    assert ratio <= 3, f"view {view} is {ratio:.1f} times the région's data {box}"


def test_territory_map_opens_on_it_and_its_partners_with_a_margin(published):
    doc = published["territory"]
    view = doc.visit.state()["bounds"]
    everything = [f["geometry"] for layer in doc.layers for f in layer.features if f["geometry"]]
    box = bbox(everything)
    assert_shown(doc.visit, _grow(box, 0.10), "the territory and its partners (+10 %)")
    ratio = min((view[2] - view[0]) / (box[2] - box[0]), (view[3] - view[1]) / (box[3] - box[1]))
    assert ratio <= 4, f"view {view} is {ratio:.1f} times the data {box}"


# --------------------------------------------------------------------------- layers


@pytest.mark.parametrize("kind", ["national", "region", "territory"])
def test_every_layer_and_feature_once(published, kind):
    """Same layers as the file, each with its features once: nothing lost, nothing doubled."""
    doc = published[kind]
    state = doc.visit.state()
    leaves = [layer for layer in state["layers"] if not layer["group"]]
    expected = sorted((layer.name, len(layer.features)) for layer in doc.layers)
    assert sorted((layer["name"], layer["count"]) for layer in leaves) == expected
    for layer in leaves:
        assert len(set(layer["keys"])) == len(layer["keys"]), f"{layer['name']}: duplicates"
    assert not doc.visit.errors, doc.visit.errors


def _kind_of(layer: dict[str, Any]) -> int:
    geometries = set(layer["geometries"])
    if geometries <= {"LineString", "MultiLineString"}:
        return 4
    if geometries <= {"Point"}:
        return 3
    statuts = set(layer["statuts"])
    return {frozenset({"TH"}): 0, frozenset({"PE"}): 1}.get(frozenset(statuts), 2)


def test_layers_listed_in_reading_order(published):
    """The layer list (and legend) reads TH, PE, other statuts, PTCE, then links."""
    state = published["national"].visit.state()
    leaves = [layer for layer in state["layers"] if not layer["group"] and layer["count"]]
    kinds = [_kind_of(layer) for layer in leaves]
    assert kinds == sorted(kinds), [
        (layer["name"], k) for layer, k in zip(leaves, kinds, strict=True)
    ]


def test_links_have_a_legend_per_kind(published):
    """Each link kind (chevauchement, contiguïté, proximité) is its own named, described layer."""
    doc = published["national"]
    labels = {"overlap": "chevauch", "adjacent": "contigu", "near": "proximit"}
    link_layers = [
        layer
        for layer in doc.layers
        if layer.features
        and all(f["geometry"]["type"].endswith("LineString") for f in layer.features)
    ]
    assert link_layers
    seen = set()
    for layer in link_layers:
        relations = {
            key
            for f in layer.features
            for key, word in labels.items()
            if word in str(f["properties"].get("relation", "")).lower()
        }
        assert len(relations) == 1, f"{layer.name}: mixes {relations}"
        relation = relations.pop()
        seen.add(relation)
        assert labels[relation] in layer.name.lower(), layer.name
        assert layer.options.get("description"), f"{layer.name}: no caption text"
        styles = {json.dumps(f["properties"].get("_umap_options") or {}) for f in layer.features}
        assert styles == {"{}"}, f"{layer.name}: style set per feature, not by the layer"
    assert seen >= {"overlap", "near"}


def test_title_names_the_area_and_plurals_are_french(published):
    region = published["region"].visit.state()
    assert "Auvergne-Rhône-Alpes" in region["title"], region["title"]
    territory = published["territory"].visit.state()
    name = geo.load_territories().set_index("id").loc[TERRITORY, "nom"]
    assert name in territory["title"], territory["title"]
    captions = {kind: doc.visit.caption() for kind, doc in published.items()}
    for text in captions.values():
        assert not re.search(r"(?<![\d,])[01] (territoires|liens|habilités)\b", text), text
        assert "PTCEs" not in text and "&#" not in text
    assert re.search(r"\b1 territoire\b", captions["territory"]), captions["territory"]


# --------------------------------------------------------------------------- style


def test_strokes_opaque_and_contrasted(published):
    """Every drawn outline and link: opacity 1, contrast >= 3:1 on Positron's land."""
    page = published["national"].visit.page
    paths = page.evaluate(
        """() => Array.from(document.querySelectorAll('.leaflet-overlay-pane path')).map((p) => {
             const s = getComputedStyle(p)
             return [s.stroke, s.strokeOpacity, s.opacity]
           })"""
    )
    assert len(paths) > 50, len(paths)
    bad = []
    for stroke, stroke_opacity, opacity in paths:
        rgb, own = rgba(stroke)
        alpha = own * float(stroke_opacity) * float(opacity)
        ratio = contrast(rgb, POSITRON_LAND, alpha)
        if alpha < 0.999 or ratio < 3:
            bad.append((stroke, alpha, round(ratio, 2)))
    assert not bad, f"{len(bad)} of {len(paths)} strokes too faint: {sorted(set(bad))[:8]}"
    markers = page.evaluate(
        """() => Array.from(document.querySelectorAll('.leaflet-marker-pane .umap-div-icon, '
               + '.leaflet-marker-pane .umap-circle-icon')).map((m) => {
             const s = getComputedStyle(m)
             return [s.backgroundColor, s.opacity]
           })"""
    )
    assert markers
    faint = {
        (color, opacity)
        for color, opacity in markers
        if contrast(rgba(color)[0], POSITRON_LAND, rgba(color)[1] * float(opacity)) < 3
    }
    assert not faint, faint


# --------------------------------------------------------------------------- filters, fields


def test_filters_have_french_labels_and_no_empty_trap(published):
    page = published["national"].visit.page
    page.get_by_role("button", name="Filtrer les données").first.click()
    page.wait_for_selector(".umap-filter")
    legends = page.locator(".umap-filter legend > span:first-child").all_inner_texts()
    choices = page.locator(".umap-filter li label span").all_inner_texts()
    assert legends, "no filter"
    for legend in legends:
        assert legend.strip() and legend.strip() not in ("statut", "region_nom", "categorie")
    assert "[vide]" not in choices and "[empty value]" not in choices, choices
    assert not {"TH", "PE"} & set(choices), f"raw codes as filter choices: {choices}"
    state = published["national"].visit.state()
    document = json.loads(published["national"].file.read_text(encoding="utf-8"))
    assert "facetKey" not in document["properties"], "legacy facetKey (uMap 3.8: filters/fields)"
    assert state["layers"]


def test_numbers_typed_as_numbers(published):
    state = published["national"].visit.state()
    typed = {key: spec for layer in state["layers"] for key, spec in layer["types"].items()}
    assert {"population", "distance_km"} <= set(typed), typed
    for layer in state["layers"]:
        for key, spec in layer["types"].items():
            assert spec["field"] == "Number", (layer["name"], key, spec)
            assert set(spec["values"]) <= {"number", "undefined"}, (layer["name"], key, spec)


# --------------------------------------------------------------------------- hostile text


def _hostile_tables(tmp_path: Path):
    """Two territories and two PTCE, hostile text in every free-text field (CSV files)."""
    territories = pd.DataFrame(
        {
            "id": ["t-a " + HOSTILE[5], "t-b " + HOSTILE[0]],
            "nom": ["A " + HOSTILE[0] + " " + HOSTILE[6], "B " + HOSTILE[3]],
            "statut": ["TH", "PE"],
            "codes_insee": ["78440", "78621"],
            "sous_zone": [HOSTILE_TEXT, HOSTILE[1]],
            "ebe": [HOSTILE[4] + " " + HOSTILE[2], HOSTILE_TEXT],
            "date_habilitation": ["2021-07-01", HOSTILE[5]],
            "vague": [HOSTILE_TEXT, HOSTILE_TEXT],
            "texte_legal": [HOSTILE_TEXT, HOSTILE_TEXT],
            "sources": ["https://www.tzcld.fr/ | " + HOSTILE_TEXT, HOSTILE_TEXT],
            "notes": [HOSTILE_TEXT, HOSTILE_TEXT],
        }
    )
    ptce = pd.DataFrame(
        {
            "id": ["p-a " + HOSTILE[6], "p-b " + HOSTILE[1]],
            "nom": ["P " + HOSTILE[1] + " " + HOSTILE[5], "Q " + HOSTILE[4]],
            "porteur": [HOSTILE_TEXT, HOSTILE[3]],
            "siege_insee": ["78401", "78440"],
            "zone_action": [HOSTILE_TEXT, HOSTILE_TEXT],
            "thematiques": [HOSTILE_TEXT, HOSTILE[0]],
            "soutien_etat": [HOSTILE_TEXT, HOSTILE_TEXT],
            "site_web": ["https://ptce.example/p-a", HOSTILE[7]],
            "sources": [HOSTILE_TEXT, "https://www.labo-ess.org/ " + HOSTILE[0]],
            "notes": [HOSTILE_TEXT, HOSTILE_TEXT],
        }
    )
    t_csv, p_csv = tmp_path / "territoires.csv", tmp_path / "ptce.csv"
    territories.to_csv(t_csv, index=False)
    ptce.to_csv(p_csv, index=False)
    return geo.load_territories(t_csv), geo.load_ptce(p_csv)


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# Fields each popup shows, by the kind of feature.
_SHOWN = {
    "territory": ("nom", "sous_zone", "ebe"),
    "ptce": ("nom", "porteur", "zone_action", "thematiques", "soutien_etat"),
}


def test_hostile_text_stays_text_in_popups(umap_server, chromium, tmp_path):
    """Every popup shows the data as typed; no link, image or frame comes from it.

    Mutants caught: the old zero-width-space escaping (beaten by ``[[[``), placeholders
    resolved (``{description}``), raw HTML kept, line starts turned into headings or lists,
    a ``description`` built from data, links to anything but the export's own sources.
    """
    territories, ptce = _hostile_tables(tmp_path)
    path = geo.write_umap(tmp_path / "hostile.umap", territories, ptce, radius_km=50)
    layers = file_layers(path)
    seen = visit(chromium, publish(chromium, umap_server, path, len(layers)))
    page = seen.page
    allowed_links = set()
    for table in (territories, ptce):
        for value in table["sources"]:
            allowed_links.update(public_urls(value))
    for value in ptce["site_web"]:
        if safe_url(value):
            allowed_links.add(safe_url(value))
    expected = {}
    for kind, table in (("territory", territories), ("ptce", ptce)):
        for _, row in table.iterrows():
            expected[row["id"]] = [_plain(str(row[f])) for f in _SHOWN[kind] if pd.notna(row[f])]
    features = page.evaluate(
        """() => Array.from(U.MAP.layers.tree).flatMap((dl) => dl.features.all().map((f) =>
             [dl.id, f.id, f.properties.id ?? null]))"""
    )
    assert len(features) >= 4 + 1, features
    problems = []
    seen_ids = {data_id for _, _, data_id in features}
    assert set(expected) <= seen_ids, set(expected) - seen_ids
    for layer_id, feature_id, data_id in features:
        page.evaluate(
            """([l, f]) => { U.MAP.mapProxy.map.closePopup();
                 U.MAP.layers.tree.get(l).features.get(f).view() }""",
            [layer_id, feature_id],
        )
        popup = page.locator(".leaflet-popup-content").last
        popup.wait_for()
        page.wait_for_timeout(150)
        found = popup.evaluate(
            """(root) => ({
                 text: root.innerText,
                 tags: Array.from(root.querySelectorAll(
                   'img, iframe, video, audio, object, embed, picture, source'))
                   .map((e) => e.outerHTML),
                 links: Array.from(root.querySelectorAll('a[href]'))
                   .filter((a) => !a.closest('.umap-popup-footer'))
                   .map((a) => [a.getAttribute('href'), a.innerText]),
               })"""
        )
        text = _plain(found["text"])
        if found["tags"]:
            problems.append((data_id, "elements", found["tags"]))
        for href, label in found["links"]:
            if href not in allowed_links:
                problems.append((data_id, "link", href, label))
        for value in expected.get(data_id, []):
            if value not in text:
                problems.append((data_id, "not shown as typed", value[:60], text[:200]))
    page.wait_for_timeout(500)
    assert not problems, "\n".join(map(str, problems))
    assert not seen.foreign_data_requests(), seen.foreign_data_requests()
    assert not seen.errors, seen.errors
    seen.page.context.close()


# --------------------------------------------------------------------------- update


def test_update_through_published_files_does_not_duplicate(
    umap_server, chromium, frames, site, tmp_path
):
    """Import once; publishing a new export (same place) changes the map, each feature once.

    The layers read their features from the GeoJSON files published with the ``.umap`` file
    (uMap's remote data): republishing them updates the public map with no import, so
    nothing can be doubled. Mutants caught: features embedded in the ``.umap`` (the map keeps
    the old ones, or doubles them on re-import), a layer without ``remoteData``.
    """
    territories, ptce, _ = frames
    kept = territories[territories["region"] == REGION]
    first = geo.write_umap(site.root / "carte.umap", kept, ptce, data_url=site.url)
    layers = file_layers(first, site)
    before = {layer.name: len(layer.features) for layer in layers}
    map_url = publish(chromium, umap_server, first, len(layers))
    seen = visit(chromium, map_url)
    state = seen.state()
    leaves = [layer for layer in state["layers"] if not layer["group"]]
    assert all(layer["remote"] for layer in leaves), [x["name"] for x in leaves if not x["remote"]]
    assert {layer["name"]: layer["count"] for layer in leaves} == before
    seen.page.context.close()

    # The next publication: one territory less, one renamed; same file names, same URLs.
    renamed = kept.iloc[1:].copy()
    renamed.loc[renamed.index[0], "nom"] = "Territoire renommé"
    second = geo.write_umap(site.root / "carte.umap", renamed, ptce, data_url=site.url)
    after_layers = file_layers(second, site)
    after = {layer.name: len(layer.features) for layer in after_layers}
    assert sum(after.values()) < sum(before.values())
    again = visit(chromium, map_url)
    state = again.state()
    leaves = [layer for layer in state["layers"] if not layer["group"]]
    assert {layer["name"]: layer["count"] for layer in leaves} == after
    for layer in leaves:
        assert len(set(layer["keys"])) == len(layer["keys"]), layer["name"]
    names = again.page.evaluate(
        "() => Array.from(U.MAP.layers.tree).flatMap((dl) => dl.features.all()"
        ".map((f) => f.properties.nom))"
    )
    assert "Territoire renommé" in names
    again.page.context.close()
