"""uMap export: the file has the structure uMap's importer reads.

The format is checked here, quickly, against a checker written from the sources of uMap 3.8
(PyPI ``umap-project``); ``tests/test_umap_server.py`` imports the same exports into a real
uMap 3.8 server and looks at what a visitor gets. The structure was read from
(https://github.com/umap-project/umap):
- ``umap/static/umap/js/modules/app.js``: ``importRaw`` parses the file,
  reads ``uri`` with ``new URL()`` when present, passes ``properties`` to
  ``setProperties`` (which keeps only the keys of ``SCHEMA``), takes
  ``geometry`` as the map centre and makes one data layer per item of
  ``layers`` from its ``_umap_options``;
- ``umap/static/umap/js/modules/data/layer.js``: ``fromUmapGeoJSON`` reads the
  layer's ``_umap_options`` then its GeoJSON features;
- ``umap/static/umap/js/modules/schema.js``: the option names and their types (3.8: the
  legacy ``facetKey`` is gone, migrated on load to ``filters`` and ``fields``, two arrays);
- ``umap/static/umap/js/modules/filters.js`` and ``data/fields.js``: the widgets of a
  filter and the types of a field;
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
from wcag import POSITRON_LAND, contrast, rgba

import geo
from geo.errors import ArgumentError, CRSError, SchemaError
from geo.publish import umap, umap_layers, umap_syntax
from geo.schema import field_names

REFERENCE = Path(__file__).resolve().parent / "data" / "umap" / "reference.umap"

# Option names of uMap's SCHEMA (umap/static/umap/js/modules/schema.js), by type.
_BOOLEAN = {
    "browsable", "captionBar", "captionControl", "captionMenus", "datalayersControl",
    "displayOnLoad", "displayPopupFooter", "easing", "embedControl",
    "fill", "fullscreenControl", "inCaption", "interactive", "labelInteractive",
    "locateControl", "measureControl", "mask", "miniMapControl", "moreControl",
    "permanentCreditBackground", "scaleControl", "scrollWheelZoom", "searchControl",
    "showLabel", "stroke", "syncEnabled", "tilelayersControl", "zoomControl",
}  # fmt: skip
_NUMBER = {
    "fillOpacity", "fromZoom", "iconOpacity", "opacity", "smoothFactor", "toZoom", "weight",
    "zoom", "zoomTo",
}  # fmt: skip
_STRING = {
    "color", "condition", "dashArray", "defaultView", "description", "fillColor",
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
_ARRAY = {"fields", "filters"}
_FIELD_TYPES = {"String", "Text", "Number", "Date", "Datetime", "Boolean", "Enum"}
_WIDGETS = {"Checkbox", "Radio", "MinMax", "Switch"}
_SCHEMA = _BOOLEAN | _NUMBER | _STRING | _OBJECT | _ARRAY | {"ttl"}
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
        elif key in _ARRAY and not isinstance(value, list):
            problems.append(f"{where}: {key} must be a list, got {value!r}")
        elif key == "fields":
            for item in value:
                if not isinstance(item, dict) or not item.get("key"):
                    problems.append(f"{where}: field without a key: {item!r}")
                elif item.get("type") not in _FIELD_TYPES:
                    problems.append(f"{where}: field {item['key']} has type {item.get('type')!r}")
        elif key == "filters":
            for item in value:
                if not isinstance(item, dict) or not item.get("fieldKey"):
                    problems.append(f"{where}: filter without a fieldKey: {item!r}")
                elif item.get("widget") not in _WIDGETS:
                    problems.append(f"{where}: filter widget {item.get('widget')!r}")
        elif key == "remoteData" and not (
            re.match(r"^https?://", str(value.get("url"))) and value.get("format")
        ):
            problems.append(f"{where}: remoteData needs an absolute url and a format: {value}")
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


def _by_name(doc) -> dict:
    return {layer["_umap_options"]["name"]: layer for layer in doc["layers"]}


def _reading_order(doc) -> list[str]:
    """Layer names as uMap lists them: the last imported first."""
    return [layer["_umap_options"]["name"] for layer in doc["layers"]][::-1]


def test_export_structure_layers_and_styles(frames):
    territories, ptce = frames
    doc = umap.to_umap(territories, ptce, radius_km=20)
    assert umap_problems(doc) == []
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert set(doc) <= set(reference)
    assert _reading_order(doc) == [
        "Territoires habilités (TH)",
        "Projets émergents (PE)",
        "PTCE",
        "Liens : chevauchement",
        "Liens : à proximité",
    ]
    layers = _by_name(doc)
    th, pe, poles = (layers[n] for n in _reading_order(doc)[:3])
    # stable order by id; the territory without a geometry is left out
    assert [f["properties"]["id"] for f in th["features"]] == ["t-a", "t-b"]
    assert [f["properties"]["id"] for f in pe["features"]] == ["t-pe"]
    assert [f["geometry"]["type"] for f in th["features"]] == ["Polygon", "Polygon"]
    assert [f["geometry"]["type"] for f in poles["features"]] == ["Point", "Point"]
    # colours, and a second channel besides colour (dash pattern / icon shape), opaque
    options = [layer["_umap_options"] for layer in doc["layers"]]
    colours = {o["color"] for o in options}
    assert len(colours) == len(options) and all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    # nothing by colour alone: dash pattern, width or symbol differ too
    channels = {(o.get("dashArray", ""), o["weight"], o.get("iconClass")) for o in options}
    assert len(channels) == len(options), channels
    assert all(o["opacity"] == 1 for o in options)
    assert poles["_umap_options"]["iconClass"] == "Circle"
    # each layer says what it shows; popups show only the export's description
    assert all(o["description"] and o["popupContentTemplate"] == "{description}" for o in options)
    # links: PTCE 1 overlaps t-b, is near t-a; one layer per relation, styled by the layer
    overlap = layers["Liens : chevauchement"]["features"]
    adjacent = layers["Liens : à proximité"]["features"]
    assert [(f["properties"]["territory_id"], f["properties"]["ptce_id"]) for f in overlap] == [
        ("t-b", "p-1")
    ]
    assert [(f["properties"]["territory_id"], f["properties"]["ptce_id"]) for f in adjacent] == [
        ("t-a", "p-1")
    ]
    assert {f["properties"]["relation"] for f in overlap} == {"chevauchement"}
    assert all("_umap_options" not in f["properties"] for f in overlap + adjacent)
    assert all(f["geometry"]["type"] == "LineString" for f in overlap + adjacent)


@pytest.mark.parametrize("key", list(umap_layers.UMAP_LAYERS))
def test_layer_colours_contrast_on_umap_background(key):
    """Every layer's colour, drawn opaque, reads at >= 3:1 on uMap's default background.

    The real-server test measures what Chromium draws, but only for the kinds of layer the
    shipped data have (no "contigus" link there).
    """
    colour, alpha = rgba(umap_layers.UMAP_LAYERS[key].color)
    assert contrast(colour, POSITRON_LAND, alpha) >= 3


def test_export_filters_fields_and_numbers(frames):
    """uMap 3.8 filters on fields every feature has; numbers typed and written as numbers."""
    territories, ptce = frames
    doc = umap.to_umap(territories, ptce)
    props = doc["properties"]
    assert "facetKey" not in props
    assert [(f["fieldKey"], f["label"]) for f in props["filters"]] == [
        ("categorie", "Catégorie"),
        ("region_nom", "Région"),
    ]
    features = [f for layer in doc["layers"] for f in layer["features"]]
    for key in ("categorie", "region_nom"):
        assert all(f["properties"].get(key) for f in features), key
    assert "TH" not in {f["properties"]["categorie"] for f in features}
    for layer in doc["layers"]:
        types = {f["key"]: f["type"] for f in layer["_umap_options"]["fields"]}
        present = {k for f in layer["features"] for k in f["properties"]}
        assert present <= set(types), present - set(types)
        for key in present & {"population", "distance_km"}:
            assert types[key] == "Number"
            assert all(
                isinstance(f["properties"].get(key, 0), int | float) for f in layer["features"]
            )


def test_export_view_title_and_caption(frames):
    """The map opens where the data is; the title names the area; French plurals."""
    territories, ptce = frames
    national = umap.to_umap(territories, ptce)
    assert national["properties"]["defaultView"] == "center"
    assert national["properties"]["zoom"] == 6  # mainland France in a 1100 x 700 map
    lon, lat = national["geometry"]["coordinates"]
    assert 1 < lon < 4 and 45 < lat < 48
    assert national["properties"]["name"] == "Territoires zéro chômeur et PTCE — France"
    one = umap.to_umap(territories, ptce, territory="t-b")
    assert one["properties"]["name"] == "Beta : territoire zéro chômeur et PTCE partenaires"
    lon, lat = one["geometry"]["coordinates"]
    assert 1.8 < lon < 2.0 and 48.9 < lat < 49.0 and one["properties"]["zoom"] >= 9
    caption = one["properties"]["description"]
    assert caption.startswith("1 territoire zéro chômeur de longue durée &#40;1 habilité&#41;")
    assert "1 lien territoire" in caption
    region = umap.to_umap(territories, ptce, region="32")
    assert region["properties"]["name"].endswith("— Hauts-de-France")
    lon, lat = region["geometry"]["coordinates"]
    assert 2.5 < lon < 2.7 and 49.3 < lat < 49.5


@pytest.mark.parametrize(
    "payload",
    [
        "[[[https://evil.example/x|Cliquez]]]",
        "{{{https://evil.example/p.png}}}",
        "<img src=https://evil.example/a.png>",
        "{description}",
        "# Titre\n* liste\n**x**",
        "h_t_t_p://evil.example/",
    ],
)
def test_umap_text_leaves_no_markup(payload):
    """No character uMap's renderer reads as markup survives; HTML gives the text back."""
    import html

    encoded = umap_syntax.umap_text(payload)
    assert re.fullmatch(r"(?:[^\W_]| |&#\d+;)*", encoded), encoded
    assert html.unescape(encoded) == payload


def test_umap_link_stays_one_link():
    link = umap_syntax.umap_link("https://ex.org/a|b]]{{https://evil.example/i.png}}*_x?c=1&d=2")
    assert link.startswith("[[https://ex.org/a%7Cb%5D%5D%7B%7Bhttps://evil.example/i.png%7D")
    assert link.count("[[") == 1 and link.count("]]") == 1 and link.count("|") == 1
    assert "&amp;d=2" in link and "_" not in link.split("|")[0]
    assert (
        umap_syntax.umap_link("javascript:alert(1)") == ""
        and umap_syntax.umap_link("//x.org") == ""
    )


def test_export_public_fields_only_and_inert_text(frames):
    territories, ptce = frames
    doc = umap.to_umap(territories, ptce)
    features = [f for layer in doc["layers"] for f in layer["features"] if "id" in f["properties"]]
    public = {*field_names("territories", public=True), *field_names("ptce", public=True)}
    internal = {*field_names("territories", public=False), *field_names("ptce", public=False)}
    allowed = {"name", "description", "categorie", *public}
    for feature in features:
        keys = set(feature["properties"])
        assert keys <= allowed, keys - allowed
        assert not keys & internal
    text = json.dumps(doc, ensure_ascii=False)
    assert "note interne" not in text and "NO-PUBLIC-SOURCE-FOUND" not in text
    assert "javascript:" not in text
    by_id = {f["properties"]["id"]: f["properties"] for f in features}
    alpha = by_id["t-a"]
    # the fields themselves are kept as typed (uMap shows them as text) ...
    assert alpha["nom"] == alpha["name"] == "Alpha {{https://evil.example/x.png}}"
    assert alpha["sources"] == "https://ex.org/b?c=1&d=2"
    # ... and the description, which uMap renders, holds them as character references
    assert "{" not in alpha["description"] and "evil.example" not in alpha["description"]
    assert alpha["description"].startswith("# Alpha &#123;&#123;https&#58;")
    assert "[[https://ex.org/b?c=1&amp;d=2|ex&#46;org]]" in alpha["description"]
    beta = by_id["t-b"]
    assert "**Statut** : Territoire habilité" in beta["description"]
    assert "01&#47;07&#47;2021" in beta["description"]
    assert "1&#8239;234" in beta["description"]
    assert "Pôle Un &#40;chevauchement&#41;" in beta["description"]
    assert beta["population"] == 1234 and isinstance(beta["population"], int)
    assert "site_web" not in by_id["p-2"]
    assert by_id["p-1"]["site_web"] == "https://p1.example/"


def test_export_selection(frames):
    territories, ptce = frames

    def ids(doc):
        return [
            f["properties"]["id"]
            for name in _reading_order(doc)
            for f in _by_name(doc)[name]["features"]
            if not name.startswith("Liens")
        ]

    # the région's territories and PTCE (no link: p-2 is only known by département)
    doc = umap.to_umap(territories, ptce, region="Hauts-de-France")
    assert ids(doc) == ["t-pe", "p-2"] and len(doc["layers"]) == 2  # PE, PTCE
    # one territory: its linked PTCE and links only
    doc = umap.to_umap(territories, ptce, territory="t-b")
    assert ids(doc) == ["t-b", "p-1"]
    assert [
        f["properties"]["ptce_id"] for f in _by_name(doc)["Liens : chevauchement"]["features"]
    ] == ["p-1"]
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
    th = _by_name(b)["Territoires habilités (TH)"]
    assert [f["properties"]["id"] for f in th["features"]] == ["t-a", "t-b"]
    assert (
        first.read_bytes() == umap.write_umap(tmp_path / "c.umap", territories, ptce).read_bytes()
    )
    assert not list(tmp_path.rglob(".*.tmp"))


def test_write_umap_for_remote_data(frames, tmp_path):
    """With data_url: every layer reads its own file; the files hold the same features."""
    territories, ptce = frames
    snapshot = umap.to_umap(territories, ptce)
    path = umap.write_umap(
        tmp_path / "carte.umap", territories, ptce, data_url="https://info-ptce.example/d"
    )
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert umap_problems(doc) == []
    files = umap.umap_layer_paths(path)
    assert [f.name for f in files] == [
        "carte-th.geojson",
        "carte-pe.geojson",
        "carte-autres.geojson",
        "carte-ptce.geojson",
        "carte-liens-chevauchement.geojson",
        "carte-liens-contigus.geojson",
        "carte-liens-proximite.geojson",
    ]
    # every layer, even empty, so that a later export filling it shows in the same map
    assert len(doc["layers"]) == len(files)
    by_url = {
        layer["_umap_options"]["remoteData"]["url"]: layer["_umap_options"]["name"]
        for layer in doc["layers"]
    }
    assert all(not layer["features"] for layer in doc["layers"])
    assert set(by_url) == {"https://info-ptce.example/d/" + f.name for f in files}
    expected = {n: layer["features"] for n, layer in _by_name(snapshot).items()}
    for file in files:
        features = json.loads(file.read_text(encoding="utf-8"))["features"]
        name = by_url["https://info-ptce.example/d/" + file.name]
        assert features == expected.get(name, []), name
    with pytest.raises(ArgumentError, match="data_url"):
        umap.write_umap(tmp_path / "x.umap", territories, ptce, data_url="ftp://x.example/")
    with pytest.raises(TypeError, match="colour"):
        umap.write_umap(
            tmp_path / "x.umap", territories, ptce, data_url="https://x.example/", colour=1
        )


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
    layers = _by_name(doc)
    territory_layers = {umap_layers.UMAP_LAYERS[k].name for k in ("TH", "PE", "autre")}
    # PE whose source says the project is blocked are not drawn as active PE by default.
    active = located[located["statut_detail"].isna() | (located["statut_detail"] == "")]
    assert len(active) == len(located) - 5
    drawn = sum(len(layers[name]["features"]) for name in territory_layers & set(layers))
    assert drawn == len(active)
    links = geo.synergies(territories, geo.load_ptce())
    links = links[links["territory_id"].isin(active["id"])]
    drawn_links = sum(len(layer["features"]) for name, layer in layers.items() if "Liens" in name)
    assert drawn_links == len(links)


def test_cli_remote_data(tmp_path):
    out = tmp_path / "en-ligne.umap"
    result = subprocess.run(
        [
            sys.executable, "-m", "geo", "map", "--umap", str(out), "--territory", "trieves",
            "--umap-data-url", "https://info-ptce.example/carte/donnees/",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "en-ligne-th.geojson" in result.stdout
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert umap_problems(doc) == []
    assert all(f.is_file() for f in umap.umap_layer_paths(out))
