"""uMap export: the file has the structure uMap's importer reads.

The structure checked here was read from the uMap project's own sources
(https://github.com/umap-project/umap):
- ``umap/static/umap/js/modules/umap.js``: ``importRaw`` parses the file,
  reads ``uri`` with ``new URL()`` when present, passes ``properties`` to
  ``setProperties`` (which keeps only the keys of ``SCHEMA``), takes
  ``geometry`` as the map centre and makes one data layer per item of
  ``layers`` from its ``_umap_options``;
- ``umap/static/umap/js/modules/data/layer.js``: ``fromUmapGeoJSON`` reads the
  layer's ``_umap_options`` then its GeoJSON features;
- ``umap/static/umap/js/modules/schema.js``: the option names and their types;
- ``umap/tests/fixtures/test_upload_data.umap`` and ``display_on_load.umap``:
  example files (per-feature ``_umap_options``, ``name``, ``description``).
``tests/data/umap/reference.umap`` is our own file written by hand from that
description; the checker below must accept it, and our export must pass the
same checks.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import geo
from geo.errors import ArgumentError, CRSError, SchemaError
from geo.publish import umap
from geo.schema import field_names

REFERENCE = Path(__file__).resolve().parent / "data" / "umap" / "reference.umap"

# Option names of uMap's SCHEMA (umap/static/umap/js/modules/schema.js), by type.
_BOOLEAN = {
    "browsable", "captionBar", "captionControl", "captionMenus", "datalayersControl",
    "displayOnLoad", "displayPopupFooter", "easing", "editinosmControl", "embedControl",
    "fill", "fullscreenControl", "inCaption", "interactive", "labelInteractive",
    "locateControl", "measureControl", "mask", "miniMap", "moreControl",
    "permanentCreditBackground", "scaleControl", "scrollWheelZoom", "searchControl",
    "showLabel", "starControl", "stroke", "syncEnabled", "tilelayersControl", "zoomControl",
}  # fmt: skip
_NUMBER = {
    "fillOpacity", "fromZoom", "iconOpacity", "opacity", "smoothFactor", "toZoom", "weight",
    "zoom", "zoomTo",
}  # fmt: skip
_STRING = {
    "color", "condition", "dashArray", "defaultView", "description", "facetKey", "fillColor",
    "filterKey", "iconClass", "iconUrl", "labelDirection", "labelKey", "licence", "longCredit",
    "name", "onLoadPanel", "outlink", "outlinkTarget", "permanentCredit",
    "popupContentTemplate", "popupShape", "popupTemplate", "shortCredit", "slugKey", "sortKey",
    "type",
}  # fmt: skip
_OBJECT = {
    "categorized", "choropleth", "cluster", "geometry", "heat", "limitBounds", "overlay",
    "remoteData", "rules", "slideshow", "tilelayer", "_latlng",
}  # fmt: skip
_CHOICES = {
    "iconClass": {"Default", "Circle", "Drop", "Ball"},
    "defaultView": {"center", "data", "latest", "locate"},
    "onLoadPanel": {"none", "caption", "databrowser", "datalayers", "datafilters"},
    "popupShape": {"Default", "Large", "Panel"},
    "popupTemplate": {"Default", "Table", "GeoRSSImage", "GeoRSSLink", "OSM"},
}
_SCHEMA = _BOOLEAN | _NUMBER | _STRING | _OBJECT | {"ttl"}
_GEOMETRIES = {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"}


def _options_problems(options, where: str) -> list[str]:
    if not isinstance(options, dict):
        return [f"{where}: not an object"]
    problems = []
    for key, value in options.items():
        if key not in _SCHEMA:
            problems.append(f"{where}: {key!r} is not a uMap option (dropped on import)")
        elif key in _BOOLEAN and not isinstance(value, bool):
            problems.append(f"{where}: {key} must be a boolean, got {value!r}")
        elif key in _NUMBER and (isinstance(value, bool) or not isinstance(value, (int, float))):
            problems.append(f"{where}: {key} must be a number, got {value!r}")
        elif key in _STRING and not isinstance(value, str):
            problems.append(f"{where}: {key} must be text, got {value!r}")
        elif key in _OBJECT and not isinstance(value, dict):
            problems.append(f"{where}: {key} must be an object, got {value!r}")
        elif key in _CHOICES and value not in _CHOICES[key]:
            problems.append(f"{where}: {key}={value!r} is not one of {sorted(_CHOICES[key])}")
    return problems


def _positions(geometry) -> list:
    coords = geometry["coordinates"]
    depth = {"Point": 0, "LineString": 1, "MultiPoint": 1, "Polygon": 2, "MultiLineString": 2}
    level = depth.get(geometry["type"], 3)
    for _ in range(level - 1):
        coords = [c for part in coords for c in part]
    return [coords] if level == 0 else coords


def umap_problems(doc) -> list[str]:
    """Everything in ``doc`` that uMap's importer would reject, drop or misread."""
    if not isinstance(doc, dict) or doc.get("type") != "umap":
        return ['top level must be an object with "type": "umap"']
    problems = []
    extra = set(doc) - {"type", "uri", "properties", "geometry", "layers"}
    if extra:
        problems.append(f"unknown top-level keys {sorted(extra)}")
    if "uri" in doc and not re.match(r"^https?://[^/\s]+", str(doc["uri"])):
        problems.append(f"uri {doc['uri']!r} is not an absolute URL (new URL() throws)")
    if not isinstance(doc.get("properties"), dict):
        problems.append("properties must be an object (Object.keys(properties))")
    else:
        problems += _options_problems(doc["properties"], "properties")
    geometry = doc.get("geometry")
    if geometry is not None:
        if geometry.get("type") != "Point" or len(geometry.get("coordinates", [])) != 2:
            problems.append("geometry must be a GeoJSON Point (the map centre)")
    if not isinstance(doc.get("layers"), list) or not doc["layers"]:
        return [*problems, "layers must be a non-empty list"]
    for i, layer in enumerate(doc["layers"]):
        where = f"layers[{i}]"
        if layer.get("type") != "FeatureCollection" or not isinstance(layer.get("features"), list):
            problems.append(f"{where}: not a GeoJSON FeatureCollection")
            continue
        if "_umap_options" not in layer:
            problems.append(f"{where}: no _umap_options (fromUmapGeoJSON sets its id)")
        else:
            problems += _options_problems(layer["_umap_options"], f"{where}._umap_options")
            if not layer["_umap_options"].get("name"):
                problems.append(f"{where}: layer without a name")
        for j, feature in enumerate(layer["features"]):
            fwhere = f"{where}.features[{j}]"
            geometry = feature.get("geometry") or {}
            if feature.get("type") != "Feature" or geometry.get("type") not in _GEOMETRIES:
                problems.append(f"{fwhere}: not a Feature with a simple geometry")
                continue
            for lon, lat in _positions(geometry):
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    problems.append(f"{fwhere}: position {lon}, {lat} is not lon/lat")
                    break
            props = feature.get("properties")
            if not isinstance(props, dict):
                problems.append(f"{fwhere}: properties must be an object")
                continue
            if "_umap_options" in props:
                problems += _options_problems(props["_umap_options"], f"{fwhere}._umap_options")
            for key, value in props.items():
                if key != "_umap_options" and not isinstance(value, (str, int, float, bool)):
                    problems.append(f"{fwhere}: property {key} is not a scalar")
    return problems


# --------------------------------------------------------------------------- data


def _square(x: float, y: float, size: float = 0.1):
    return shapely.box(x, y, x + size, y + size)


@pytest.fixture()
def frames():
    territories = gpd.GeoDataFrame(
        {
            "id": ["t-b", "t-a", "t-pe", "t-none"],
            "nom": ["Beta", "Alpha {{https://evil.example/x.png}}", "Gamma", "Sans contour"],
            "statut": ["TH", "TH", "PE", "PE"],
            "departement": ["78", "78", "60", "78"],
            "region": ["11", "11", "32", "11"],
            "region_nom": ["Île-de-France", "Île-de-France", "Hauts-de-France", "Île-de-France"],
            "communes": ["A;B", "C", "D", "E"],
            "date_habilitation": ["2021-07-01", "2023", "", ""],
            "ebe": ["EBE Beta", "", "", ""],
            "population": [1234.0, 50.0, float("nan"), 10.0],
            "precision": ["communes", "infra-communal", "epci", "inconnu"],
            "sources": [
                "https://tzcld.fr/a | NO-PUBLIC-SOURCE-FOUND (interne)",
                "javascript:alert(1) | https://ex.org/b?c=1&d=2",
                "",
                "",
            ],
            "confiance": ["high", "low", "low", "low"],
            "notes": ["note interne", "", "", ""],
            "geometry": [_square(1.8, 48.9), _square(2.0, 48.9), _square(2.5, 49.3), None],
        },
        crs="EPSG:4326",
    )
    ptce = gpd.GeoDataFrame(
        {
            "id": ["p-1", "p-2"],
            "nom": ["Pôle Un", "Pôle Deux"],
            "region": ["11", "32"],
            "departement": ["78", "60"],
            "site_web": ["https://p1.example/", "javascript:alert(2)"],
            "precision": ["siege", "departement"],
            "notes": ["interne", ""],
            "confiance": ["low", "low"],
            "geometry": [shapely.Point(1.85, 48.95), shapely.Point(2.55, 49.5)],
        },
        crs="EPSG:4326",
    )
    return territories, ptce


def test_reference_fixture_passes_the_checker():
    doc = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert umap_problems(doc) == []


@pytest.mark.parametrize(
    "broken, expected",
    [
        ({"type": "map"}, '"type": "umap"'),
        ({"properties": "x"}, "properties must be an object"),
        ({"uri": "/fr/map/1"}, "not an absolute URL"),
        ({"layers": [{"type": "FeatureCollection", "features": []}]}, "no _umap_options"),
        (
            {"layers": [{"type": "FeatureCollection", "features": [], "_umap_options": {}}]},
            "layer without a name",
        ),
        ({"properties": {"zoom": "6"}}, "zoom must be a number"),
        ({"properties": {"fontSize": 3}}, "not a uMap option"),
    ],
)
def test_checker_rejects_what_umap_cannot_read(broken, expected):
    doc = json.loads(REFERENCE.read_text(encoding="utf-8"))
    doc.update(broken)
    assert any(expected in problem for problem in umap_problems(doc)), umap_problems(doc)


def test_export_structure_layers_and_styles(frames):
    territories, ptce = frames
    doc = umap.to_umap(territories, ptce, radius_km=20)
    assert umap_problems(doc) == []
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert set(doc) <= set(reference)
    names = [layer["_umap_options"]["name"] for layer in doc["layers"]]
    assert names == [
        "Territoires habilités (TH)",
        "Projets émergents (PE)",
        "PTCE",
        "Liens territoire – PTCE",
    ]
    th, pe, poles, links = doc["layers"]
    # stable order by id; the territory without a geometry is left out
    assert [f["properties"]["id"] for f in th["features"]] == ["t-a", "t-b"]
    assert [f["properties"]["id"] for f in pe["features"]] == ["t-pe"]
    assert [f["geometry"]["type"] for f in th["features"]] == ["Polygon", "Polygon"]
    assert [f["geometry"]["type"] for f in poles["features"]] == ["Point", "Point"]
    # colours, and a second channel besides colour (dash pattern / icon shape)
    colours = {layer["_umap_options"]["color"] for layer in doc["layers"]}
    assert len(colours) == 4 and all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    assert th["_umap_options"].get("dashArray") != pe["_umap_options"].get("dashArray")
    assert poles["_umap_options"]["iconClass"] == "Circle"
    # links: PTCE 1 overlaps t-b, touches or nears t-a; styled per relation
    pairs = {
        (f["properties"]["territory_id"], f["properties"]["ptce_id"]): f for f in links["features"]
    }
    assert ("t-b", "p-1") in pairs and ("t-a", "p-1") in pairs
    overlap = pairs[("t-b", "p-1")]["properties"]
    assert overlap["relation"] == "chevauchement"
    assert overlap["_umap_options"]["color"] != pairs[("t-a", "p-1")]["properties"][
        "_umap_options"
    ].get("color")
    assert all(f["geometry"]["type"] == "LineString" for f in links["features"])


def test_export_public_fields_only_and_inert_text(frames):
    territories, ptce = frames
    doc = umap.to_umap(territories, ptce)
    features = [f for layer in doc["layers"][:3] for f in layer["features"]]
    public = {*field_names("territories", public=True), *field_names("ptce", public=True)}
    internal = {*field_names("territories", public=False), *field_names("ptce", public=False)}
    allowed = {"name", "description", *public}
    for feature in features:
        keys = set(feature["properties"])
        assert keys <= allowed, keys - allowed
        assert not keys & internal
    text = json.dumps(doc, ensure_ascii=False)
    assert "note interne" not in text and "NO-PUBLIC-SOURCE-FOUND" not in text
    assert "javascript:" not in text
    by_id = {f["properties"]["id"]: f["properties"] for f in features}
    alpha = by_id["t-a"]
    assert "{{" not in alpha["name"] and "Alpha" in alpha["name"]
    assert alpha["nom"].startswith("Alpha {{")  # the raw field itself is kept as is
    assert alpha["sources"] == "https://ex.org/b?c=1&d=2"
    assert "[[https://ex.org/b?c=1&d=2|ex.org]]" in alpha["description"]
    beta = by_id["t-b"]
    assert "**Statut** : Territoire habilité" in beta["description"]
    assert "01/07/2021" in beta["description"] and "1\u202f234" in beta["description"]
    assert "Pôle Un (chevauchement)" in beta["description"]
    assert beta["population"] == 1234 and isinstance(beta["population"], int)
    assert "site_web" not in by_id["p-2"]
    assert by_id["p-1"]["site_web"] == "https://p1.example/"


def test_export_selection(frames):
    territories, ptce = frames

    def ids(doc):
        return [
            f["properties"]["id"]
            for layer in doc["layers"]
            for f in layer["features"]
            if not layer["_umap_options"]["name"].startswith("Liens")
        ]

    # the région's territories and PTCE (no link: p-2 is only known by département)
    doc = umap.to_umap(territories, ptce, region="Hauts-de-France")
    assert ids(doc) == ["t-pe", "p-2"] and len(doc["layers"]) == 2  # PE, PTCE
    # one territory: its linked PTCE and links only
    doc = umap.to_umap(territories, ptce, territory="t-b")
    assert ids(doc) == ["t-b", "p-1"]
    assert [f["properties"]["ptce_id"] for f in doc["layers"][-1]["features"]] == ["p-1"]
    with pytest.raises(SchemaError, match="t-zz"):
        umap.to_umap(territories, ptce, territory="t-zz")
    with pytest.raises(ArgumentError, match="at most one"):
        umap.to_umap(territories, ptce, region="11", territory="t-b")


def test_export_errors(frames):
    territories, ptce = frames
    with pytest.raises(CRSError, match="set_crs"):
        umap.to_umap(territories.set_crs(None, allow_override=True), ptce)
    with pytest.raises(SchemaError, match="statut"):
        umap.to_umap(territories.drop(columns="statut"), ptce)
    with pytest.raises(SchemaError, match="GeoDataFrame"):
        umap.to_umap(pd.DataFrame(territories), ptce)
    with pytest.raises(ArgumentError, match="uri"):
        umap.to_umap(territories, ptce, uri="javascript:alert(1)")
    doc = umap.to_umap(territories, ptce, uri="https://info-ptce.example/carte/")
    assert doc["uri"] == "https://info-ptce.example/carte/" and umap_problems(doc) == []


def test_write_umap_deterministic_and_reprojected(frames, tmp_path):
    territories, ptce = frames
    first = umap.write_umap(tmp_path / "a" / "carte.umap", territories, ptce)
    second = umap.write_umap(
        tmp_path / "b.umap", territories.to_crs(2154).iloc[::-1], ptce.iloc[::-1]
    )
    a = json.loads(first.read_text(encoding="utf-8"))
    b = json.loads(second.read_text(encoding="utf-8"))
    assert umap_problems(a) == [] and umap_problems(b) == []
    assert [f["properties"]["id"] for f in b["layers"][0]["features"]] == ["t-a", "t-b"]
    assert (
        first.read_bytes() == umap.write_umap(tmp_path / "c.umap", territories, ptce).read_bytes()
    )
    assert not list(tmp_path.rglob(".*.tmp"))


def test_shipped_data_and_cli(tmp_path):
    out = tmp_path / "carte.umap"
    result = subprocess.run(
        [sys.executable, "-m", "geo", "map", "--umap", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout and not (tmp_path / "maps").exists()
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert umap_problems(doc) == []
    territories = geo.load_territories()
    located = territories[~territories.geometry.is_empty & territories.geometry.notna()]
    # PE whose source says the project is blocked are not drawn as active PE by default.
    active = located[located["statut_detail"].isna() | (located["statut_detail"] == "")]
    assert len(active) == len(located) - 5
    drawn = sum(len(layer["features"]) for layer in doc["layers"][:-2])
    assert drawn == len(active)
    links = geo.synergies(territories, geo.load_ptce())
    links = links[links["territory_id"].isin(active["id"])]
    assert len(doc["layers"][-1]["features"]) == len(links)
