"""Layers users add with folium to a synergy map: rendered, working, listed, in Chromium."""

from __future__ import annotations

import html

import folium
import folium.plugins
import pandas as pd
import pytest
from conftest import NODE_MODULES, BrowserPage

import geo
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
    kind = {".css": "text/css", ".png": "image/png"}.get(local.suffix, "text/javascript")
    route.fulfill(
        path=str(local), headers={"Access-Control-Allow-Origin": "*", "Content-Type": kind}
    )


def _empty_css(route, request):
    route.fulfill(status=200, content_type="text/css", body="/* icon fonts: not needed here */")


# folium's declared URLs that conftest.npm_file does not map -> the npm copies (jQuery from
# its own CDN; awesome-markers 2.0.2 on cdnjs, 2.0.5 on npm); d3 3.5.5 (branca's colour
# scales) is mapped there; the icon fonts' stylesheets (glyphicons, Font Awesome, folium's
# rotate CSS) are served empty
ROUTES = (
    ("**/code.jquery.com/jquery-3.7.1.min.js", lambda r, q: _npm(r, "jquery/dist/jquery.min.js")),
    (
        "**/Leaflet.awesome-markers/2.0.2/**",
        lambda r, q: _npm(
            r, "leaflet.awesome-markers/dist/" + q.url.split("/2.0.2/", 1)[1].split("?")[0]
        ),
    ),
    ("**/bootstrap-glyphicons.css", _empty_css),
    ("**/fontawesome-free@6.2.0/css/all.min.css", _empty_css),
    ("**/leaflet.awesome.rotate.min.css", _empty_css),
)


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
        found = page.js(
            """
            const paths = [...document.querySelectorAll('path.leaflet-interactive')];
            const controls = [...document.querySelectorAll('.leaflet-control-layers')];
            return {
              circle: paths.some(p => p.getAttribute('stroke') === '#123456'),
              zone: paths.some(p => p.getAttribute('stroke') === '#00aa00'),
              awesome: document.querySelectorAll('.awesome-marker-icon-red').length,
              controls: controls.map(c => c.textContent),
              fullscreen: !!document.querySelector('[title="Plein écran (ajouté)"]'),
            };
            """
        )
        assert found["circle"] and found["zone"] and found["awesome"] == 1
        assert found["fullscreen"]
        # the user's control (not collapsed) lists their layers and the synergy map's
        users = [c for c in found["controls"] if "Ma zone" in c]
        assert len(users) == 1
        assert "Ma choroplèthe" in users[0] and "PTCE (siège)" in users[0]
        # the marker's tooltip works
        page.page.hover(".awesome-marker-icon-red")
        page.wait_js("return document.querySelector('.leaflet-tooltip') !== null;")
        assert "Mon repère" in page.page.inner_text(".leaflet-tooltip")
        assert page.errors == []
    finally:
        page.close()
