"""Synergy maps: rendered HTML checks, then the real page in headless Chromium."""

from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import html
import json
import re
import shutil
import struct
import zlib
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pytest
import shapely

import geo
from geo.errors import ArgumentError, CRSError, DataSourceError, SchemaError
from geo.publish import assets as _assets
from geo.publish import frtext, mapfile, maps, maptables
from geo.publish import page as _mappage
from geo.publish import pagedata as _pagedata
from geo.reference import outlines
from tests.conftest import (
    BLANK_PNG,
    CHROMIUM,
    NODE_MODULES,
    BrowserPage,
    Reply,
    cors_headers,
    npm_file,
    nu_errors,
)

XSS_IMG = "<img src=x onerror=window.__xss=1>"
XSS_SCRIPT = "</script><script>window.__xss=1</script>"
XSS_ATTR = '" onmouseover="window.__xss=1'
XSS_URL = "javascript:window.__xss=1"


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


JINJA = "{{7*7}}"
RAW = "{% raw %}"
COMMENT = "Atelier {# 2024"
LIPSUM = "{{ lipsum.__globals__.os.popen('touch PWNED_FILE').read() }}"
CYCLER = "{{ cycler.__init__.__globals__.os.popen('touch PWNED_FILE').read() }}"
JOINER = "{{ joiner.__init__.__globals__.os.system('touch PWNED_FILE') }}"
CHR_SCRIPT = "{{ '%c/script%c%cscript%cwindow.__jinja=1%c/script%c' % (60, 62, 60, 62, 60, 62) }}"
NAMED = "{{ nom }}"
JINJA_PAYLOADS = (JINJA, RAW, COMMENT, LIPSUM, CYCLER, JOINER, CHR_SCRIPT, NAMED)
HOSTILE = (XSS_IMG, XSS_SCRIPT, XSS_ATTR, *JINJA_PAYLOADS)


def _tables(m) -> list[dict]:
    return maps.map_tables(m)


def _table(m) -> dict:
    (table,) = _tables(m)
    return table


def _rows(table: dict, which: str) -> list[dict]:
    cols = table[which]["cols"]
    return [dict(zip(cols, row, strict=True)) for row in table[which]["rows"]]


def _render(m) -> str:
    return m.get_root().render()


def _page_json(page: str) -> list:
    return [
        json.loads(b)
        for b in re.findall(
            r'<script type="application/json"[^>]*>(.*?)</script>', page, re.DOTALL
        )
    ]


def _without_data(page: str) -> str:
    """The page minus its data blocks: what must hold no data text at all."""
    return re.sub(r'<script type="application/json"[^>]*>.*?</script>', "", page, flags=re.DOTALL)


# --------------------------------------------------------------------------- HTML checks


def test_lazy_export():
    assert geo.synergy_map is maps.synergy_map and geo.write_map is maps.write_map


def test_national_map_data_table(data, communes):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes)
    data_table = _table(m)
    t_rows, p_rows = _rows(data_table, "t"), _rows(data_table, "p")
    assert sorted(r["id"] for r in t_rows) == ["t-mureaux", "t-none", "t-trappes", "t-xss"]
    assert {r["id"]: r["geometry"] is not None for r in t_rows} == {
        "t-mureaux": True,
        "t-trappes": True,
        "t-xss": True,
        "t-none": False,
    }
    assert {r["id"]: r["approx"] for r in t_rows}["t-trappes"] is True
    assert len(p_rows) == 4 and all(r["point"] for r in p_rows)
    assert len(data_table["l"]) == len(table)
    assert len(data_table["d"]) == 2
    assert data_table["kind"] == "national" and data_table["cluster"] is False
    coords = json.dumps([r["geometry"] for r in t_rows] + [d[1] for d in data_table["d"]])
    assert not re.search(r"\d\.\d{6,}", coords), coords[:200]
    # public fields only: the columns the page gets are named, none internal
    for key, table in (("t", "territories"), ("p", "ptce")):
        cols = set(data_table[key]["cols"])
        assert set(geo.schema.field_names(table, shown=True)) <= cols
        assert not cols & set(geo.schema.field_names(table, public=False))
        assert not cols & set(geo.schema.field_names(table, shown=False))


def test_page_skeleton_french_zoomable_with_integrity(data, communes):
    territories, ptce, table = data
    page = _render(maps.synergy_map(territories, ptce, table, communes=communes))
    assert page.startswith('<!DOCTYPE html>\n<html lang="fr">')
    viewport = re.findall(r'<meta name="viewport" content="([^"]+)"', page)
    assert viewport == ["width=device-width, initial-scale=1"]
    assert "user-scalable" not in page and "maximum-scale" not in page
    assert len(_page_json(page)) == 1
    urls = _assets.asset_urls(page)
    assert urls and set(urls) <= set(_assets.MAP_ASSETS)
    tags = re.findall(r"<(?:script|link)[^>]+(?:src|href)=\"https://[^>]+>", page)
    assert len(tags) == len(urls)
    for tag in tags:
        assert 'integrity="sha384-' in tag and 'crossorigin="anonymous"' in tag, tag
    # only Leaflet: no jQuery, Bootstrap or icon fonts
    assert "jquery" not in page.lower() and "bootstrap" not in page.lower()


def test_integrity_hashes_are_those_of_the_npm_files():
    if not NODE_MODULES.is_dir():
        pytest.skip(f"needs the npm assets in {NODE_MODULES}: npm ci --prefix tests/browser")
    for url, integrity in _mappage.INTEGRITY.items():
        digest = hashlib.sha384(npm_file(url).read_bytes()).digest()
        assert integrity == "sha384-" + base64.b64encode(digest).decode(), url


def _every_field(frame: pd.DataFrame, payload: str) -> pd.DataFrame:
    """Put ``payload`` (with the column name) in every text column of ``frame``."""
    out = frame.copy()
    for column in out.columns:
        if column in ("geometry", "id"):
            continue
        out[column] = [f"{payload} {column}"] * len(out)
    return out


def _hostile_every_field(data, payload: str):
    territories, ptce, table = data
    territories = _every_field(territories, payload).assign(
        id=[f"{payload} t{i}" for i in range(len(territories))],
        notes=f"{payload} notes",
        confiance=f"{payload} confiance",
    )
    ptce = _every_field(ptce, payload).assign(
        id=[f"{payload} p{i}" for i in range(len(ptce))], notes=f"{payload} notes"
    )
    t_ids = dict(zip(data[0]["id"], territories["id"], strict=True))
    p_ids = dict(zip(data[1]["id"], ptce["id"], strict=True))
    table = table.assign(
        territory_id=table["territory_id"].map(t_ids),
        ptce_id=table["ptce_id"].map(p_ids),
        shared_communes=f"{payload};x",
    )
    table.loc[table.index[0], "relation"] = f"{payload} relation"
    return territories, ptce, table


_STATIC_TEXT = re.compile(r'<section class="geo-static".*?</section>', re.DOTALL)


def _outside_data(page: str) -> str:
    """The page minus its data blocks, escaped <title> and text alternative: no data text."""
    page = _STATIC_TEXT.sub("", _without_data(page))
    return re.sub(r"<title>.*?</title>", "", page, flags=re.DOTALL)


@pytest.mark.parametrize("payload", HOSTILE)
@pytest.mark.parametrize("kind", ["national", "region", "departement", "territory"])
def test_every_field_reaches_the_page_only_through_the_serialiser(
    data, communes, payload, kind, tmp_path, monkeypatch
):
    """A payload in every field of both tables, the synergies and the title.

    The build succeeds, the data block gives each text back literally, and the
    rest of the page (and the notebook frame) holds no data text at all: no data
    path bypasses the one serialiser, and no template ever evaluates data.
    """
    monkeypatch.chdir(tmp_path)
    territories, ptce, table = _hostile_every_field(data, payload)
    kwargs = {
        "national": {},
        "region": {"region": f"{payload} region"},
        "departement": {"departement": f"{payload} departement"},
        "territory": {"territory": territories["id"].iloc[0]},
    }[kind]
    territories = territories.assign(vague=f"{payload} vague")
    m = maps.synergy_map(
        territories,
        ptce,
        table,
        communes=communes,
        title=f"{payload} title",
        popup_columns=["vague"],
        **kwargs,
    )
    page = _render(m)
    notebook = html.unescape(m._repr_html_())
    # the command line's page, written without folium from the same data table
    cli_page = maps.map_page(
        maps.map_data(
            territories,
            ptce,
            table,
            communes=communes,
            title=f"{payload} title",
            popup_columns=["vague"],
            **kwargs,
        )
    )
    for text in (page, notebook, cli_page):
        (block,) = _page_json(text)
        assert block["title"] == f"{payload} title"
        t_rows, p_rows = _rows(block, "t"), _rows(block, "p")
        assert t_rows and all(r["nom"] == f"{payload} nom" for r in t_rows)
        assert all(r["extra"] == [["vague", f"{payload} vague"]] for r in t_rows)
        if kind != "territory":
            assert all(r["porteur"] == f"{payload} porteur" for r in p_rows)
            assert {r[2] for r in block["l"]} >= {f"{payload} relation"}
        dumped = json.dumps(block, ensure_ascii=False)
        assert "notes" not in dumped and "confiance" not in dumped  # internal fields stay out
        outside = _outside_data(text)
        assert payload not in outside
        assert html.escape(payload) not in outside and "49 nom" not in text
        # the text alternative written into the page: every data text escaped once, as text
        (section,) = _STATIC_TEXT.findall(text)
        assert payload not in section
        assert f'<b class="geo-sname">{_pagedata.html_text(f"{payload} nom")}</b>' in section
        assert _pagedata.html_text(f"{payload} title") in section
    assert not (tmp_path / "PWNED_FILE").exists()


def test_serialiser_escapes():
    text = _pagedata.page_json({"a": "</script><!-- '\u2028 {{x}} {%y%} {#z#}", "b": [1.5]})
    for char in "<>&'%#\u2028":
        assert char not in text
    assert "{{" not in text and "{%" not in text and "{#" not in text
    assert json.loads(text) == {"a": "</script><!-- '\u2028 {{x}} {%y%} {#z#}", "b": [1.5]}
    assert _pagedata.page_json({"n": float("nan")}) == '{"n":null}'
    # inside strings every special character is an escape, structural braces stay
    assert _pagedata.page_json(["{"]) == '["\\u007b"]'
    with pytest.raises(ValueError, match="plain element id"):
        _pagedata.json_block('x" onload="1', {})


def test_jinja_payloads_in_a_plain_folium_map_are_inert(data, communes, tmp_path, monkeypatch):
    """Drawing on the user's own folium.Map: the data still never meets a template."""
    monkeypatch.chdir(tmp_path)
    territories, ptce, table = _hostile_every_field(data, LIPSUM)
    base = folium.Map(tiles=None)
    m = maps.synergy_map(territories, ptce, table, m=base, communes=communes, title=JINJA)
    assert m is base
    page = _render(m)
    assert len(_page_json(page)) == 1 and JINJA not in _without_data(page)
    assert "user-scalable" not in page and "maximum-scale" not in page  # zoom never locked
    assert not (tmp_path / "PWNED_FILE").exists()
    # layers stack: a second table on the same map, one runtime
    maps.synergy_map(territories, ptce, table, m=m, communes=communes)
    page = _render(m)
    assert len(_page_json(page)) == 2 and page.count("var geoTzptce") == 1


def test_hostile_title_escaped_once(data, communes):
    territories, ptce, table = data
    page = _render(maps.synergy_map(territories, ptce, table, communes=communes, title=XSS_SCRIPT))
    assert XSS_SCRIPT not in page
    titles = re.findall(r"<title>(.*?)</title>", page, re.DOTALL)
    assert titles == ["&lt;/script&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;"]


def test_make_map_writes_shipped_data(tmp_path):
    territories = geo.load_territories()
    first = territories.loc[territories.geometry.notna(), "id"].iloc[0]
    out = mapfile.make_map(tmp_path / "t.html", territory=first, tiles=False)
    (block,) = _page_json(out.read_text(encoding="utf-8"))
    assert block["title"].endswith("PTCE et synergies") and block["c"]
    assert block["kind"] == "territory" and block["tiles"] is None


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
    assert (frtext.safe_url(url) is not None) is ok


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
    assert frtext.date_fr(value) == shown


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
        ("environ <3000>", ""),  # not a count
        (True, ""),
    ],
)
def test_population_text(value, shown):
    assert frtext.population_fr(value) == shown


def test_details_texts_dates_population_sources(data, communes):
    territories, ptce, table = data
    territories = territories.assign(date_habilitation="01/07/2021", population="1e999")
    territories.loc[territories["id"] == "t-trappes", "date_habilitation"] = "2023"
    rows = {
        r["id"]: r
        for r in _rows(_table(maps.synergy_map(territories, ptce, table, communes=communes)), "t")
    }
    assert rows["t-mureaux"]["date_habilitation"] == "01/07/2021"
    assert rows["t-trappes"]["date_habilitation"] == "2023"
    assert rows["t-mureaux"]["population"] == ""
    assert rows["t-mureaux"]["sources"] == [
        ["https://www.tzcld.fr/", "www.tzcld.fr"],
        ["https://ex.org/a?b=1&c=2", "ex.org"],
    ]
    assert rows["t-xss"]["sources"] == [[None, XSS_URL], [None, XSS_SCRIPT]]
    p_rows = {
        r["id"]: r
        for r in _rows(_table(maps.synergy_map(territories, ptce, table, communes=communes)), "p")
    }
    assert p_rows["p-xss"]["site_web"] == [None, XSS_URL]
    assert p_rows["p-mureaux"]["thematiques"] == ["insertion", "alimentation"]


def test_popup_columns(data, communes):
    territories, ptce, table = data
    territories = territories.assign(vague="2e étape", notes="interne")
    m = maps.synergy_map(territories, ptce, table, communes=communes, popup_columns=["vague"])
    rows = _rows(_table(m), "t")
    assert all(r["extra"] == [["vague", "2e étape"]] for r in rows)
    assert all(r["extra"] == [] for r in _rows(_table(m), "p"))
    assert "interne" not in _render(m)
    with pytest.raises(ArgumentError, match=r"popup_columns=\['nope'\].*vague"):
        maps.synergy_map(territories, ptce, table, communes=communes, popup_columns=["nope"])


def test_minimal_synergy_table(data, communes):
    territories, ptce, table = data
    minimal = pd.DataFrame(table[["territory_id", "ptce_id", "relation"]].to_dict("list"))
    links = _table(maps.synergy_map(territories, ptce, minimal, communes=communes))["l"]
    assert len(links) == len(table)
    assert all(link[3] is None and link[4] is None for link in links)
    assert {link[2] for link in links} == {"overlap", "near"}


def test_radius_is_the_synergies_radius(data, communes):
    territories, ptce, table = data
    near5 = geo.synergies(territories, ptce, radius_km=5)
    assert near5.attrs["radius_km"] == 5
    got = _table(maps.synergy_map(territories, ptce, near5, communes=communes))
    assert got["radiusKm"] == 5 and got["ringKm"] is None
    got = _table(maps.synergy_map(territories, ptce, near5, communes=communes, rings=True))
    assert got["ringKm"] == 5
    got = _table(
        maps.synergy_map(territories, ptce, table, communes=communes, rings=True, radius_km=10)
    )
    assert got["radiusKm"] == 20 and got["ringKm"] == 10
    assert (
        _table(maps.synergy_map(territories, ptce, communes=communes, radius_km=7))["radiusKm"]
        == 7
    )


def test_links_closest_relation_first(data, communes):
    territories, ptce, table = data
    links = _table(maps.synergy_map(territories, ptce, table, communes=communes))["l"]
    order = {"overlap": 0, "adjacent": 1, "near": 2}
    ranks = [order[link[2]] for link in links]
    assert ranks == sorted(ranks)


def test_territory_focus_outlines_communes_and_links(data, communes):
    territories, ptce, table = data
    got = _table(
        maps.synergy_map(territories, ptce, table, communes=communes, territory="t-mureaux")
    )
    assert [c[1] for c in got["c"]] == ["78206", "78440"] or sorted(c[1] for c in got["c"]) == [
        "78206",
        "78440",
    ]
    assert [r["id"] for r in _rows(got, "t")] == ["t-mureaux"]
    linked = set(table.loc[table["territory_id"] == "t-mureaux", "ptce_id"])
    assert {r["id"] for r in _rows(got, "p")} == linked
    assert len(got["l"]) == len(linked) and got["focus"] == "t:t-mureaux"
    same = _table(
        maps.synergy_map(territories, ptce, table, communes=communes, focus="territory:t-mureaux")
    )
    assert same["t"] == got["t"]


def test_region_and_departement_focus(data, communes):
    territories, ptce, table = data
    region = _table(maps.region_map(territories, ptce, "11", synergies=table, communes=communes))
    assert {r["id"] for r in _rows(region, "t")} == {"t-mureaux", "t-trappes", "t-none"}
    by_name = _table(
        maps.synergy_map(territories, ptce, table, communes=communes, region="La Réunion")
    )
    assert {r["id"] for r in _rows(by_name, "p")} == {"p-xss"}
    dep = _table(
        maps.departement_map(territories, ptce, "974", synergies=table, communes=communes)
    )
    assert [r["id"] for r in _rows(dep, "t")] == ["t-xss"] and dep["d"]


def test_focus_errors(data, communes):
    territories, ptce, table = data
    with pytest.raises(ArgumentError, match="t-mureau"):
        maps.synergy_map(territories, ptce, table, communes=communes, territory="t-mureau")
    with pytest.raises(ArgumentError, match="only one"):
        maps.synergy_map(territories, ptce, table, region="11", departement="78")
    with pytest.raises(ArgumentError, match="not understood"):
        maps.synergy_map(territories, ptce, table, focus="commune:78440")
    with pytest.raises(ArgumentError, match="département '99'"):
        maps.synergy_map(territories, ptce, table, departement="99")


def test_input_errors_collected(data):
    territories, ptce, table = data
    with pytest.raises(SchemaError, match=r"territories lacks columns \['statut'\].*ptce lacks"):
        maps.synergy_map(territories.drop(columns="statut"), ptce.drop(columns="nom"), table)
    with pytest.raises(CRSError, match="set_crs"):
        maps.synergy_map(territories.set_crs(None, allow_override=True), ptce, table)


def test_synergies_computed_when_not_given(data, communes):
    territories, ptce, table = data
    got = _table(maps.synergy_map(territories, ptce, communes=communes, radius_km=20))
    assert len(got["l"]) == len(table)


def test_tiles(data, communes):
    territories, ptce, table = data
    got = _table(maps.synergy_map(territories, ptce, table, communes=communes))
    assert "tile.openstreetmap.fr/osmfr" in got["tiles"]["url"]
    assert got["tiles"]["name"] == "Fond de carte OpenStreetMap.France"
    osm = _table(
        maps.synergy_map(territories, ptce, table, communes=communes, tiles="OpenStreetMap.Mapnik")
    )
    assert "tile.openstreetmap.org" in osm["tiles"]["url"]
    bare = maps.synergy_map(territories, ptce, table, communes=communes, tiles=False)
    assert _table(bare)["tiles"] is None
    with pytest.raises(ArgumentError, match="xyzservices"):
        maps.synergy_map(territories, ptce, table, communes=communes, tiles="No.Such.Tiles")


def test_simplify_keeps_shared_borders(communes):
    pair = communes.set_index("code_insee").loc[["78440", "78206"]].geometry.values.to_numpy()
    simplified = outlines.simplify_polygons(pair, 0.003)
    assert shapely.get_num_coordinates(simplified).sum() < shapely.get_num_coordinates(pair).sum()
    assert shapely.coverage_is_valid(simplified)
    assert shapely.intersection(simplified[0], simplified[1]).length > 0.001  # still touching
    assert shapely.intersection(simplified[0], simplified[1]).area < 1e-9  # no overlap


def test_write_map_atomic_and_offline_errors(data, communes, tmp_path, monkeypatch):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes)
    out = maps.write_map(m, tmp_path / "sub" / "carte.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in out.parent.iterdir()] == ["carte.html"]
    with pytest.raises(ArgumentError, match="assets_dir"):
        maps.write_map(m, tmp_path / "offline.html", offline=True)
    monkeypatch.setattr(geo.settings, "offline", True)  # else the missing files are fetched
    with pytest.raises(
        DataSourceError,
        match=r"map assets missing from .*none: https://cdn.*/leaflet\.(js|css).*offline mode is "
        r"on.*: python -m geo assets fetch \S*none \(",
    ):
        maps.write_map(m, tmp_path / "offline.html", offline=True, assets_dir=tmp_path / "none")
    assert not (tmp_path / "offline.html").exists()


def test_write_map_separate_assets(data, communes, tmp_path):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes)
    out = maps.write_map(m, tmp_path / "carte.html", separate_assets=True)
    page = out.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["carte.css", "carte.html", "carte.js"]
    assert not re.search(r"<script>|<style>|<script(?![^>]*\b(src|type)=)[^>]*>", page)
    assert '<script src="carte.js"></script>' in page and 'href="carte.css"' in page
    assert "var geoTzptce" in (tmp_path / "carte.js").read_text(encoding="utf-8")
    assert len(_page_json(page)) == 1


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


def test_offline_pages_fetch_and_inline_one_format_per_icon_font(local_server, tmp_path):
    css = (
        "@font-face{font-family:'Icons';src:url(../fonts/i.eot);"
        "src:url(../fonts/i.eot?#iefix) format('embedded-opentype'),"
        "url(../fonts/i.woff2) format('woff2'),url(../fonts/i.ttf) format('truetype')}"
        ".icon{font-family:'Icons'}"
    )
    local_server.route("/icons/1.0/css/icons.css", Reply(200, css.encode()))
    for name in ("i.eot", "i.woff2", "i.ttf"):
        local_server.route(f"/icons/1.0/fonts/{name}", Reply(200, b"wOF2" + name.encode()))
    url = f"{local_server.url}/icons/1.0/css/icons.css"
    _assets.fetch_assets(tmp_path / "assets", [url])
    assert sorted(r.path for r in local_server.requests) == [
        "/icons/1.0/css/icons.css",
        "/icons/1.0/fonts/i.woff2",
    ]
    page = f'<html><head><link rel="stylesheet" href="{url}"/></head><body></body></html>'
    inlined = _assets.inline_assets(page, tmp_path / "assets")
    assert inlined.count("url(") == 1 and ".ttf" not in inlined and ".eot" not in inlined
    woff2 = base64.b64encode(b"wOF2i.woff2").decode()
    assert f"base64,{woff2}\") format('woff2')}}" in inlined
    assert ".icon{font-family:'Icons'}" in inlined


def _clear_departement_caches() -> None:
    outlines.clear()


def test_departement_outlines_cached(monkeypatch, communes, fresh_cache):
    _clear_departement_caches()
    small = communes[communes["departement"] == "974"]
    calls = []
    import geo.reference.communes

    def fake_load(**kwargs):
        calls.append(kwargs)
        return small

    monkeypatch.setattr(geo.reference.communes, "load_communes", fake_load)
    first = outlines.departement_outlines(tolerance=0.01)
    assert len(calls) == 1
    assert outlines.departement_outlines(tolerance=0.01) is first  # held in memory
    _clear_departement_caches()
    second = outlines.departement_outlines(tolerance=0.01)  # from the checked parquet file
    assert len(calls) == 1 and list(second["departement"]) == ["974"]
    assert first.geometry.iloc[0].equals(second.geometry.iloc[0])
    assert (fresh_cache / "departements-cog2025.parquet").is_file()
    coarse = outlines.departement_outlines(tolerance=0.05)  # another tolerance: no new dissolve
    assert len(calls) == 1
    assert shapely.get_num_coordinates(coarse.geometry.iloc[0]) < shapely.get_num_coordinates(
        first.geometry.iloc[0]
    )
    _clear_departement_caches()


# --------------------------------------------------------------------------- browser


def _write(m, tmp_path: Path, name: str, **kwargs) -> Path:
    return maps.write_map(m, tmp_path / name, **kwargs)


COUNT_JS = """
const count = {territories: 0, symbols: 0, ptce: 0, links: 0, departements: 0, communes: 0,
               clusters: 0};
map.eachLayer(l => {
  if (l.getAllChildMarkers) { return; }
  const cls = (l.options && (l.options.className || '')) || '';
  if (cls.includes('geo-territory')) count.territories++;
  if (cls.includes('geo-link')) count.links++;
  if (cls.includes('geo-departement')) count.departements++;
  if (cls.includes('geo-commune')) count.communes++;
  if (l._geoKind === 'tsym') count.symbols++;
});
map.eachLayer(l => { if (l.getLayers && l._featureGroup) {
  count.clusters++;
  count.ptce += l.getLayers().filter(m => m._geoKind === 'ptce').length;
}});
if (!count.clusters) map.eachLayer(l => { if (l._geoKind === 'ptce') count.ptce++; });
count.paths = document.querySelectorAll('path.geo-territory').length;
count.legend = !!document.querySelector('.geo-legend summary') &&
  document.querySelector('.geo-legend summary').getBoundingClientRect().height > 10;
count.rows = document.querySelectorAll('.geo-cards > li').length;
return count;
"""


POINT_ON_JS = """
const path = map._geoIndex[arg]._path, b = path.getBoundingClientRect();
for (let fy = 0.5; fy < 1; fy += 0.07) for (let fx = 0.5; fx < 1; fx += 0.07)
  for (const [x, y] of [[b.x + b.width * fx, b.y + b.height * fy],
                        [b.x + b.width * (1 - fx), b.y + b.height * (1 - fy)]])
    if (document.elementFromPoint(x, y) === path) return [x, y];
return null;
"""


def _point_on(page, key: str) -> tuple[float, float]:
    """A pixel where a click lands on the feature's own shape (not a link over it)."""
    found = page.js(POINT_ON_JS, key)
    assert found, key
    return found


def _view(page, name: str) -> None:
    """Press one of the one-click views (in the "Vues" menu)."""
    if not page.page.evaluate("() => document.querySelector('.geo-views details').open"):
        page.page.click(".geo-views summary")
    page.page.click(f".geo-views button:has-text('{name}')")


def _legend(page, open_: bool) -> None:
    """Open or fold the legend."""
    if page.page.evaluate("() => document.querySelector('.geo-legend details').open") != open_:
        page.page.click(".geo-legend summary")


def _details(page) -> str:
    page.page.wait_for_selector(".geo-details:not([hidden])")
    return page.page.inner_text(".geo-details")


@pytest.mark.browser
def test_browser_national_map(browser, data, communes, tmp_path):
    territories, ptce, table = data
    path = _write(
        maps.synergy_map(territories, ptce, table, communes=communes), tmp_path, "a.html"
    )
    page = BrowserPage(browser, path)
    try:
        count = page.js(COUNT_JS)
        assert page.errors == []
        assert count["territories"] == count["paths"] == 3
        assert count["symbols"] == 3  # national scale: a symbol on each perimeter
        assert count["ptce"] == 4 and count["clusters"] == 0
        assert count["links"] == len(table[table["territory_id"] != "t-none"])
        assert count["departements"] == 2
        assert count["legend"] is True
        assert count["rows"] == 8  # the list: 4 territories (one not located), 4 PTCE
        assert page.page.evaluate("() => document.documentElement.lang") == "fr"
        scale = page.page.locator(".leaflet-control-scale-line").all_inner_texts()
        assert len(scale) == 1 and scale[0].endswith("km"), scale  # metric only
        assert page.page.is_visible(".leaflet-control-layers")
        assert page.page.get_attribute(".leaflet-control-zoom-in", "aria-label") == "Zoom avant"
        assert page.page.get_attribute(".geo-fullscreen button", "aria-label") == "Plein écran"
        # the map fills its part of the page, beside the list
        size = page.js("return [map.getSize().x, map.getSize().y];")
        assert size[0] >= 700 and size[1] == 800
        # one-click overseas view, then back to the mainland
        # (checked before any details open: right after details close, the first view change
        # can be dropped — a known open bug, see the closing note of issue 12)
        _view(page, "La Réunion")
        # poll rather than sleep: a fixed wait flakes on a loaded machine
        page.wait_js("return map.getCenter().lat < -20;")
        lat, lng = page.js("const c = map.getCenter(); return [c.lat, c.lng];")
        assert -21.4 < lat < -20.8 and 55.1 < lng < 56.0
        _view(page, "Métropole")
        page.wait_js("return map.getCenter().lat > 40;")
        # click a territory: its details open with its name, French texts
        page.js("map.fitBounds(map._geoIndex['t:t-mureaux'].getBounds());")
        page.page.wait_for_timeout(300)
        x, y = _point_on(page, "t:t-mureaux")
        page.page.mouse.click(x, y)
        text = _details(page)
        for shown in (
            "Les Mureaux — Écquevilly",
            "Territoire habilité (TH)",
            "Ecquevilly",
            "01/07/2021",
            "Pôle des Mureaux",
            "chevauchement",
            "Pôle de Meulan — à proximité, à 0,4\u00a0km",
        ):
            assert shown in text, shown
        hrefs = page.page.eval_on_selector_all(".geo-details a", "as => as.map(a => a.href)")
        assert hrefs == ["https://www.tzcld.fr/", "https://ex.org/a?b=1&c=2"]
        # Escape closes the details
        page.page.keyboard.press("Escape")
        assert page.page.is_hidden(".geo-details")
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_browser_search_and_list(browser, data, communes, tmp_path):
    territories, ptce, table = data
    path = _write(
        maps.synergy_map(territories, ptce, table, communes=communes), tmp_path, "s.html"
    )
    page = BrowserPage(browser, path)
    try:
        page.page.fill(".geo-search input", "ECQUEVILLY")
        items = page.page.locator(".geo-search li").all_inner_texts()
        assert any("Les Mureaux — Écquevilly" in item for item in items), items
        page.page.fill(".geo-search input", "pole des mureaux")
        page.page.click(".geo-search li >> nth=0")
        assert "Pôle des Mureaux" in _details(page)
        # focus is in the details; Escape brings it back to the search box
        page.page.keyboard.press("Escape")
        assert page.page.evaluate("() => document.activeElement.type") == "search"
        # names only: "ptce" lists the PTCE named so, not every PTCE by its category
        page.page.fill(".geo-search input", "ptce")
        names = page.page.locator(".geo-search li b").all_inner_texts()
        assert names == ["PTCE de Versailles"], names
        page.page.fill(".geo-search input", "versailles")
        names = page.page.locator(".geo-search li b").all_inner_texts()
        assert names == ["Versailles", "PTCE de Versailles"], names  # name start first
        # départements by name and code, régions (and so their PTCE)
        for query, found in (("yvelines", "Yvelines (78)"), ("78", "Yvelines (78)")):
            page.page.fill(".geo-search input", query)
            assert found in page.page.locator(".geo-search li b").all_inner_texts(), query
        page.page.fill(".geo-search input", "reunion")
        assert "La Réunion" in page.page.locator(".geo-search li b").all_inner_texts()
        page.page.click(".geo-search li:has-text('région')")
        rows = page.page.locator(".geo-cards > li").all_inner_texts()
        assert len(rows) == 2 and all("Réunion" in r for r in rows), rows
        page.page.fill(".geo-search input", "zzzz")
        assert page.page.inner_text(".geo-search li") == "Aucun résultat"
        # filters: PE only, no PTCE -> the list and the map agree
        page.page.select_option("select[id^=geo-f-region]", "")
        page.page.uncheck(".geo-types label:has-text('Territoire habilité') input")
        page.page.uncheck(
            ".geo-types label:text-is(' PTCE') input, .geo-types label:has-text('PTCE') input"
        )
        rows = page.page.locator(".geo-cards > li").all_inner_texts()
        assert [r.split("\n")[0] for r in rows] == [
            "Territoire sans contour",
            "Trappes (Merisiers)",
        ]
        count = page.js(COUNT_JS)
        assert count["territories"] == 1 and count["ptce"] == 0 and count["links"] == 0
        # a list entry opens its details and Escape returns focus to it
        page.page.click(".geo-cards .geo-pick:has-text('Trappes')")
        assert "Projet émergent (PE)" in _details(page)
        page.page.keyboard.press("Escape")
        assert page.page.evaluate("() => document.activeElement.textContent") == (
            "Trappes (Merisiers)"
        )
        assert page.errors == []
    finally:
        page.close()


def _hostile_all(data, communes):
    """XSS and Jinja payloads in every field of both tables, ids and relations too."""
    territories, ptce, table = data
    payload = " ".join(HOSTILE)
    territories, ptce, table = _hostile_every_field((territories, ptce, table), payload)
    # keep the rows placeable: real statuts and départements stay as text around the payload
    communes = communes.copy()
    communes.loc[communes["code_insee"] == "78440", "nom"] = payload
    return territories, ptce, table, communes, payload


@pytest.mark.browser
@pytest.mark.parametrize(
    "kind", ["national", "region", "departement", "territory", "offline", "cli"]
)
def test_browser_hostile_payloads_show_literally(
    browser, data, communes, tmp_path, kind, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    territories, ptce, table, communes, payload = _hostile_all(data, communes)
    first = territories["id"].iloc[0]
    kwargs = {
        "national": {},
        "offline": {},
        "cli": {},
        "region": {"region": f"{payload} region"},
        "departement": {"departement": f"{payload} departement"},
        "territory": {"territory": first},
    }[kind]
    assets = _fill_assets_from_npm(tmp_path / "assets") if kind == "offline" else None
    m = maps.synergy_map(
        territories,
        ptce,
        table,
        communes=communes,
        title=f"{payload} title",
        popup_columns=["ebe"],
        offline_assets=assets,
        tiles=kind != "offline",
        **kwargs,
    )
    path = _write(m, tmp_path, "x.html", offline=kind == "offline")
    if kind == "cli":  # the command line's page: the same data table, written without folium
        data_table = maps.map_data(
            territories,
            ptce,
            table,
            communes=communes,
            title=f"{payload} title",
            popup_columns=["ebe"],
        )
        path = maps.write_page(maps.map_page(data_table), tmp_path / "cli.html")
    page = BrowserPage(browser, path, allow_network=kind != "offline")
    try:
        assert page.page.title() == f"{payload} title"
        assert page.page.inner_text(".geo-legend summary") == f"{payload} title"
        assert page.page.inner_text(".geo-title") == f"{payload} title"
        # every list entry opens details showing the texts literally
        names = page.page.locator(".geo-cards .geo-pick")
        n = names.count()
        assert n == (1 + len(table[table["territory_id"] == first]) if kind == "territory" else 8)
        for i in range(n):
            names.nth(i).click()
            text = _details(page)
            assert f"{payload} nom" in text
            if i == 0 or kind != "territory":
                assert f"{payload} ebe" in text or "PTCE" in text
            assert page.page.locator(".geo-details img, .geo-details script").count() == 0
            page.page.keyboard.press("Escape")
        # every tooltip of the map
        opened = page.js(
            "let n = 0; map.eachLayer(l => { if (l.getTooltip && l.getTooltip()) {"
            " l.openTooltip(l.getLatLng ? l.getLatLng() : l.getBounds().getCenter()); n++; } });"
            "return n;"
        )
        tips = page.page.locator(".leaflet-tooltip").all_inner_texts()
        assert opened and len(tips) == opened
        assert any(f"{payload} nom" in tip for tip in tips)
        assert any(f"{payload} relation" in tip for tip in tips) or kind == "territory"
        # search
        page.page.fill(".geo-search input", "img src")
        assert page.page.locator(".geo-search li b").count() >= 2
        assert any(
            f"{payload} nom" in t for t in page.page.locator(".geo-search li b").all_inner_texts()
        )
        page.page.click(".geo-search li >> nth=0")
        _legend(page, True)
        legend = page.page.inner_text(".geo-legend")
        assert "autre statut" in legend  # statut is a payload: drawn as "other"
        for selector in (
            ".geo-app img:not(.leaflet-tile)",
            ".geo-app script",
            "[onerror]",
            "[onmouseover]",
        ):
            assert page.page.locator(selector).count() == 0, selector
        assert "49" not in page.page.inner_text("body").replace("1.9.3", "")
        for flag in ("__xss", "__jinja"):
            assert page.page.evaluate(f"() => window.{flag}") is None
        assert page.errors == []
        if kind == "offline":
            assert page.external == []
    finally:
        page.close()
    assert not (tmp_path / "PWNED_FILE").exists()


@pytest.mark.browser
@pytest.mark.parametrize("tiles", [True, False])
def test_browser_dense_ptce_are_clustered(browser, communes, tmp_path, tiles):
    territories, ptce = _build(communes, n_extra_ptce=40)
    m = maps.synergy_map(territories, ptce, communes=communes, tiles=tiles)
    page = BrowserPage(browser, _write(m, tmp_path, "c.html"))
    try:
        count = page.js(COUNT_JS)
        assert count["clusters"] == 1 and count["ptce"] == 44
        clusters = page.page.locator(".marker-cluster")
        assert clusters.count() >= 1
        label = clusters.first.get_attribute("aria-label")
        assert label.startswith("Groupe de ") and "PTCE" in label
        # a named graphic, not a Tab stop: the list and the search are the keyboard path
        assert clusters.first.get_attribute("role") == "img"
        assert clusters.first.get_attribute("tabindex") is None
        zoom = page.js("return map.getZoom();")
        clusters.first.dispatch_event("click")
        page.page.wait_for_timeout(700)
        assert page.js("return map.getZoom();") > zoom
        # a PTCE inside a cluster, opened from the list: its own marker is shown
        hidden = page.js(
            "const g = groups.find(l => l.getVisibleParent);"
            "return g.getLayers().filter(m => m._geoKind === 'ptce' && !m._icon)"
            ".map(m => Object.keys(map._geoIndex).find(k => map._geoIndex[k] === m));"
        )
        assert hidden
        name = page.js("return map._geoKeys[arg].pById[arg.slice(2)].nom;", hidden[0])
        page.page.click(f".geo-cards .geo-pick:text-is('{name}')")
        page.page.wait_for_timeout(900)
        assert page.js("return !!map._geoIndex[arg]._icon;", hidden[0])
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_browser_territory_map(browser, data, communes, tmp_path):
    territories, ptce, table = data
    m = maps.territory_map(territories, ptce, "t-mureaux", synergies=table, communes=communes)
    page = BrowserPage(browser, _write(m, tmp_path, "t.html"))
    try:
        count = page.js(COUNT_JS)
        assert count["territories"] == 1 and count["communes"] == 2 and count["symbols"] == 0
        assert count["links"] == (table["territory_id"] == "t-mureaux").sum()
        assert page.js("return map.getZoom();") >= 11
        # a click inside the territory lands on a commune outline: the territory's details
        _legend(page, False)  # folded out of the way
        x, y = page.js(
            "const c = groups.find(l => l.options && l.options.className === 'geo-commune');"
            "const p = map.latLngToContainerPoint(c.getCenter());"
            "const r = map.getContainer().getBoundingClientRect(); return [p.x + r.x, p.y + r.y];"
        )
        page.page.mouse.click(x, y)
        page.page.wait_for_selector(".geo-details:not([hidden])")
        assert "Les Mureaux — Écquevilly" in page.page.inner_text(".geo-details h2")
        assert page.errors == []
    finally:
        page.close()


def _fill_assets_from_npm(target: Path) -> Path:
    urls = list(_assets.MAP_ASSETS)
    for url in list(urls):
        local = npm_file(url)
        if url.endswith(".css"):
            css = local.read_text(encoding="utf-8")
            urls += _assets.css_references(css, url)
    for url in urls:
        destination = _assets.asset_path(target, url)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(npm_file(url), destination)
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
    page = BrowserPage(browser, path, allow_network=False)
    try:
        count = page.js(COUNT_JS)
        assert count["territories"] == 3 and count["ptce"] == 4 and count["legend"]
        if tiles:  # only tiles were asked for, and their failure is harmless
            assert page.external and all("tile.openstreetmap.fr" in url for url in page.external)
            page.errors = [e for e in page.errors if "Failed to load resource" not in e]
        else:
            assert page.external == []
        background = page.js("return getComputedStyle(map.getContainer()).backgroundColor;")
        assert background == "rgb(223, 232, 238)"  # the sea; départements are the land
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
    page = BrowserPage(browser, path)
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
            return {width: map.getSize().x, covered: hidden.length,
                    open: document.querySelector('.geo-legend details').open,
                    rows: document.querySelectorAll('.geo-cards > li').length};
        }"""
        )
        assert state == {"width": 700, "covered": 0, "open": False, "rows": 8}
        assert page.errors == []
    finally:
        page.close()


def _run_in_thread(function, *args, **kwargs):
    """Run outside the thread of the module's playwright session (one per thread)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


@pytest.mark.browser
def test_screenshot_offline_from_npm_assets(browser, data, communes, tmp_path):
    from geo.publish import screenshot as _screenshot

    territories, ptce, table = data
    assets = _fill_assets_from_npm(tmp_path / "assets")
    m = maps.synergy_map(territories, ptce, table, communes=communes, tiles=True)
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


def test_cli_map_embed_popup_columns_separate_assets(tmp_path, capsys):
    from geo import cli

    out = tmp_path / "carte.html"
    argv = ["map", "--out", str(out), "--no-tiles", "--embed", "--separate-assets"]
    assert cli.main([*argv, "--popup-columns", "vague"]) == 0
    page = out.read_text(encoding="utf-8")
    (block,) = _page_json(page)
    assert block["embed"] is True and block["tiles"] is None
    vagues = [r["extra"] for r in _rows(block, "t")]
    assert any(extra and extra[0][0] == "vague" for extra in vagues)
    assert (tmp_path / "carte.js").is_file() and "<script>" not in page
    assert cli.main([*argv, "--popup-columns", "no-such-column"]) != 0
    assert "no-such-column" in capsys.readouterr().err


AXE_JS = """() => axe.run(document, {runOnly: {type: 'tag',
  values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
  .then(r => r.violations.map(
    v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))"""


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [(1366, 768), (390, 844)], ids=["desktop", "phone"])
@pytest.mark.parametrize("kind", ["national", "region", "departement", "territory"])
def test_browser_axe_no_violations_with_details_open(
    browser, data, communes, tmp_path, kind, viewport
):
    territories, ptce, table = data
    kwargs = {
        "national": {},
        "region": {"region": "11"},
        "departement": {"departement": "78"},
        "territory": {"territory": "t-mureaux"},
    }[kind]
    m = maps.synergy_map(territories, ptce, table, communes=communes, **kwargs)
    page = BrowserPage(browser, _write(m, tmp_path, "axe.html"), viewport=viewport)
    try:
        page.js("geoTzptce.open(map, 't:t-mureaux');")
        page.page.wait_for_selector(".geo-details:not([hidden])")
        width = page.page.evaluate(
            "() => document.querySelector('.geo-details').getBoundingClientRect().width"
        )
        assert width <= viewport[0]  # no details panel wider than the screen
        page.page.add_script_tag(path=str(NODE_MODULES / "axe-core" / "axe.min.js"))
        assert page.page.evaluate(AXE_JS) == []
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_browser_keyboard_search_first_and_escape(browser, data, communes, tmp_path):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes)
    page = BrowserPage(browser, _write(m, tmp_path, "k.html"))
    try:
        for _ in range(3):
            page.page.keyboard.press("Tab")
            if page.page.evaluate("() => document.activeElement.type") == "search":
                break
        assert page.page.evaluate("() => document.activeElement.type") == "search"
        page.page.keyboard.type("trappes")
        page.page.keyboard.press("Enter")
        page.page.wait_for_selector(".geo-details:not([hidden])")
        assert "Trappes (Merisiers)" in page.page.evaluate(
            "() => document.activeElement.textContent"
        )
        page.page.keyboard.press("Escape")
        assert page.page.evaluate("() => document.activeElement.type") == "search"
    finally:
        page.close()


@pytest.mark.browser
def test_browser_keyboard_reaches_every_list_entry(browser, data, communes, tmp_path):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes)
    page = BrowserPage(browser, _write(m, tmp_path, "kl.html"))
    try:
        entries = page.page.eval_on_selector_all(
            ".geo-cards > li",
            "rows => rows.map(r => r.querySelector('.geo-pick').textContent.trim())",
        )
        assert len(entries) == 8, entries  # 4 territories (one not located), 4 PTCE
        reached: list[str] = []
        for _ in range(120):
            page.page.keyboard.press("Tab")
            name = page.page.evaluate(
                "() => { const a = document.activeElement;"
                " const row = a && a.closest('.geo-cards > li');"
                " return row ? row.querySelector('.geo-pick').textContent.trim() : null; }"
            )
            if name is not None and name not in reached:
                reached.append(name)
            if len(reached) == len(entries):
                break
        assert sorted(reached) == sorted(entries)
        # Enter on the focused entry opens its details
        page.page.keyboard.press("Enter")
        page.page.wait_for_selector(".geo-details:not([hidden])")
        assert reached[-1] in _details(page)
    finally:
        page.close()


def _host_page(tmp_path: Path, frame: Path, fragment: str = "") -> Path:
    """A site page with the map in an iframe between long paragraphs."""
    host = tmp_path / f"host{abs(hash(fragment))}.html" if fragment else tmp_path / "host.html"
    text = "<p>" + "Texte du site. " * 400 + "</p>"
    host.write_text(
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Site</title></head>'
        f'<body><a href="#" id="before">avant</a>{text}'
        f'<iframe src="{frame.name}{fragment}" title="Carte des territoires et PTCE" width="900" '
        'height="520" allowfullscreen></iframe>'
        f'{text}<a href="#" id="after">après</a></body></html>',
        encoding="utf-8",
    )
    return host


@pytest.mark.browser
def test_browser_embed_wheel_scrolls_host_and_tab_leaves(browser, data, communes, tmp_path):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes, embed=True)
    frame_path = _write(m, tmp_path, "embed.html")
    page = BrowserPage(browser, _host_page(tmp_path, frame_path))
    try:
        page.page.evaluate("() => document.querySelector('iframe').scrollIntoView()")
        page.page.wait_for_timeout(300)
        frame = page.page.frame_locator("iframe")
        inner = page.page.frames[1]
        inner.wait_for_selector(".geo-embed-hint")
        zoom = inner.evaluate(
            "() => Object.values(window).find(v => v instanceof L.Map).getZoom()"
        )
        box = page.page.locator("iframe").bounding_box()
        before = page.page.evaluate("() => window.scrollY")
        page.page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.5)
        for _ in range(3):
            page.page.mouse.wheel(0, 200)
            page.page.wait_for_timeout(150)
        assert page.page.evaluate("() => window.scrollY") > before  # the host page scrolled
        assert (
            inner.evaluate("() => Object.values(window).find(v => v instanceof L.Map).getZoom()")
            == zoom
        )
        assert frame.locator(".geo-fulllink").inner_text() == "Ouvrir la carte en plein écran"
        # Tab goes through the frame and out of it, to the host's next link
        page.page.focus("#before")
        for _ in range(80):
            page.page.keyboard.press("Tab")
            if page.page.evaluate("() => document.activeElement.id") == "after":
                break
        assert page.page.evaluate("() => document.activeElement.id") == "after"
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_browser_permalink_opens_the_feature(browser, data, communes, tmp_path):
    territories, ptce, table = data
    path = _write(
        maps.synergy_map(territories, ptce, table, communes=communes), tmp_path, "p.html"
    )
    page = BrowserPage(browser, path.as_uri() + "#territoire=t-trappes")
    try:
        assert "Trappes (Merisiers)" in _details(page)
        page.page.click(".geo-cards .geo-pick:has-text('Pôle de Meulan')")
        page.page.wait_for_timeout(200)
        assert page.page.evaluate("() => location.hash") == "#ptce=p-meulan"
    finally:
        page.close()


def _blocking(page, pattern: str) -> None:
    page.page.route(pattern, lambda route, request: route.abort())


@pytest.mark.browser
def test_browser_cluster_plugin_blocked_still_draws(browser, communes, tmp_path):
    territories, ptce = _build(communes, n_extra_ptce=40)
    m = maps.synergy_map(territories, ptce, communes=communes, tiles=False)
    path = _write(m, tmp_path, "c.html")
    # a page whose markercluster script cannot load
    blocked = ("**/leaflet.markercluster.js", lambda route, request: route.abort())
    page = BrowserPage(browser, path, routes=(blocked,))
    try:
        count = page.js(COUNT_JS)
        assert count["clusters"] == 0 and count["ptce"] == 44 and count["territories"] == 3
        assert "chaque PTCE est dessiné séparément" in page.page.inner_text(".geo-status")
        assert count["rows"] == 48 and count["legend"]
        assert [e for e in page.errors if "Failed to load resource" not in e] == []
    finally:
        page.close()


def _serve(route, request, *, block: str | None = None, tamper: str | None = None) -> None:
    """Serve file: pages and the npm copies of the CDN files; block or alter one of them."""
    url = request.url
    if url.startswith("file:"):
        route.continue_()
        return
    local = npm_file(url)
    if (block and block in url) or local is None or not local.is_file():
        route.abort()
    elif tamper and tamper in url:
        body = local.read_bytes() + b"\n;window.__tampered = 1;\n"
        route.fulfill(body=body, headers=cors_headers(local))
    else:
        route.fulfill(path=str(local), headers=cors_headers(local))


@pytest.mark.browser
@pytest.mark.parametrize("how", ["javascript-off", "leaflet-blocked", "leaflet-tampered"])
@pytest.mark.parametrize("writer", ["folium", "cli"])
def test_browser_list_without_leaflet(browser, data, communes, tmp_path, how, writer):
    territories, ptce, table = data
    if writer == "folium":
        path = _write(
            maps.synergy_map(territories, ptce, table, communes=communes), tmp_path, "l.html"
        )
    else:
        path = tmp_path / "l.html"
        maps.write_page(
            maps.map_page(maps.map_data(territories, ptce, table, communes=communes)), path
        )
    context = browser.new_context(
        java_script_enabled=how != "javascript-off", viewport={"width": 1100, "height": 800}
    )
    page = context.new_page()
    try:
        page.route(
            "**/*",
            lambda route, request: _serve(
                route,
                request,
                block="leaflet.js" if how == "leaflet-blocked" else None,
                tamper="leaflet.js" if how == "leaflet-tampered" else None,
            ),
        )
        page.goto(path.as_uri(), wait_until="load")
        expected = sorted([*territories["nom"], *ptce["nom"]])
        names = page.locator(".geo-slist .geo-sname")
        assert sorted(names.all_inner_texts()) == expected  # every entry, literally
        assert all(names.nth(i).is_visible() for i in range(names.count()))
        # readable at once: the list starts in the first screen, under the page's one title
        assert page.locator(".geo-slist").bounding_box()["y"] < 800
        assert page.locator("main").count() == 1 and page.locator("h1").count() == 1
        assert "partenaire le plus proche : Pôle des Mureaux" in page.inner_text(".geo-slist")
        if how == "javascript-off":
            assert "La carte interactive a besoin de JavaScript" in page.inner_text("main")
        else:
            alert = page.locator("[role=alert]")
            assert "La carte n'a pas pu être chargée" in alert.inner_text()
            href = alert.locator("a").get_attribute("href")
            assert page.locator(href).count() == 1 and page.locator(href).evaluate(
                "e => e.classList.contains('geo-slist')"
            )
            assert page.evaluate("() => window.__tampered") is None  # never ran
    finally:
        context.close()


@pytest.mark.browser
def test_browser_static_list_gives_way_to_the_interactive_one(browser, data, communes, tmp_path):
    territories, ptce, table = data
    path = _write(
        maps.synergy_map(territories, ptce, table, communes=communes), tmp_path, "s.html"
    )
    page = BrowserPage(browser, path)
    try:
        assert page.page.locator(".geo-static").count() == 0
        assert page.page.locator("main").count() == 1 and page.page.locator("h1").count() == 1
        assert page.page.locator(".geo-cards > li").count() == 8
        assert (
            page.page.locator("meta[name=description]")
            .get_attribute("content")
            .startswith("Carte et liste de 4\u00a0territoires zéro chômeur (2 habilités")
        )
        assert page.errors == []
    finally:
        page.close()


def _pixel(page, x: float, y: float) -> tuple[int, int, int]:
    """The colour of one screen pixel (a 1x1 PNG: every row filter gives the raw bytes)."""
    png = page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1})
    at, idat = 8, b""
    while at < len(png):
        (size,) = struct.unpack(">I", png[at : at + 4])
        if png[at + 4 : at + 8] == b"IDAT":
            idat += png[at + 8 : at + 8 + size]
        at += 12 + size
    raw = zlib.decompress(idat)
    return tuple(raw[1:4])


@pytest.mark.browser
def test_browser_tiles_blocked_land_and_sea_differ(browser, data, communes, tmp_path):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes, tiles=True)
    page = BrowserPage(browser, _write(m, tmp_path, "tiles.html"), allow_network=True)
    try:
        page.page.route("**/tile.openstreetmap.fr/**", lambda route, request: route.abort())
        _view(page, "La Réunion")
        _legend(page, False)  # folded off the sea
        page.page.wait_for_timeout(500)
        points = page.js(
            "const r = map.getContainer().getBoundingClientRect();"
            "return arg.map(ll => { const p = map.latLngToContainerPoint(ll);"
            " return [r.x + p.x, r.y + p.y]; });",
            [[-21.13, 55.53], [-21.3, 55.3]],
        )
        colours = [_pixel(page.page, x, y) for x, y in points]
        land, sea = colours
        assert land == (247, 245, 239) and sea == (223, 232, 238)
    finally:
        page.close()


@pytest.mark.browser
def test_browser_phone_legend_opens_in_page(browser, data, communes, tmp_path):
    territories, ptce, table = data
    path = _write(
        maps.synergy_map(territories, ptce, table, communes=communes), tmp_path, "m.html"
    )
    page = BrowserPage(browser, path, viewport=(390, 844), touch=True)
    try:
        assert page.js("return map.getZoom();") >= 4  # the national view, not the world
        legend = page.page.locator(".geo-legend details")
        assert legend.evaluate("d => d.open") is False
        page.page.tap(".geo-legend summary")
        assert legend.evaluate("d => d.open") is True
        assert page.page.url == path.as_uri()  # still on the map, not on OpenStreetMap
        boxes = page.page.evaluate(
            """() => [...document.querySelectorAll('.geo-legend, .leaflet-control-attribution')]
                .map(e => e.getBoundingClientRect().toJSON())"""
        )
        legend_box, attribution = boxes
        assert (
            legend_box["bottom"] <= attribution["top"] + 1
            or legend_box["right"] <= attribution["left"] + 1
        )
        assert legend_box["right"] <= 390
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_browser_separate_assets_run_under_strict_csp(browser, data, communes, tmp_path):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes, tiles=False)
    maps.write_map(m, tmp_path / "site" / "carte.html", separate_assets=True)
    cdn = "https://cdn.jsdelivr.net https://cdnjs.cloudflare.com"
    csp = (
        f"default-src 'none'; script-src 'self' {cdn}; style-src 'self' {cdn}; "
        f"img-src 'self' data: {cdn}"
    )

    def site(route, request):
        local = tmp_path / "site" / request.url.split("/")[-1].split("#")[0]
        headers = {**cors_headers(local), "Content-Security-Policy": csp}
        if local.suffix == ".html":
            headers["Content-Type"] = "text/html; charset=utf-8"
        route.fulfill(path=str(local), headers=headers)

    violations: list[str] = []
    page = BrowserPage(
        browser, "http://site.test/carte.html", routes=(("http://site.test/**", site),)
    )
    page.page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security" in msg.text else None,
    )
    try:
        page.page.reload(wait_until="load")
        page.page.wait_for_timeout(300)
        count = page.js(COUNT_JS)
        assert count["territories"] == 3 and count["ptce"] == 4 and count["rows"] == 8
        assert violations == [] and page.errors == []
    finally:
        page.close()


def test_links_capped_per_territory(communes):
    territories, ptce = _build(communes, n_extra_ptce=40)
    table = geo.synergies(territories, ptce, radius_km=30)
    got = _table(maps.synergy_map(territories, ptce, table, communes=communes))
    per_territory = pd.Series([link[0] for link in got["l"]]).value_counts()
    assert per_territory.max() == maptables.MAX_LINKS < table["territory_id"].value_counts().max()
    assert got["linksTotal"] == len(table) > len(got["l"])


@pytest.mark.browser
def test_browser_big_data_canvas_links_when_zoomed(browser, data, communes, tmp_path, monkeypatch):
    territories, ptce, table = data
    monkeypatch.setattr(maps, "_CANVAS_MIN", 0)  # what a map of thousands of features gets
    m = maps.synergy_map(territories, ptce, table, communes=communes)
    assert _table(m)["canvas"] is True
    page = BrowserPage(browser, _write(m, tmp_path, "big.html"))
    try:
        count = page.js(COUNT_JS)
        assert count["links"] == 0 and count["territories"] == 3 and count["rows"] == 8
        assert document_has_canvas(page)
        _legend(page, True)
        assert "liens visibles en zoomant" in page.page.inner_text(".geo-legend")
        page.js("map.setView([48.97, 1.9], 10, {animate: false});")
        page.page.wait_for_timeout(200)
        assert page.js(COUNT_JS)["links"] == len(table[table["territory_id"] != "t-none"])
        assert page.errors == []
    finally:
        page.close()


def document_has_canvas(page) -> bool:
    return page.page.evaluate("() => !!document.querySelector('.leaflet-overlay-pane canvas')")


# --------------------------------------------------------------------------- keyboard path


@pytest.fixture(scope="module")
def shipped_embed(tmp_path_factory) -> Path:
    """The national map of the shipped data (230 entries, clustered PTCE) in embed mode."""
    out = tmp_path_factory.mktemp("shipped") / "national.html"
    return mapfile.make_map(out, embed=True)


FOCUS_JS = """() => {
  const doc = document, a = doc.activeElement;
  if (!a || a === doc.body) return null;
  const text = s => (s || '').replace(/\\s+/g, ' ').trim();
  let name = text(a.getAttribute('aria-label'));
  const by = a.getAttribute('aria-labelledby');
  if (!name && by)
    name = text(by.split(' ').map(i => doc.getElementById(i).textContent).join(' '));
  if (!name && a.labels && a.labels.length) name = text(a.labels[0].textContent);
  if (!name && a.tagName !== 'svg' && !(a instanceof SVGElement)) name = text(a.textContent);
  if (!name) name = text(a.getAttribute('title'));
  return {tag: a.tagName, id: a.id, name, framed: window.self !== window.top};
}"""


def _tab_through(page, start: str, end: str, limit: int) -> list[dict]:
    """Tab from ``start`` until ``end`` has focus; every stop in between."""
    page.page.focus(start)
    stops: list[dict] = []
    for _ in range(limit):
        page.page.keyboard.press("Tab")
        focus = page.page.evaluate(FOCUS_JS)
        if focus and focus["tag"] == "IFRAME":  # file: frames are cross-origin: ask the frame
            focus = page.page.frames[1].evaluate(FOCUS_JS)
        if focus and focus["id"] == end and not focus["framed"]:
            return stops
        stops.append(focus)
    raise AssertionError(f"{end} not reached in {limit} Tab presses: {stops[-5:]}")


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [(1366, 768), (390, 844)])
def test_browser_keyboard_crosses_the_embedded_map(browser, shipped_embed, tmp_path, viewport):
    page = BrowserPage(browser, _host_page(shipped_embed.parent, shipped_embed), viewport=viewport)
    try:
        inner = page.page.frames[1]
        inner.wait_for_selector(".geo-legend", state="attached")
        stops = _tab_through(page, "#before", "after", 60)
        assert len(stops) <= 15, [s["name"][:30] if s else None for s in stops]
        # every stop is a named element of the frame (no unnamed shape, no lost focus)
        assert all(s and s["framed"] and s["name"] for s in stops), stops
        assert not [s for s in stops if s["tag"].lower() in ("path", "svg", "g")]
        # the first stop is the visible skip link; it leads out of the frame in one more Tab
        assert stops[0]["name"] == "Passer la carte"
        skip = inner.locator(".geo-pass")
        box = skip.bounding_box()
        assert box and box["width"] > 20 and box["height"] > 8  # visible, not only on focus
        page.page.focus("#before")
        page.page.keyboard.press("Tab")
        page.page.keyboard.press("Enter")
        assert inner.evaluate("() => document.activeElement.className") == "geo-end"
        page.page.keyboard.press("Tab")
        assert page.page.evaluate("() => document.activeElement.id") == "after"
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_browser_every_list_entry_opens_its_details_by_keyboard(browser, data, communes, tmp_path):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes)
    page = BrowserPage(browser, _write(m, tmp_path, "every.html"))
    try:
        names = page.page.eval_on_selector_all(
            ".geo-cards > li",
            "rows => rows.map(r => r.querySelector('.geo-pick').textContent.trim())",
        )
        assert len(names) == 8
        for i, name in enumerate(names):
            page.page.locator(".geo-cards > li .geo-pick").nth(i).focus()
            page.page.keyboard.press("Enter")
            heading = page.page.locator(".geo-details .geo-dtitle")
            heading.wait_for()
            assert heading.inner_text() == name
            # focus went to the details' heading, Escape brings it back to the entry
            assert page.page.evaluate("() => document.activeElement.className") == "geo-dtitle"
            page.page.keyboard.press("Escape")
            assert page.page.evaluate("() => document.activeElement.textContent.trim()") == name
        assert page.errors == []
    finally:
        page.close()


# --------------------------------------------------------------------------- permalinks

FEATURE_BOX_JS = """(key) => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  if (!map._geoIndex || !map._geoIndex[key] || map._animatingZoom ||
      document.querySelector('.geo-details').hidden) return null;
  const layer = map._geoIndex[key], node = layer._path || layer._icon;
  if (!node) return null;
  const rect = e => { const r = e.getBoundingClientRect();
                      return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const m = rect(map.getContainer());
  const view = {left: Math.max(m.left, 0), top: Math.max(m.top, 0),
                right: Math.min(m.right, innerWidth), bottom: Math.min(m.bottom, innerHeight)};
  const covers = [...document.querySelectorAll(
      '.leaflet-control, .geo-details:not([hidden]), .geo-tolist, .geo-status:not([hidden])')]
    .filter(e => e.getClientRects().length).map(e => ({name: e.className, ...rect(e)}))
    .filter(r => r.right > r.left && r.bottom > r.top);
  return {feature: rect(node), view, covers, zoom: map.getZoom()};
}"""


def _wait_feature_box(frame, key: str) -> dict:
    """The feature's pixel box once its details are open and the map has settled."""
    previous = None
    for _ in range(40):
        frame.wait_for_timeout(150)
        box = frame.evaluate(FEATURE_BOX_JS, key)
        if box is not None and box == previous:
            return box
        previous = box
    raise AssertionError(f"{key}: the map never settled: {previous}")


def _assert_clear(box: dict) -> None:
    f, v = box["feature"], box["view"]
    assert f["left"] >= v["left"] - 1 and f["right"] <= v["right"] + 1, box
    assert f["top"] >= v["top"] - 1 and f["bottom"] <= v["bottom"] + 1, box
    for c in box["covers"]:
        overlap = not (
            f["right"] <= c["left"]
            or f["left"] >= c["right"]
            or f["bottom"] <= c["top"]
            or f["top"] >= c["bottom"]
        )
        assert not overlap, (c, box)


@pytest.mark.browser
@pytest.mark.parametrize("where", ["1366x768", "390x844", "iframe"])
@pytest.mark.parametrize(
    ("fragment", "key"),
    [
        ("#territoire=t-mureaux", "t:t-mureaux"),
        ("#ptce=p-versailles", "p:p-versailles"),
    ],
)
def test_browser_permalink_fits_the_feature(
    browser, data, communes, tmp_path, where, fragment, key
):
    territories, ptce, table = data
    embed = where == "iframe"
    path = _write(
        maps.synergy_map(territories, ptce, table, communes=communes, embed=embed),
        tmp_path,
        "perma.html",
    )
    if embed:
        page = BrowserPage(browser, _host_page(tmp_path, path, fragment), viewport=(1366, 768))
        page.page.evaluate("() => document.querySelector('iframe').scrollIntoView()")
        frame = page.page.frames[1]
    else:
        width, height = map(int, where.split("x"))
        page = BrowserPage(
            browser, path.as_uri() + fragment, viewport=(width, height), touch=width < 800
        )
        frame = page.page.main_frame
    try:
        box = _wait_feature_box(frame, key)
        assert box["zoom"] >= 10, box  # zoomed on the place, not left on France
        _assert_clear(box)
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_browser_permalink_unknown_id_says_so(browser, data, communes, tmp_path):
    territories, ptce, table = data
    path = _write(
        maps.synergy_map(territories, ptce, table, communes=communes), tmp_path, "u.html"
    )
    page = BrowserPage(browser, path.as_uri() + "#territoire=t-disparu")
    try:
        page.page.wait_for_selector(".geo-status:not([hidden])")
        text = page.page.inner_text(".geo-status")
        assert "introuvable" in text and "t-disparu" in text
        assert page.page.is_hidden(".geo-details")
    finally:
        page.close()


# --------------------------------------------------------------------------- Nu Html Checker


@pytest.mark.slow
def test_nu_html_checker_no_errors_on_every_map_page(data, communes, tmp_path):
    territories, ptce, table = data
    pages = []
    for name, kwargs in {
        "national": {},
        "embed": {"embed": True},
        "region": {"region": "11"},
        "departement": {"departement": "78"},
        "territory": {"territory": "t-mureaux"},
    }.items():
        m = maps.synergy_map(territories, ptce, table, communes=communes, **kwargs)
        pages.append(_write(m, tmp_path, f"{name}.html"))
    cli = maps.map_page(maps.map_data(territories, ptce, table, communes=communes))
    pages.append(maps.write_page(cli, tmp_path / "cli.html"))
    pages.append(maps.write_page(cli, tmp_path / "split.html", separate_assets=True))
    assert nu_errors(pages) == []


# --------------------------------------------------------------------------- contrast and text

LAND, SEA = (0xF7, 0xF5, 0xEF), (0xDF, 0xE8, 0xEE)


def _luminance(rgb) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _over(color, opacity: float, background):
    return tuple(c * opacity + b * (1 - opacity) for c, b in zip(color, background, strict=True))


def test_multi_departement_territory_has_human_names(data, communes):
    territories, ptce, table = data
    territories = territories.assign(
        departement=territories["departement"].where(territories["id"] != "t-mureaux", "78;974")
    )
    block = maps.map_data(territories, ptce, table, communes=communes)
    (row,) = [r for r in _rows(block, "t") if r["id"] == "t-mureaux"]
    assert row["departement_nom"] == "Yvelines, La Réunion"
    page = maps.map_page(block)
    assert "Yvelines, La Réunion (78, 974)" in page and "78;974)" not in _without_data(page)


@pytest.mark.browser
def test_browser_lines_contrast_credit_and_texts(browser, data, communes, tmp_path):
    territories, ptce, table = data
    territories = territories.assign(
        departement=territories["departement"].where(territories["id"] != "t-mureaux", "78;974")
    )
    table = table.assign(approximate=True)
    m = maps.synergy_map(territories, ptce, table, communes=communes, tiles=False)
    page = BrowserPage(browser, _write(m, tmp_path, "contrast.html"))
    try:
        strokes = page.page.evaluate(
            """() => [...document.querySelectorAll('path.geo-departement, path.geo-link')]
               .map(p => {
                 const s = getComputedStyle(p);
                 return [p.getAttribute('class'), s.stroke, parseFloat(s.strokeOpacity)]; })"""
        )
        assert {c.split()[0] for c, _, _ in strokes} == {"geo-departement", "geo-link"}
        for cls, stroke, opacity in strokes:
            rgb = tuple(int(v) for v in re.findall(r"\d+", stroke)[:3])
            for background in (LAND, SEA):
                ratio = _contrast(_over(rgb, opacity, background), background)
                assert ratio >= 3, (cls, stroke, opacity, background, round(ratio, 2))
        credit = page.page.inner_text(".leaflet-control-attribution")
        assert "IGN" in credit and "INSEE" in credit
        options = page.page.locator(".geo-filterbox select >> nth=1").inner_text()
        assert "Yvelines, La Réunion (78, 974)" in options and "78;974" not in options
        more = page.page.evaluate("() => document.querySelector('.geo-more').textContent")
        assert "-" not in more
        # the links of the head each on a line of their own (no "carteOuvrir" run-on)
        tops = page.page.eval_on_selector_all(
            ".geo-head a", "as => as.map(a => a.getBoundingClientRect().top)"
        )
        assert len(set(tops)) == len(tops)
        assert page.errors == []
    finally:
        page.close()


# --------------------------------------------------------------------------- layout

CONTROLS_JS = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  const m = map.getContainer().getBoundingClientRect();
  const area = m.width * Math.min(m.height, innerHeight - Math.max(m.top, 0));
  const all = [...document.querySelectorAll(
      '.leaflet-control, .geo-tolist, .geo-status:not([hidden]), .geo-embed-hint')]
    .filter(e => e.closest('.geo-mapwrap') && e.getClientRects().length);
  return {area, boxes: all.filter(e => !all.some(o => o !== e && o.contains(e)))
    .map(e => { const r = e.getBoundingClientRect();
                return {name: e.className.split(' ')[0] + ':' + e.textContent.slice(0, 20),
                        left: r.left, top: r.top, right: r.right, bottom: r.bottom}; })
    .filter(r => r.right > r.left && r.bottom > r.top)};
}"""
MAX_CONTROL_SHARE = 0.12


@pytest.mark.browser
@pytest.mark.parametrize("embed", [False, True])
@pytest.mark.parametrize("viewport", [(390, 844), (768, 1024), (1366, 768)])
def test_browser_controls_never_overlap(browser, data, communes, tmp_path, embed, viewport):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes, embed=embed)
    page = BrowserPage(
        browser, _write(m, tmp_path, "o.html"), viewport=viewport, touch=viewport[0] < 800
    )
    try:
        page.page.wait_for_timeout(300)
        state = page.page.evaluate(CONTROLS_JS)
        boxes = state["boxes"]
        names = {b["name"].split(":")[0] for b in boxes}
        assert {"leaflet-control-zoom", "geo-legend", "leaflet-control-attribution"} <= names
        assert "leaflet-control-scale" in names
        assert any(b["name"].endswith("Aller à la liste") for b in boxes)
        for i, a in enumerate(boxes):
            share = (a["right"] - a["left"]) * (a["bottom"] - a["top"]) / state["area"]
            assert share <= MAX_CONTROL_SHARE, (a, round(share, 3))
            for b in boxes[i + 1 :]:
                apart = (
                    a["right"] <= b["left"]
                    or b["right"] <= a["left"]
                    or a["bottom"] <= b["top"]
                    or b["bottom"] <= a["top"]
                )
                assert apart, (a, b)
        # the overseas views: one row (a menu), and only where overseas data is drawn
        views = page.page.locator(".geo-views")
        assert views.count() == 1 and views.bounding_box()["height"] < 40
        # the list: no horizontal scrolling
        page.page.evaluate("() => document.querySelector('.geo-listbox').open = true")
        wide = page.page.evaluate(
            "() => [...document.querySelectorAll('.geo-list, .geo-side, body')]"
            ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.className || e.tagName)"
        )
        assert wide == []
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_browser_no_overseas_views_without_overseas_data(browser, data, communes, tmp_path):
    territories, ptce, table = data
    m = maps.synergy_map(territories, ptce, table, communes=communes, region="11")
    page = BrowserPage(browser, _write(m, tmp_path, "r.html"))
    try:
        assert page.page.locator(".geo-views").count() == 0
    finally:
        page.close()


EMBED_STATE_JS = """() => ({
  legend: document.querySelector('.geo-legend details').open,
  list: document.querySelector('.geo-listbox').hidden ? 'non'
        : document.querySelector('.geo-listbox').open ? 'ouverte' : 'repliee',
  toList: !!document.querySelector('.geo-tolist'),
  search: !!document.querySelector('.geo-search input'),
})"""


@pytest.mark.browser
def test_browser_embed_options_in_the_address(browser, data, communes, tmp_path):
    territories, ptce, table = data
    path = _write(
        maps.synergy_map(territories, ptce, table, communes=communes, embed=True),
        tmp_path,
        "opt.html",
    )
    # in a frame: defaults (legend and list folded), then both options
    for query, expected in (
        ("", {"legend": False, "list": "repliee", "toList": True}),
        ("?legende=ouverte&liste=non", {"legend": True, "list": "non", "toList": False}),
        ("?liste=ouverte&legende=n'importe", {"legend": False, "list": "ouverte", "toList": True}),
    ):
        page = BrowserPage(browser, _host_page(tmp_path, path, query), viewport=(1366, 768))
        try:
            inner = page.page.frames[1]
            inner.wait_for_selector(".geo-legend", state="attached")
            assert inner.evaluate(EMBED_STATE_JS) == {**expected, "search": True}, query
            assert page.errors == []
        finally:
            page.close()
    # a phone, where the legend is folded by default: open on request
    page = BrowserPage(browser, path.as_uri() + "?legende=ouverte", viewport=(390, 844))
    try:
        assert page.page.evaluate(EMBED_STATE_JS)["legend"] is True
    finally:
        page.close()


@pytest.mark.browser
def test_browser_legend_says_the_blocked_pe_are_left_out(browser, tmp_path):
    territories, ptce = geo.load_territories(), geo.load_ptce()
    path = _write(
        maps.synergy_map(territories, ptce, departement="68", tiles=False), tmp_path, "68.html"
    )
    page = BrowserPage(browser, path)
    try:
        _legend(page, True)
        legend = page.page.inner_text(".geo-legend")
        said = "Non représenté : 1 projet émergent bloqué ou arrêté (selon sa source)."
        assert said in legend
        facts = re.search(r'<p class="geo-facts">(.*?)</p>', path.read_text(encoding="utf-8"))
        assert facts and facts.group(1).endswith(said)  # the text alternative says it too
        assert page.errors == []
    finally:
        page.close()
