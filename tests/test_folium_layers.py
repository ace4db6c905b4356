"""Layers users add with folium to a synergy map: rendered, working, listed, in Chromium."""

from __future__ import annotations

import html
from urllib.parse import urlsplit

import folium
import folium.plugins
import pandas as pd
import pytest
from conftest import NODE_MODULES, BrowserPage, LocalServer, Reply, npm_file

import geo
from geo.errors import ArgumentError, DataSourceError
from geo.publish import assets as _assets
from geo.publish import foliummap

ZONE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": "z1",
            "properties": {"code": "z1", "nom": "Ma zone"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[1.8, 48.9], [2.0, 48.9], [2.0, 49.05], [1.8, 49.05], [1.8, 48.9]]
                ],
            },
        }
    ],
}


def _npm(route, path):
    local = NODE_MODULES / path
    kind = {".css": "text/css", ".png": "image/png", ".woff2": "font/woff2"}.get(
        local.suffix, "text/javascript"
    )
    route.fulfill(
        path=str(local), headers={"Access-Control-Allow-Origin": "*", "Content-Type": kind}
    )


def _empty_css(route, request):
    route.fulfill(status=200, content_type="text/css", body="/* icon fonts: not needed here */")


# folium's declared URLs that conftest.npm_file does not map -> the npm copies (jQuery from
# its own CDN; awesome-markers 2.0.2 on cdnjs, 2.0.5 on npm); d3 3.5.5 (branca's colour
# scales) is mapped there, Font Awesome 6.2.0 too; the glyphicons' and folium's rotate
# stylesheets (in no npm package) are served empty
ROUTES = (
    ("**/code.jquery.com/jquery-3.7.1.min.js", lambda r, q: _npm(r, "jquery/dist/jquery.min.js")),
    (
        "**/Leaflet.awesome-markers/2.0.2/**",
        lambda r, q: _npm(
            r, "leaflet.awesome-markers/dist/" + q.url.split("/2.0.2/", 1)[1].split("?")[0]
        ),
    ),
    ("**/bootstrap-glyphicons.css", _empty_css),
    (
        "**/npm/@fortawesome/fontawesome-free@6.2.0/**",
        lambda r, q: _npm(r, "@fortawesome/fontawesome-free/" + q.url.split("@6.2.0/", 1)[1]),
    ),
    ("**/leaflet.awesome.rotate.min.css", _empty_css),
)


#: What the added layers show in the page: their paths, markers and layer controls.
FOUND_JS = """
const paths = [...document.querySelectorAll('path.leaflet-interactive')];
const controls = [...document.querySelectorAll('.leaflet-control-layers')];
return {
  circle: paths.some(p => p.getAttribute('stroke') === '#123456'),
  zone: paths.some(p => p.getAttribute('stroke') === '#00aa00'),
  awesome: document.querySelectorAll('.awesome-marker-icon-red').length,
  marker: getComputedStyle(document.querySelector('.awesome-marker')).backgroundImage.slice(0, 20),
  plain: [...document.querySelectorAll('img.leaflet-marker-icon')].map(i => i.src.slice(0, 15)),
  controls: controls.map(c => c.textContent),
  fullscreen: !!document.querySelector('[title="Plein écran (ajouté)"]'),
  territories: document.querySelectorAll('.geo-cards > li').length,
};
"""


def _tooltip(page, selector: str) -> str:
    """Hover an element and return the text of the tooltip it opens."""
    page.page.hover(selector)
    page.wait_js("return document.querySelector('.leaflet-tooltip') !== null;")
    return page.page.inner_text(".leaflet-tooltip")


@pytest.fixture(scope="module")
def shipped():
    return geo.load_territories(), geo.load_ptce()


def _with_user_layers(territories, ptce) -> folium.Map:
    m = geo.synergy_map(territories, ptce, region="11", tiles=False)
    folium.Marker(
        [48.99, 1.91], tooltip="Mon repère", icon=folium.Icon(color="red", icon="info-sign")
    ).add_to(m)
    folium.CircleMarker([48.95, 1.95], radius=8, color="#123456", tooltip="Mon cercle").add_to(m)
    folium.GeoJson(ZONE, name="Ma zone", style_function=lambda f: {"color": "#00aa00"}).add_to(m)
    folium.Choropleth(
        geo_data=ZONE,
        data=pd.DataFrame({"code": ["z1"], "valeur": [3]}),
        columns=["code", "valeur"],
        key_on="feature.properties.code",
        name="Ma choroplèthe",
        fill_color="YlGn",
    ).add_to(m)
    folium.plugins.Fullscreen(title="Plein écran (ajouté)").add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def test_the_page_loads_what_folium_declares_for_added_elements(shipped):
    page = _with_user_layers(*shipped).get_root().render()
    assert "jquery-3.7.1.min.js" in page and "leaflet.awesome-markers.js" in page
    assert "bootstrap.min.css" not in page  # would restyle the whole page
    # awesome-markers extends L: it must come after Leaflet
    assert page.index("leaflet@1.9.3/dist/leaflet.js") < page.index("leaflet.awesome-markers.js")
    plain = geo.synergy_map(*shipped, region="11", tiles=False).get_root().render()
    assert (
        "awesome-markers" not in plain and "jquery" not in plain
    )  # nothing added, nothing loaded
    assert "geoTzptce.joinControl(map_" in page and "geoTzptce.joinControl(map_" not in plain


def test_repr_html_frame_has_a_title(shipped):
    m = geo.synergy_map(*shipped, region="11", tiles=False, title='Carte <"test">')
    out = m._repr_html_()
    assert out.count("<iframe ") == 1
    assert f'<iframe title="{foliummap.FRAME_TITLE}" ' in out
    assert 'Carte <"test">' not in html.unescape(out.split("srcdoc=")[0])  # no data outside


def test_explore_adds_a_layer_to_a_synergy_map(shipped):
    territories, ptce = shipped
    m = geo.synergy_map(territories, ptce, region="11", tiles=False)
    out = territories[territories["region"] == "11"].explore(m=m, column="statut", name="Statut")
    assert out is m
    assert any(isinstance(c, folium.GeoJson) for c in m._children.values())


@pytest.mark.browser
def test_user_layers_render_and_work_in_chromium(browser, shipped, tmp_path):
    path = geo.write_map(_with_user_layers(*shipped), tmp_path / "carte.html")
    page = BrowserPage(browser, path, routes=ROUTES)
    try:
        assert page.errors == []
        page.wait_js("return document.querySelector('.awesome-marker') !== null;")
        found = page.js(FOUND_JS)
        assert found["circle"] and found["zone"] and found["awesome"] == 1
        assert found["fullscreen"]
        # the user's control (not collapsed) lists their layers and the synergy map's
        users = [c for c in found["controls"] if "Ma zone" in c]
        assert len(users) == 1
        assert "Ma choroplèthe" in users[0] and "PTCE (siège)" in users[0]
        # the marker's tooltip works
        assert _tooltip(page, ".awesome-marker-icon-red") == "Mon repère"
        assert page.errors == []
    finally:
        page.close()


# --------------------------------------------------------------------------- offline pages

#: Two stylesheets folium declares are in no npm package (Bootstrap 3.0.0's separate
#: glyphicons file, folium's rotate CSS): the mirror serves stand-ins for them. Font
#: Awesome 6.2.0 is the real npm copy, its fonts included.
STAND_INS = {
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/"
    "leaflet.awesome.rotate.min.css",
}


def _local_copy(url: str) -> bytes:
    """The bytes a CDN serves for ``url``, from the npm packages (stand-ins for the fonts' CSS)."""
    if url in STAND_INS:
        return b"/* stand-in: this stylesheet is in no local package */"
    if url == "https://code.jquery.com/jquery-3.7.1.min.js":
        return (NODE_MODULES / "jquery/dist/jquery.min.js").read_bytes()
    if "/Leaflet.awesome-markers/2.0.2/" in url:  # 2.0.2 on cdnjs, 2.0.5 on npm
        name = url.split("/2.0.2/", 1)[1]
        return (NODE_MODULES / "leaflet.awesome-markers/dist" / name).read_bytes()
    local = npm_file(url)
    assert local is not None, f"no local copy of {url}"
    return local.read_bytes()


@pytest.fixture()
def mirror():
    """A real HTTP server on 127.0.0.1 serving the CDN files as an asset mirror does."""
    server = LocalServer()
    pending = list(_assets.default_assets())
    while pending:
        url = urlsplit(pending.pop())._replace(query="", fragment="").geturl()
        body = _local_copy(url)
        server.route(f"/cdn/{_assets.asset_path('', url).as_posix()}", Reply(200, body))
        if url.endswith(".css"):
            pending += _assets.css_references(body.decode(), url)
    try:
        yield server
    finally:
        server.close()


def _offline_layers(territories, ptce) -> folium.Map:
    """What issue 22 asks to render offline: an Icon marker, a GeoJson, a LayerControl."""
    m = geo.synergy_map(territories, ptce, region="11", tiles=False)
    folium.Marker(
        [48.99, 1.91], tooltip="Mon repère", icon=folium.Icon(color="red", icon="info-sign")
    ).add_to(m)
    folium.Marker([48.92, 1.85], tooltip="Sans icône").add_to(m)  # Leaflet's default icon
    folium.GeoJson(ZONE, name="Ma zone", style_function=lambda f: {"color": "#00aa00"}).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def test_assets_fetch_knows_what_added_layers_load(shipped):
    page = _with_user_layers(*shipped).get_root().render()
    declared = _assets.asset_urls(page)
    assert "https://code.jquery.com/jquery-3.7.1.min.js" in declared
    assert foliummap.BRANCA_D3_JS in declared  # the Choropleth's legend
    assert sorted(set(declared) - set(_assets.default_assets())) == []


def test_offline_page_with_added_layers_and_no_network_names_what_is_missing(
    shipped, tmp_path, monkeypatch, connect_guard
):
    monkeypatch.setattr(geo.settings, "offline", True)
    assets = tmp_path / "assets"
    for url in _assets.MAP_ASSETS:  # the synergy map's own assets are there
        target = _assets.asset_path(assets, url)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"/* */")
    m = _offline_layers(*shipped)
    folium.plugins.MiniMap().add_to(m)  # a plugin that assets fetch does not know by default
    with pytest.raises(DataSourceError) as info:
        geo.write_map(m, tmp_path / "carte.html", offline=True, assets_dir=assets)
    message = str(info.value)
    assert "https://code.jquery.com/jquery-3.7.1.min.js" in message
    assert "leaflet.awesome-markers.js" in message and "offline mode is on" in message
    assert "leaflet@1.9.3" not in message  # present, so not listed
    minimap = [u for u in _assets.asset_urls(m.get_root().render()) if "inimap" in u]
    assert minimap and all(u in message for u in minimap)
    command = f"python -m geo assets fetch {assets} --url {minimap[0]}"
    assert command in message  # the one command: the defaults, and the plugin's files
    assert "--url https://code.jquery.com" not in message  # known by default
    assert not (tmp_path / "carte.html").exists() and connect_guard.attempts == []


def test_assets_mirror_is_laid_out_like_the_asset_directory(monkeypatch):
    url = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js?v=1"
    assert _assets.mirror_url(url) == url  # no mirror: the CDN
    monkeypatch.setattr(geo.settings, "assets_mirror", "https://intranet.example/cdn/")
    expected = "https://intranet.example/cdn/cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
    assert _assets.mirror_url(url) == expected
    monkeypatch.setattr(geo.settings, "assets_mirror", "/srv/cdn")
    with pytest.raises(ArgumentError, match="assets_mirror must be an http"):
        _assets.mirror_url(url)


def test_assets_fetch_command_takes_a_plugins_files(capsys, mirror, tmp_path, monkeypatch):
    from geo.cli import main

    plugin = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/images/marker-icon.png"
    monkeypatch.setattr(geo.settings, "assets_mirror", mirror.url + "/cdn/")
    assert main(["assets", "fetch", str(tmp_path / "a"), "--url", plugin]) == 0
    assert _assets.asset_path(tmp_path / "a", plugin).is_file()
    fetched = {r.path for r in mirror.requests}
    assert "/cdn/code.jquery.com/jquery-3.7.1.min.js" in fetched  # the defaults too
    assert "/cdn/cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/images/marker-icon.png" in fetched


@pytest.mark.browser
def test_offline_page_with_added_layers_renders_with_no_network(
    browser, shipped, tmp_path, mirror, monkeypatch, connect_guard
):
    monkeypatch.setattr(geo.settings, "assets_mirror", mirror.url + "/cdn")
    assets = tmp_path / "assets"
    path = geo.write_map(
        _offline_layers(*shipped), tmp_path / "carte.html", offline=True, assets_dir=assets
    )
    assert connect_guard.others() == []  # fetched from the mirror on 127.0.0.1 only
    fetched = len(mirror.requests)
    assert _assets.asset_path(assets, "https://code.jquery.com/jquery-3.7.1.min.js").is_file()
    text = path.read_text(encoding="utf-8")
    assert _assets.asset_urls(text) == []
    assert "data:image/png;base64," in text  # awesome-markers' images, from its stylesheet
    # Font Awesome's real stylesheet: its solid font inlined once, in one format only
    assert text.count("fa-solid-900") == 0 and ".ttf" not in text
    assert text.count("data:font/woff2;base64,") >= 3
    geo.write_map(
        _offline_layers(*shipped), tmp_path / "again.html", offline=True, assets_dir=assets
    )
    assert len(mirror.requests) == fetched  # the cache serves the second page
    page = BrowserPage(browser, path, allow_network=False)
    try:
        page.wait_js("return document.querySelector('.awesome-marker-icon-red') !== null;")
        found = page.js(FOUND_JS)
        assert found["zone"] and found["marker"] == 'url("data:image/png;'
        users = [c for c in found["controls"] if "Ma zone" in c]
        assert len(users) == 1 and "PTCE (siège)" in users[0]
        assert found["territories"] > 0
        assert found["plain"] == ["data:image/png;"]  # the default marker, from the page
        assert _tooltip(page, ".awesome-marker-icon-red") == "Mon repère"
        assert page.external == [] and page.errors == []
    finally:
        page.close()
