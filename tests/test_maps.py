"""Synergy maps: rendered HTML checks, then the real page in headless Chromium."""

from __future__ import annotations

import concurrent.futures
import html
import json
import re
import shutil
import struct
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import Reply

import geo
from geo import _assets, maps
from geo.errors import ArgumentError, CRSError, DataSourceError, SchemaError

BROWSER_DIR = Path(__file__).resolve().parent / "browser"
NODE_MODULES = BROWSER_DIR / "node_modules"
CHROMIUM = Path("/usr/bin/chromium")

XSS_IMG = "<img src=x onerror=window.__xss=1>"
XSS_SCRIPT = "</script><script>window.__xss=1</script>"
XSS_ATTR = '" onmouseover="window.__xss=1'
XSS_URL = "javascript:window.__xss=1"

# CDN prefix emitted by folium 0.20 -> (npm package, version, folder inside the package)
CDN_TO_NPM = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/": ("leaflet", "1.9.3", ""),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/": (
        "leaflet.markercluster",
        "1.1.0",
        "dist/",
    ),
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/": ("leaflet.fullscreen", "3.0.0", ""),
}
# jsDelivr minifies on the fly; the npm package ships the plain file.
NPM_RENAMES = {"Control.FullScreen.min.js": "Control.FullScreen.js"}
BLANK_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


# --------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def communes() -> gpd.GeoDataFrame:
    return geo.load_communes(departements=["78", "974"])


def _build(communes: gpd.GeoDataFrame, n_extra_ptce: int = 0):
    by = communes.set_index("code_insee")

    def territory(tid, nom, statut, codes, precision="communes", **extra):
        dep = codes[0][:3] if codes[0].startswith("97") else codes[0][:2]
        geometry = None
        if precision != "inconnu":
            geometry = shapely.union_all(by.loc[codes].geometry.values)
        return {
            "id": tid,
            "nom": nom,
            "statut": statut,
            "departement": dep,
            "region": "04" if dep == "974" else "11",
            "region_nom": "La Réunion" if dep == "974" else "Île-de-France",
            "codes_insee": ";".join(codes),
            "communes": extra.get("communes", ";".join(by.loc[c, "nom"] for c in codes)),
            "ebe": extra.get("ebe", f"EBE {nom}"),
            "date_habilitation": "2021-07-01",
            "sources": extra.get("sources", "https://www.tzcld.fr/ | https://ex.org/a?b=1&c=2"),
            "precision": precision,
            "population": 1234,
            "geometry": geometry,
        }

    rows = [
        territory("t-mureaux", "Les Mureaux — Écquevilly", "TH", ["78440", "78206"]),
        territory("t-trappes", "Trappes (Merisiers)", "PE", ["78621"], precision="infra-communal"),
        territory(
            "t-xss",
            XSS_IMG + XSS_SCRIPT,
            "TH",
            ["97407"],
            ebe=XSS_ATTR,
            sources=f"{XSS_URL} | {XSS_SCRIPT}",
            communes=f"{XSS_ATTR};{XSS_IMG}",
        ),
        territory("t-none", "Territoire sans contour", "PE", ["78440"], precision="inconnu"),
    ]
    territories = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs="EPSG:4326")

    def pole(pid, nom, code, precision="siege", **extra):
        seat = by.loc[code]
        return {
            "id": pid,
            "nom": nom,
            "porteur": f"Association {nom}",
            "siege_insee": code,
            "siege_commune": seat["nom"],
            "departement": code[:3] if code.startswith("97") else code[:2],
            "region": "04" if code.startswith("974") else "11",
            "zone_action": extra.get("zone_action", ""),
            "codes_insee": extra.get("codes", ""),
            "thematiques": extra.get("themes", "insertion; alimentation"),
            "soutien_etat": "lauréat 2021",
            "site_web": extra.get("site", f"https://ptce.example/{pid}"),
            "sources": extra.get("sources", "https://www.labo-ess.org/"),
            "precision": precision,
            "geometry": shapely.Point(seat["mairie_lon"], seat["mairie_lat"]),
        }

    poles = [
        pole("p-mureaux", "Pôle des Mureaux", "78440", precision="communes", codes="78440"),
        pole("p-meulan", "Pôle de Meulan", "78401"),
        pole("p-versailles", "PTCE de Versailles", "78646", precision="epci"),
        pole(
            "p-xss",
            XSS_IMG,
            "97407",
            site=XSS_URL,
            themes=XSS_SCRIPT + XSS_ATTR,
            sources=XSS_URL,
            zone_action=XSS_IMG,
        ),
    ]
    extra = communes[communes["departement"] == "78"].head(n_extra_ptce)
    for i, code in enumerate(extra["code_insee"]):
        poles.append(pole(f"p-x{i}", f"PTCE n°{i} de {by.loc[code, 'nom']}", code))
    ptce = gpd.GeoDataFrame(pd.DataFrame(poles), geometry="geometry", crs="EPSG:4326")
    return territories, ptce


@pytest.fixture(scope="module")
def data(communes):
    territories, ptce = _build(communes)
    return territories, ptce, geo.synergies(territories, ptce, radius_km=20)


def _layers(m) -> dict[str, dict]:
    """Layer name -> exported GeoJSON of the map's data layers."""
    return {
        child.layer_name: json.loads(child.data_js)
        for child in m._children.values()
        if isinstance(child, maps._DataLayer)
    }


def _render(m) -> str:
    return m.get_root().render()


# --------------------------------------------------------------------------- HTML checks


def test_lazy_export():
    assert geo.synergy_map is maps.synergy_map


def test_national_map_layers_and_exported_properties(data, communes):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes)
    layers = _layers(m)
    assert set(layers) == {
        "Départements",
        "Territoires zéro chômeur (TZ)",
        "PTCE (siège)",
        "Liens de synergie",
    }
    drawn = layers["Territoires zéro chômeur (TZ)"]["features"]
    assert sorted(f["properties"]["key"] for f in drawn) == [
        "t:t-mureaux",
        "t:t-trappes",
        "t:t-xss",
    ]
    styles = {f["properties"]["key"]: f["properties"]["s"] for f in drawn}
    assert styles == {"t:t-mureaux": "TH", "t:t-trappes": "PE~", "t:t-xss": "TH"}
    assert len(layers["PTCE (siège)"]["features"]) == 4
    with_geometry = table[table["territory_id"] != "t-none"]
    assert len(layers["Liens de synergie"]["features"]) == len(with_geometry)
    assert all(f["properties"] == {"s": "d"} for f in layers["Départements"]["features"])
    for layer in layers.values():
        for feature in layer["features"]:
            assert set(feature["properties"]) <= {"s", "key", "popup", "tip", "open"}
            coords = json.dumps(feature["geometry"]["coordinates"])
            assert not re.search(r"\d\.\d{6,}", coords), coords[:200]
    page = _render(m)
    for label in ("Rechercher un territoire", "Guadeloupe", "Mayotte", "Plein \\u00e9cran"):
        assert label in page
    assert "L.control.scale" in page
    # only the assets the map needs: no jQuery, Bootstrap or icon fonts
    assert _assets.asset_urls(page) and set(_assets.asset_urls(page)) <= set(_assets.MAP_ASSETS)


def test_popup_content_french_with_synergies(data, communes):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes)
    features = {
        f["properties"]["key"]: f["properties"]
        for layer in _layers(m).values()
        for f in layer["features"]
        if "key" in f["properties"]
    }
    popup = features["t:t-mureaux"]["popup"]
    for text in (
        "Les Mureaux — Écquevilly",
        "Territoire habilité (TH)",
        "Ecquevilly",
        "EBE :",
        "01/07/2021",
        "Pôle des Mureaux",
        "chevauchement",
        'href="https://www.tzcld.fr/"',
        'href="https://ex.org/a?b=1&amp;c=2"',
    ):
        assert text in popup, text
    assert "Pôle de Meulan — à proximité, à 0,4 km" in popup
    ptce_popup = features["p:p-versailles"]["popup"]
    assert "Trappes (Merisiers)" in ptce_popup and "Site web" in ptce_popup


def test_hostile_text_is_escaped_in_html(data, communes):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes)
    page = _render(m)
    for payload in (XSS_IMG, XSS_SCRIPT, XSS_ATTR, "<script>window.__xss"):
        assert payload not in page
    assert not re.search(r"href=\\?[\"']?\s*javascript", page, re.IGNORECASE)
    props = {
        f["properties"]["key"]: f["properties"]
        for layer in _layers(m).values()
        for f in layer["features"]
        if "key" in f["properties"]
    }
    assert "&lt;img src=x onerror=window.__xss=1&gt;" in props["t:t-xss"]["popup"]
    assert "&quot; onmouseover=&quot;window.__xss=1" in props["t:t-xss"]["popup"]
    assert "<a " not in props["p:p-xss"]["popup"].split("Site web")[1].split("</p>")[0]


def test_hostile_title_and_existing_map(data, communes):
    territories, ptce, table = data
    base = folium.Map(tiles=None)
    m = maps.synergy_map(territories, ptce, table, m=base, communes=communes, title=XSS_SCRIPT)
    assert m is base
    assert len(_layers(m)) == 4
    page = _render(m)
    assert XSS_SCRIPT not in page and "<title>&lt;/script&gt;" not in page
    # a new map takes the title, escaped once
    page = _render(maps.synergy_map(territories, ptce, table, communes=communes, title=XSS_SCRIPT))
    assert XSS_SCRIPT not in page
    titles = re.findall(r"<title>(.*?)</title>", page, re.DOTALL)
    assert titles == ["&lt;/script&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;"]


def test_make_map_writes_shipped_data(tmp_path):
    territories = geo.load_territories()
    first = territories.loc[territories.geometry.notna(), "id"].iloc[0]
    out = maps.make_map(tmp_path / "t.html", territory=first, tiles=False)
    page = out.read_text(encoding="utf-8")
    assert "PTCE et synergies" in page and "Communes du territoire" in page


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/x?a=1", True),
        ("http://example.org", True),
        (" HTTPS://EXAMPLE.ORG ", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<b>x</b>", False),
        ("//evil.example", False),
        ('https://ex.org/"onmouseover=1', False),
        ("vbscript:msgbox(1)", False),
        ("\x01javascript:alert(1)", False),
        ("\x01https://example.org", False),
        ("https://exa\x7fmple.org", False),
        ("https://example.org/\x0bx", False),
        ("https://example.org/\u200bpage", False),
        ("https://\u202eexample.org", False),
        ("https://example.org/\u2066x\u2069", False),
        ("\ufeffhttps://example.org", False),
        ("https://exemple.fr/église", True),
        ("", False),
        (None, False),
    ],
)
def test_safe_url(url, ok):
    assert (maps.safe_url(url) is not None) is ok


def _legend(m) -> str:
    controls = [c for c in m._children.values() if isinstance(c, maps._Control)]
    return json.loads(controls[-1].legend_js)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2021-07-01", "01/07/2021"),
        ("01/07/2021", "01/07/2021"),  # kept: no month-first reading
        ("2023", "2023"),  # no invented day and month
        ("2023-07", "07/2023"),
        ("now", "now"),  # not today's date
        ("2023-13-01", "2023-13-01"),
        ("juillet 2021", "juillet 2021"),
        (pd.Timestamp("2021-07-01"), "01/07/2021"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_date_fr_by_pattern(value, shown):
    assert maps._date_fr(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (12345, "12\u202f345"),
        ("12345.0", "12\u202f345"),
        ("inf", ""),
        ("1e999", ""),
        ("-inf", ""),
        ("nan", ""),
        (None, ""),
        ("environ <3000>", "environ &lt;3000&gt;"),
    ],
)
def test_population_text(value, shown):
    assert maps._population(value) == shown


def test_popup_dates_and_overflowing_population(data, communes):
    territories, ptce, table = data
    territories = territories.assign(date_habilitation="01/07/2021", population="1e999")
    territories.loc[territories["id"] == "t-trappes", "date_habilitation"] = "2023"
    m = maps.synergy_map(territories, ptce, table, communes=communes)
    drawn = _layers(m)["Territoires zéro chômeur (TZ)"]["features"]
    popups = {f["properties"]["key"]: f["properties"]["popup"] for f in drawn}
    assert "Date d&#x27;habilitation :</b> 01/07/2021<" in popups["t:t-mureaux"]
    assert "Date d&#x27;habilitation :</b> 2023<" in popups["t:t-trappes"]
    assert "Population" not in popups["t:t-mureaux"]


def test_minimal_synergy_table(data, communes):
    territories, ptce, table = data
    minimal = pd.DataFrame(table[["territory_id", "ptce_id", "relation"]].to_dict("list"))
    m = maps.synergy_map(territories, ptce, minimal, communes=communes)
    tips = [f["properties"]["tip"] for f in _layers(m)["Liens de synergie"]["features"]]
    assert len(tips) == len(table[table["territory_id"] != "t-none"])
    assert all(" km" not in tip for tip in tips)
    assert any("chevauchement" in tip for tip in tips) and any("proximité" in tip for tip in tips)


def test_legend_counts_located_of_total(data, communes):
    territories, ptce, table = data
    legend = _legend(maps.synergy_map(territories, ptce, table, communes=communes))
    assert "Territoires zéro chômeur (3 sur 4 localisés)" in legend
    assert "PTCE (4)" in legend
    assert "python -m geo data report" in legend
    lost = ptce.copy()
    lost.loc[lost["id"] == "p-meulan", "geometry"] = None
    legend = _legend(maps.synergy_map(territories[:3], lost, table, communes=communes))
    assert "Territoires zéro chômeur (3)" in legend and "PTCE (3 sur 4 localisés)" in legend
    assert "python -m geo data report" in legend
    legend = _legend(maps.synergy_map(territories[:3], ptce, table, communes=communes))
    assert "sur" not in legend.split("Liens")[0] and "data report" not in legend


def test_legend_radius_is_the_synergies_radius(data, communes):
    territories, ptce, table = data
    near5 = geo.synergies(territories, ptce, radius_km=5)
    assert near5.attrs["radius_km"] == 5
    legend = _legend(maps.synergy_map(territories, ptce, near5, communes=communes))
    assert "distance ≤ 5,0 km" in legend and "20,0" not in legend
    m = maps.synergy_map(territories, ptce, near5, communes=communes, rings=True)
    assert "rayon de 5,0 km autour des PTCE" in _legend(m)
    m = maps.synergy_map(territories, ptce, table, communes=communes, rings=True, radius_km=10)
    legend = _legend(m)
    assert "distance ≤ 20,0 km" in legend and "rayon de 10,0 km autour des PTCE" in legend
    computed = _legend(maps.synergy_map(territories, ptce, communes=communes, radius_km=7))
    assert "distance ≤ 7,0 km" in computed
    # "no PTCE within" only when one territory is focused
    none = ptce.iloc[0:0]
    empty = table.iloc[0:0]
    national = _legend(maps.synergy_map(territories, none, empty, communes=communes))
    assert "PTCE (0)" in national and "aucun PTCE à moins" not in national
    focused = _legend(
        maps.synergy_map(territories, none, empty, communes=communes, territory="t-mureaux")
    )
    assert "aucun PTCE à moins de 20,0 km" in focused


def test_legend_lists_only_what_is_drawn(data, communes):
    territories, ptce, table = data
    legend = _legend(maps.synergy_map(territories, ptce, table, communes=communes))
    for label in ("Territoire habilité", "Projet émergent", "contour approximatif"):
        assert label in legend
    assert "autre statut" not in legend
    assert "chevauchement" in legend and "à proximité" in legend
    assert "communes voisines" not in legend
    for code in ("communes", "epci", "siege"):
        assert html.escape(maps.PTCE_PRECISIONS[code][0]) in legend
    assert html.escape(maps.PTCE_PRECISIONS["inconnu"][0]) not in legend
    # one TH territory on whole communes, its overlapping PTCE only
    only = _legend(
        maps.synergy_map(
            territories[territories["id"] == "t-mureaux"],
            ptce[ptce["id"] == "p-mureaux"],
            table,
            communes=communes,
        )
    )
    assert "Territoire habilité" in only
    for label in ("Projet émergent", "contour approximatif", "à proximité", "EPCI"):
        assert label not in only, label
    # an unknown statut and precision, and the three relations with their drawn dashes
    odd = territories.copy()
    odd.loc[odd["id"] == "t-trappes", "statut"] = "XY"
    odd_ptce = ptce.assign(precision="quartier")
    links = table.copy()
    links.loc[links["ptce_id"] == "p-versailles", "relation"] = "adjacent"
    m = maps.synergy_map(odd, odd_ptce, links, communes=communes)
    legend = _legend(m)
    assert "autre statut" in legend and "Projet émergent" not in legend
    assert html.escape(maps.PTCE_PRECISIONS["inconnu"][0]) in legend
    assert maps.PTCE_PRECISIONS["siege"][0] not in legend
    layer = next(
        c for c in m._children.values() if getattr(c, "layer_name", "") == "Liens de synergie"
    )
    drawn = json.loads(layer.options_js)["styles"]
    dashes = re.findall(r'stroke-dasharray="([^"]+)"', legend)
    assert dashes == [drawn["adjacent"]["dashArray"], drawn["near"]["dashArray"]]
    assert len(set(dashes)) == 2
    assert "dashArray" not in drawn["overlap"] and legend.count("<svg") == 3


def test_metric_scale_only(data, communes):
    territories, ptce, table = data
    page = _render(maps.synergy_map(territories, ptce, table, communes=communes))
    assert page.count("L.control.scale(") == 1 and "L.control.scale({imperial: false})" in page
    base = folium.Map(tiles=None, control_scale=True)
    m = maps.synergy_map(territories, ptce, table, m=base, communes=communes)
    maps.synergy_map(territories, ptce, table, m=m, communes=communes)  # layers stack
    page = _render(m)
    assert page.count("L.control.scale(") == 1 and "L.control.scale({imperial: false})" in page


def test_map_assets_are_exactly_what_pages_load(communes):
    territories, ptce = _build(communes, n_extra_ptce=30)
    page = _render(maps.synergy_map(territories, ptce, communes=communes))
    assert sorted(_assets.asset_urls(page)) == sorted(_assets.MAP_ASSETS)


def test_js_json_cannot_close_script():
    text = maps._js({"a": "</script><!-- '\u2028"})
    assert "<" not in text and ">" not in text and "'" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- '\u2028"}


def test_territory_focus_outlines_communes_and_links(data, communes):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes, territory="t-mureaux")
    layers = _layers(m)
    assert len(layers["Communes du territoire"]["features"]) == 2
    assert [
        f["properties"]["key"] for f in layers["Territoires zéro chômeur (TZ)"]["features"]
    ] == ["t:t-mureaux"]
    linked = set(table.loc[table["territory_id"] == "t-mureaux", "ptce_id"])
    assert {f["properties"]["key"][2:] for f in layers["PTCE (siège)"]["features"]} == linked
    tips = [f["properties"]["tip"] for f in layers["Liens de synergie"]["features"]]
    assert len(tips) == len(linked) and all(" km" in tip for tip in tips)
    same = maps.synergy_map(
        territories, ptce, table, communes=communes, focus="territory:t-mureaux"
    )
    assert _layers(same).keys() == layers.keys()


def test_region_and_departement_focus(data, communes):
    territories, ptce, table = data
    region = _layers(maps.region_map(territories, ptce, "11", synergies=table, communes=communes))
    keys = {f["properties"]["key"] for f in region["Territoires zéro chômeur (TZ)"]["features"]}
    assert keys == {"t:t-mureaux", "t:t-trappes"}
    by_name = _layers(
        maps.synergy_map(territories, ptce, table, communes=communes, region="La Réunion")
    )
    keys = {f["properties"]["key"] for f in by_name["PTCE (siège)"]["features"]}
    assert keys == {"p:p-xss"}
    dep = _layers(
        maps.departement_map(territories, ptce, "974", synergies=table, communes=communes)
    )
    assert len(dep["Territoires zéro chômeur (TZ)"]["features"]) == 1
    assert {f for f in dep} >= {"Départements"}


def test_focus_errors(data, communes):
    territories, ptce, table = data
    with pytest.raises(ArgumentError, match="t-mureau"):
        maps.synergy_map(territories, ptce, table, communes=communes, territory="t-mureau")
    with pytest.raises(ArgumentError, match="only one"):
        maps.synergy_map(territories, ptce, table, region="11", departement="78")
    with pytest.raises(ArgumentError, match="not understood"):
        maps.synergy_map(territories, ptce, table, focus="commune:78440")
    with pytest.raises(SchemaError, match="département '99'"):
        maps.synergy_map(territories, ptce, table, departement="99")


def test_input_errors_collected(data):
    territories, ptce, table = data
    with pytest.raises(SchemaError, match=r"territories lacks columns \['statut'\].*ptce lacks"):
        maps.synergy_map(territories.drop(columns="statut"), ptce.drop(columns="nom"), table)
    with pytest.raises(CRSError, match="set_crs"):
        maps.synergy_map(territories.set_crs(None, allow_override=True), ptce, table)


def test_synergies_computed_when_not_given(data, communes):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, communes=communes, radius_km=20)
    links = _layers(m)["Liens de synergie"]["features"]
    assert len(links) == len(table[table["territory_id"] != "t-none"])


def test_rings_and_tiles(data, communes):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes, rings=True, radius_km=10)
    page = _render(m)
    assert "Rayon de 10,0 km autour des PTCE" in page
    assert '"ringM":10000.0' in page
    assert "tile.openstreetmap.fr/osmfr" in page and "OpenStreetMap France" in page
    osm = _render(
        maps.synergy_map(territories, ptce, table, communes=communes, tiles="OpenStreetMap.Mapnik")
    )
    assert "tile.openstreetmap.org" in osm
    bare = _render(maps.synergy_map(territories, ptce, table, communes=communes, tiles=False))
    assert "L.tileLayer" not in bare and "geo-notiles" in bare
    with pytest.raises(ArgumentError, match="xyzservices"):
        maps.synergy_map(territories, ptce, table, communes=communes, tiles="No.Such.Tiles")


def test_simplify_keeps_shared_borders(communes):
    pair = communes.set_index("code_insee").loc[["78440", "78206"]].geometry.values.to_numpy()
    simplified = maps._simplify(pair, 0.003)
    assert shapely.get_num_coordinates(simplified).sum() < shapely.get_num_coordinates(pair).sum()
    assert shapely.coverage_is_valid(simplified)
    assert shapely.intersection(simplified[0], simplified[1]).length > 0.001  # still touching
    assert shapely.intersection(simplified[0], simplified[1]).area < 1e-9  # no overlap


def test_write_map_atomic_and_offline_errors(data, communes, tmp_path):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes)
    out = maps.write_map(m, tmp_path / "sub" / "carte.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in out.parent.iterdir()] == ["carte.html"]
    with pytest.raises(ArgumentError, match="assets_dir"):
        maps.write_map(m, tmp_path / "offline.html", offline=True)
    with pytest.raises(
        DataSourceError, match=r"4 map assets missing from .*none: https://cdn.*/leaflet\.js, "
    ):
        maps.write_map(m, tmp_path / "offline.html", offline=True, assets_dir=tmp_path / "none")
    assert not (tmp_path / "offline.html").exists()


def test_fetch_assets_from_server_and_inline(local_server, tmp_path):
    css = b".a{background:url(img/x.png)} .b{background:url('data:image/png;base64,AA==')}"
    local_server.route("/lib/1.0/style.css", Reply(200, css))
    local_server.route("/lib/1.0/img/x.png", Reply(500), Reply(200, BLANK_PNG))
    local_server.route("/lib/1.0/app.js", Reply(200, b"var s = '</script>'; window.ok = 1;"))
    urls = [f"{local_server.url}/lib/1.0/style.css", f"{local_server.url}/lib/1.0/app.js"]
    files = _assets.fetch_assets(tmp_path / "assets", urls)
    assert len(files) == 3 and all(f.is_file() for f in files)
    page = (
        f'<html><head><link rel="stylesheet" href="{urls[0]}"/>'
        f'<script src="{urls[1]}"></script></head><body></body></html>'
    )
    inlined = _assets.inline_assets(page, tmp_path / "assets")
    assert _assets.asset_urls(inlined) == [] and 'src="http' not in inlined
    assert len(local_server.hits("/lib/1.0/img/x.png")) == 2  # 500, then retried
    assert "data:image/png;base64," in inlined and "<\\/script>" in inlined
    assert inlined.count("</script>") == 1
    local_server.route("/lib/1.0/gone.js", Reply(404))
    with pytest.raises(DataSourceError, match=r"gone\.js"):
        _assets.fetch_assets(tmp_path / "assets", [f"{local_server.url}/lib/1.0/gone.js"])


def _clear_departement_caches() -> None:
    maps._DISSOLVED_MEMORY.clear()
    maps._OUTLINES_MEMORY.clear()


def test_departement_outlines_cached(monkeypatch, communes, fresh_cache):
    _clear_departement_caches()
    small = communes[communes["departement"] == "974"]
    calls = []
    import geo.communes

    def fake_load(**kwargs):
        calls.append(kwargs)
        return small

    monkeypatch.setattr(geo.communes, "load_communes", fake_load)
    first = maps._departement_outlines(None, 0.01)
    assert list(maps._DISSOLVED_MEMORY) == ["2025"] and list(maps._OUTLINES_MEMORY) == [
        ("2025", 0.01)
    ]
    _clear_departement_caches()
    second = maps._departement_outlines(None, 0.01)  # from the checked parquet file
    assert len(calls) == 1 and list(second["departement"]) == ["974"]
    assert first.geometry.iloc[0].equals(second.geometry.iloc[0])
    assert (fresh_cache / "departements-cog2025.parquet").is_file()
    coarse = maps._departement_outlines(None, 0.05)  # another tolerance: no new dissolve
    assert len(calls) == 1
    assert shapely.get_num_coordinates(coarse.geometry.iloc[0]) < shapely.get_num_coordinates(
        first.geometry.iloc[0]
    )
    _clear_departement_caches()


# --------------------------------------------------------------------------- browser


def _npm_file(url: str) -> Path | None:
    for prefix, (package, _version, folder) in CDN_TO_NPM.items():
        if url.startswith(prefix):
            relative = url[len(prefix) :].split("?")[0]
            relative = "/".join(NPM_RENAMES.get(p, p) for p in relative.split("/"))
            return NODE_MODULES / package / (folder + relative)
    return None


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    if not NODE_MODULES.is_dir():
        pytest.skip(
            f"browser tests need the npm assets in {NODE_MODULES}: npm ci --prefix tests/browser"
        )
    for package, version, _ in CDN_TO_NPM.values():
        meta = json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))
        assert meta["version"] == version, f"{package} {meta['version']} != {version}"
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


class Page:
    """One opened map page, its errors and the requests it made."""

    def __init__(self, browser, path: Path, *, allow_network: bool = True) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1100, "height": 800})
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console: {msg.text}") if msg.type == "error" else None
            ),
        )
        self.page.route("**/*", lambda route, request: self._route(route, request, allow_network))
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_timeout(300)

    def _route(self, route, request, allow_network: bool) -> None:
        url = request.url
        if url.startswith("file:"):
            route.continue_()
            return
        self.requests.append(url)
        if not allow_network:
            route.abort()
            return
        local = _npm_file(url)
        if local is not None and local.is_file():
            route.fulfill(path=str(local))
        elif request.resource_type == "image":
            route.fulfill(status=200, content_type="image/png", body=BLANK_PNG)  # tiles
        else:
            route.abort()

    def js(self, code: str, arg=None):
        prelude = (
            "const map = Object.values(window).find(v => v instanceof L.Map);"
            "const groups = Object.values(map._layers);"
        )
        return self.page.evaluate(f"(arg) => {{ {prelude} {code} }}", arg)

    def close(self) -> None:
        self.page.close()


def _write(m, tmp_path: Path, name: str, **kwargs) -> Path:
    return maps.write_map(m, tmp_path / name, **kwargs)


COUNT_JS = """
const count = {territories: 0, ptce: 0, links: 0, departements: 0, communes: 0, clusters: 0};
map.eachLayer(l => {
  if (l.getAllChildMarkers) { return; }
  const cls = (l.options && (l.options.className || '')) || '';
  if (cls.includes('geo-territory')) count.territories++;
  if (cls.includes('geo-link')) count.links++;
  if (cls.includes('geo-departement')) count.departements++;
  if (cls.includes('geo-commune')) count.communes++;
});
map.eachLayer(l => { if (l.getLayers && l._featureGroup) {
  count.clusters++;
  count.ptce += l.getLayers().filter(m => m.feature && m._geoGroup === l).length;
}});
if (!count.clusters) map.eachLayer(l => {
  if (l.feature && l.options.icon && l.options.icon.options.className === 'geo-ptce') count.ptce++;
});
count.paths = document.querySelectorAll('path.geo-territory').length;
count.legend = !!document.querySelector('.geo-legend') &&
  document.querySelector('.geo-legend').getBoundingClientRect().height > 50;
return count;
"""


@pytest.mark.browser
def test_browser_national_map(browser, data, communes, tmp_path):
    territories, ptce, table = data
    path = _write(
        maps.synergy_map(territories, ptce, table, communes=communes), tmp_path, "a.html"
    )
    page = Page(browser, path)
    try:
        count = page.js(COUNT_JS)
        assert page.errors == []
        assert count["territories"] == count["paths"] == 3
        assert count["ptce"] == 4 and count["clusters"] == 0
        assert count["links"] == len(table[table["territory_id"] != "t-none"])
        assert count["departements"] == 2
        assert count["legend"] is True
        assert page.page.is_visible(".leaflet-control-scale")
        scale = page.page.locator(".leaflet-control-scale-line").all_inner_texts()
        assert len(scale) == 1 and scale[0].endswith("km"), scale  # metric only
        assert page.page.is_visible(".leaflet-control-layers")
        assert page.page.is_visible("a.leaflet-control-zoom-fullscreen")
        # the page fills its frame
        size = page.js("return [map.getSize().x, map.getSize().y];")
        assert size == [1100, 800]
        # click a territory: its popup opens with its name
        page.js("map.fitBounds(map._geoIndex['t:t-mureaux'].getBounds());")
        page.page.wait_for_timeout(300)
        box = page.js(
            "const p = map.latLngToContainerPoint(map._geoIndex['t:t-mureaux'].getCenter());"
            "return [p.x, p.y];"
        )
        page.page.mouse.click(box[0], box[1])
        page.page.wait_for_selector(".leaflet-popup-content")
        assert "Les Mureaux — Écquevilly" in page.page.inner_text(".leaflet-popup-content")
        # one-click overseas view
        page.page.click(".geo-views button:has-text('La Réunion')")
        page.page.wait_for_timeout(400)
        lat, lng = page.js("const c = map.getCenter(); return [c.lat, c.lng];")
        assert -21.4 < lat < -20.8 and 55.1 < lng < 56.0
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_browser_search_is_accent_insensitive(browser, data, communes, tmp_path):
    territories, ptce, table = data
    path = _write(
        maps.synergy_map(territories, ptce, table, communes=communes), tmp_path, "s.html"
    )
    page = Page(browser, path)
    try:
        page.page.fill(".geo-search input", "ECQUEVILLY")
        items = page.page.locator(".geo-search li").all_inner_texts()
        assert any("Les Mureaux — Écquevilly" in item for item in items), items
        page.page.fill(".geo-search input", "pole des mureaux")
        page.page.click(".geo-search li >> nth=0")
        page.page.wait_for_selector(".leaflet-popup-content")
        assert "Pôle des Mureaux" in page.page.inner_text(".leaflet-popup-content")
        # names only: "ptce" lists the PTCE named so, not every PTCE by its category
        page.page.fill(".geo-search input", "ptce")
        names = page.page.locator(".geo-search li b").all_inner_texts()
        assert names == ["PTCE de Versailles"], names
        page.page.fill(".geo-search input", "versailles")
        names = page.page.locator(".geo-search li b").all_inner_texts()
        assert names == ["Versailles", "PTCE de Versailles"], names  # name start first
        page.page.fill(".geo-search input", "zzzz")
        assert page.page.inner_text(".geo-search li") == "Aucun résultat"
        assert page.errors == []
    finally:
        page.close()


def _hostile(data, communes):
    """The test data with hostile text in ids, statut, precision, département and more."""
    territories, ptce, table = data
    t_id, p_id = "t-xss" + XSS_IMG, "p-xss" + XSS_SCRIPT
    territories = territories.astype({"population": object})
    row = territories["id"] == "t-xss"
    for column, value in (
        ("statut", XSS_SCRIPT),
        ("precision", XSS_ATTR),
        ("departement", XSS_IMG),
        ("date_habilitation", XSS_IMG),
        ("population", XSS_ATTR),
        ("id", t_id),
    ):
        territories.loc[row, column] = value
    ptce = ptce.copy()
    row = ptce["id"] == "p-xss"
    for column, value in (
        ("precision", XSS_ATTR),
        ("departement", XSS_IMG),
        ("siege_commune", XSS_IMG + " siège"),
        ("id", p_id),
    ):
        ptce.loc[row, column] = value
    table = table.astype({"relation": object, "territory_id": object, "ptce_id": object})
    row = table["territory_id"] == "t-xss"
    table.loc[row, "territory_id"] = t_id
    table.loc[row, "ptce_id"] = p_id
    table.loc[row, "relation"] = XSS_IMG + XSS_ATTR
    communes = communes.copy()
    communes.loc[communes["code_insee"] == "97407", "nom"] = XSS_IMG + XSS_SCRIPT
    return territories, ptce, table, communes, t_id, p_id


@pytest.mark.browser
@pytest.mark.parametrize("focus", [False, True], ids=["national", "territory"])
def test_browser_hostile_payloads_never_run(browser, data, communes, tmp_path, focus):
    territories, ptce, table, communes, t_id, p_id = _hostile(data, communes)
    m = maps.synergy_map(
        territories,
        ptce,
        table,
        communes=communes,
        title=XSS_SCRIPT,
        territory=t_id if focus else None,
    )
    page = Page(browser, _write(m, tmp_path, "x.html"))
    try:
        assert page.page.title() == XSS_SCRIPT  # escaped once: shown as text
        assert XSS_SCRIPT in page.page.inner_text(".geo-legend summary")
        assert "autre statut" in page.page.inner_text(".geo-legend")
        for key, shown in (
            (f"t:{t_id}", (XSS_IMG, XSS_SCRIPT, XSS_ATTR)),
            (f"p:{p_id}", (XSS_IMG,)),
        ):
            page.js("geoTzptce.open(map, arg);", key)
            page.page.wait_for_timeout(400)
            content = page.page.locator(".leaflet-popup-content")
            for text in shown:
                assert text in content.inner_text()
            assert content.locator("img, script").count() == 0
            for element in content.locator("a").all():
                assert element.get_attribute("href").startswith("https://")
            content.hover()
        # real mouse on the hostile shape and marker, then every tooltip of the map
        page.js("geoTzptce.open(map, arg); map.closePopup();", f"t:{t_id}")
        page.page.wait_for_timeout(300)
        x, y = page.js(
            "const p = map.latLngToContainerPoint(map._geoIndex[arg].getCenter());"
            "return [p.x, p.y];",
            f"t:{t_id}",
        )
        page.page.mouse.move(x, y)
        page.page.mouse.click(x, y)
        page.page.wait_for_selector(".leaflet-popup-content")
        rect = page.js(
            "return map._geoIndex[arg]._icon.getBoundingClientRect().toJSON();", f"p:{p_id}"
        )
        page.page.mouse.move(rect["x"] + 6, rect["y"] + 6)
        page.page.mouse.click(rect["x"] + 6, rect["y"] + 6)
        page.page.wait_for_timeout(200)
        opened = page.js(
            "let n = 0; map.eachLayer(l => { if (l.getTooltip && l.getTooltip()) {"
            " l.openTooltip(l.getLatLng ? l.getLatLng() : l.getBounds().getCenter()); n++; } });"
            "return n;"
        )
        n_links = len(table[table["territory_id"] != "t-none"])
        # focus: the territory, its commune, its PTCE, their link; else 3 territories, 4 PTCE
        assert opened == (4 if focus else 3 + 4 + n_links)
        tips = page.page.locator(".leaflet-tooltip").all_inner_texts()
        assert len(tips) == opened
        assert any(f"({XSS_SCRIPT})" in tip for tip in tips)  # statut
        assert any(XSS_IMG + XSS_ATTR in tip for tip in tips)  # relation
        if focus:
            assert any(XSS_IMG + XSS_SCRIPT + " (97407)" in tip for tip in tips)  # commune
        page.page.fill(".geo-search input", "img src")
        assert page.page.locator(".geo-search li").count() >= 2
        page.page.click(".geo-search li >> nth=0")
        page.page.wait_for_timeout(300)
        assert page.page.locator(".leaflet-tooltip img, .geo-search img").count() == 0
        assert page.page.locator(".geo-legend img, .geo-legend script").count() == 0
        assert page.page.evaluate("() => window.__xss") is None
        assert (
            page.page.evaluate("() => document.querySelectorAll('[onerror],[onmouseover]').length")
            == 0
        )
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.parametrize("tiles", [True, False])
def test_browser_dense_ptce_are_clustered(browser, communes, tmp_path, tiles):
    territories, ptce = _build(communes, n_extra_ptce=40)
    m = maps.synergy_map(territories, ptce, communes=communes, tiles=tiles)
    page = Page(browser, _write(m, tmp_path, "c.html"))
    try:
        count = page.js(COUNT_JS)
        assert count["clusters"] == 1 and count["ptce"] == 44
        assert page.page.locator(".marker-cluster").count() >= 1
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_browser_territory_map(browser, data, communes, tmp_path):
    territories, ptce, table = data
    m = maps.territory_map(territories, ptce, "t-mureaux", synergies=table, communes=communes)
    page = Page(browser, _write(m, tmp_path, "t.html"))
    try:
        count = page.js(COUNT_JS)
        assert count["territories"] == 1 and count["communes"] == 2
        assert count["links"] == (table["territory_id"] == "t-mureaux").sum()
        assert page.js("return map.getZoom();") >= 11
        # a click inside the territory lands on a commune outline: the territory's popup opens
        page.page.click(".geo-legend summary")  # fold the legend out of the way
        x, y = page.js(
            "const c = groups.find(l => l.options && l.options.className === 'geo-commune');"
            "const p = map.latLngToContainerPoint(c.getCenter()); return [p.x, p.y];"
        )
        page.page.mouse.click(x, y)
        page.page.wait_for_selector(".leaflet-popup-content")
        assert "Les Mureaux — Écquevilly" in page.page.inner_text(".leaflet-popup-content h4")
        assert page.errors == []
    finally:
        page.close()


def _fill_assets_from_npm(target: Path) -> Path:
    urls = list(_assets.MAP_ASSETS)
    for url in list(urls):
        local = _npm_file(url)
        if url.endswith(".css"):
            css = local.read_text(encoding="utf-8")
            urls += _assets._css_references(css, url)
    for url in urls:
        destination = _assets.asset_path(target, url)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_npm_file(url), destination)
    return target


@pytest.mark.browser
@pytest.mark.parametrize("tiles", [False, True])
def test_browser_offline_single_file(browser, data, communes, tmp_path, tiles):
    territories, ptce, table = data
    assets = _fill_assets_from_npm(tmp_path / "assets")
    m = maps.synergy_map(
        territories, ptce, table, communes=communes, tiles=tiles, offline_assets=assets
    )
    path = _write(m, tmp_path, "offline.html", offline=True)
    assert _assets.asset_urls(path.read_text(encoding="utf-8")) == []
    page = Page(browser, path, allow_network=False)
    try:
        count = page.js(COUNT_JS)
        assert count["territories"] == 3 and count["ptce"] == 4 and count["legend"]
        if tiles:  # only tiles were asked for, and their failure is harmless
            assert page.requests and all("tile.openstreetmap.fr" in url for url in page.requests)
            page.errors = [e for e in page.errors if "Failed to load resource" not in e]
        else:
            assert page.requests == []
            background = page.js("return getComputedStyle(map.getContainer()).backgroundColor;")
            assert background == "rgb(223, 232, 238)"
        icon = page.js(
            "return getComputedStyle(document.querySelector('.leaflet-control-layers-toggle'))"
            ".backgroundImage;"
        )
        assert icon.startswith('url("data:image/png;base64,')
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_browser_notebook_frame_folds_the_legend(browser, data, communes, tmp_path):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes)
    path = tmp_path / "notebook.html"
    # what Jupyter shows: folium's 100 % wide, 60 % high iframe, here in a 700 px column
    path.write_text(
        '<!DOCTYPE html><html><body style="margin:0"><div style="width:700px">'
        f"{m._repr_html_()}</div></body></html>",
        encoding="utf-8",
    )
    page = Page(browser, path)
    try:
        frame = page.page.query_selector("iframe").content_frame()
        frame.wait_for_selector(".geo-legend")
        state = frame.evaluate(
            """() => {
            const map = Object.values(window).find(v => v instanceof L.Map);
            const box = e => e.getBoundingClientRect();
            const legend = box(document.querySelector('.geo-legend'));
            const hidden = [...document.querySelectorAll('.leaflet-top.leaflet-left > *')]
              .map(box).filter(c => !(c.bottom <= legend.top || c.top >= legend.bottom ||
                                       c.right <= legend.left || c.left >= legend.right));
            return {size: [map.getSize().x, map.getSize().y], covered: hidden.length,
                    open: document.querySelector('.geo-legend details').open};
        }"""
        )
        assert state == {"size": [700, 420], "covered": 0, "open": False}
        assert page.errors == []
    finally:
        page.close()


def _run_in_thread(function, *args, **kwargs):
    """Run outside the thread of the module's playwright session (one per thread)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


@pytest.mark.browser
def test_screenshot_offline_from_npm_assets(browser, data, communes, tmp_path):
    from geo import _screenshot

    territories, ptce, table = data
    assets = _fill_assets_from_npm(tmp_path / "assets")
    m = maps.synergy_map(territories, ptce, table, communes=communes, tiles=False)
    html_path = _write(m, tmp_path, "map.html")
    png = _run_in_thread(
        _screenshot.screenshot,
        html_path,
        tmp_path / "shots" / "map.png",
        width=640,
        height=400,
        assets_dir=assets,
        offline=True,
        executable_path=str(CHROMIUM),
    )
    data_png = png.read_bytes()
    assert data_png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data_png[16:24]) == (640, 400)
    assert len(data_png) > 10_000  # a drawn map, not a blank page
    broken = tmp_path / "broken.html"
    broken.write_text("<script>throw new Error('boom')</script>", encoding="utf-8")
    with pytest.raises(DataSourceError, match="boom"):
        _run_in_thread(
            _screenshot.screenshot, broken, tmp_path / "broken.png", executable_path=str(CHROMIUM)
        )
    assert not (tmp_path / "broken.png").exists()
    with pytest.raises(DataSourceError, match="Chromium not found"):
        _screenshot.screenshot(html_path, tmp_path / "x.png", executable_path=str(tmp_path))
