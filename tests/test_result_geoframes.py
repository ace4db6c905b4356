"""Results that describe places are GeoDataFrames (issue 22, item 3).

``synergies`` and ``nearest_ptce`` carry the link line, ``opportunities`` the
territory's geometry or the PTCE's point: EPSG:4326, the metric CRS used in
``attrs["metric_crs"]``, no column name shared with the loaders' tables (a merge
adds no ``_x``/``_y``), and ``geometry=False`` for the plain table.
"""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import Point, box

import geo
from geo.analysis.links import link_lines
from geo.analysis.observatory import OPPORTUNITY_COLUMNS, PTCE_OPPORTUNITY_COLUMNS
from geo.analysis.synergies import NEAREST_COLUMNS, SYNERGY_COLUMNS

X, Y = 842_000.0, 6_519_000.0  # Lambert-93, near Lyon
KM = 1000.0
# Le Port (Réunion), in its own legal CRS (RGR92 / UTM 40S)
RX, RY = 320_000.0, 7_686_000.0


@pytest.fixture(scope="module")
def shipped():
    """The shipped tables (in the repository) and their synergies at 20 km."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # communes without a boundary: not the subject here
        territories, ptce = geo.load_territories(), geo.load_ptce()
    return territories, ptce, geo.synergies(territories, ptce, radius_km=20)


def _two_zones() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A square territory near Lyon and one in Réunion, each with PTCE around it."""
    lyon = gpd.GeoSeries([box(X, Y, X + 2 * KM, Y + 2 * KM)], crs=2154).to_crs(4326)
    reunion = gpd.GeoSeries([box(RX, RY, RX + 2 * KM, RY + 2 * KM)], crs=2975).to_crs(4326)
    territories = gpd.GeoDataFrame(
        {"id": ["lyon", "le-port", "nowhere"], "statut": ["TH", "PE", "TH"]},
        geometry=[lyon.iloc[0], reunion.iloc[0], None],
        crs=4326,
    )
    seats = [
        gpd.GeoSeries([Point(X + KM, Y + KM)], crs=2154),  # inside the Lyon square
        gpd.GeoSeries([Point(X + 5 * KM, Y + KM)], crs=2154),  # 3 km east of it
        gpd.GeoSeries([Point(RX + 4 * KM, RY + KM)], crs=2975),  # 2 km east in Réunion
    ]
    ptce = gpd.GeoDataFrame(
        {"id": ["in", "east", "port"]},
        geometry=[s.to_crs(4326).iloc[0] for s in seats],
        crs=4326,
    )
    return territories, ptce


def _no_suffix(merged: pd.DataFrame) -> list[str]:
    return [c for c in merged.columns if str(c).endswith(("_x", "_y"))]


# --- synergies -------------------------------------------------------------------------


def test_synergies_is_a_geodataframe_of_link_lines_with_the_metric_crs() -> None:
    territories, ptce = _two_zones()
    table = geo.synergies(territories, ptce, radius_km=10)
    assert isinstance(table, gpd.GeoDataFrame)
    assert table.geometry.name == "link_geometry" and table.crs.to_epsg() == 4326
    assert list(table.columns) == [*SYNERGY_COLUMNS, "link_geometry"]
    assert set(table.geom_type) == {"LineString"}
    # One zone per row, its own legal CRS: a hard-coded Lambert-93 fails here.
    assert table.attrs["metric_crs"] == {"metropole": "EPSG:2154", "reunion": "EPSG:2975"}
    assert table.attrs["radius_km"] == 10.0
    # Each row's own line (a mutant drawing the lines of unsorted pairs fails here):
    # from the PTCE seat to the nearest point of its territory, in metres of the zone.
    rows = table.set_index("ptce_id")
    east = gpd.GeoSeries([rows.loc["east", "link_geometry"]], crs=4326).to_crs(2154).iloc[0]
    assert east.length == pytest.approx(3 * KM, abs=0.01)
    assert Point(east.coords[0]).distance(Point(X + 5 * KM, Y + KM)) < 0.01
    port = gpd.GeoSeries([rows.loc["port", "link_geometry"]], crs=4326).to_crs(2975).iloc[0]
    assert port.length == pytest.approx(2 * KM, abs=0.01)
    assert rows.loc["in", "link_geometry"].length == 0  # the seat is inside
    drawn = link_lines(table, territories, ptce)
    assert drawn.geom_equals_exact(table.geometry, tolerance=0).all()


def test_nearest_ptce_lines_and_no_line_without_a_ptce() -> None:
    territories, ptce = _two_zones()
    near = geo.nearest_ptce(territories, ptce, radius_km=1)
    assert isinstance(near, gpd.GeoDataFrame) and near.crs.to_epsg() == 4326
    assert list(near.columns) == [*NEAREST_COLUMNS, "link_geometry"]
    assert near["territory_id"].tolist() == ["lyon", "le-port", "nowhere"]
    assert near.geom_type.tolist()[:2] == ["LineString", "LineString"]
    assert near.geometry.iloc[2] is None  # no geometry, no PTCE: no line
    assert near.attrs["metric_crs"] == {"metropole": "EPSG:2154", "reunion": "EPSG:2975"}
    assert near.attrs["radius_km"] == 1.0  # what "far" means in this table
    port = gpd.GeoSeries([near.geometry.iloc[1]], crs=4326).to_crs(2975).iloc[0]
    assert port.length == pytest.approx(2 * KM, abs=0.01)  # "far": the line still drawn


def test_geometry_false_gives_the_same_plain_table() -> None:
    territories, ptce = _two_zones()
    for function in (geo.synergies, geo.nearest_ptce):
        with_lines = function(territories, ptce, radius_km=10)
        plain = function(territories, ptce, radius_km=10, geometry=False)
        assert type(plain) is pd.DataFrame  # a mutant ignoring geometry=False fails here
        expected = pd.DataFrame(with_lines.drop(columns="link_geometry"))
        pd.testing.assert_frame_equal(plain, expected)
        assert plain.attrs == with_lines.attrs


def test_synergies_merge_onto_the_loaders_without_suffixes(shipped) -> None:
    territories, ptce, pairs = shipped
    # Mutant caught: a "zone" (or any loader field) kept as a column name.
    on_territories = territories.merge(pairs, left_on="id", right_on="territory_id")
    assert len(on_territories) == len(pairs) and not _no_suffix(on_territories)
    on_ptce = ptce.merge(pairs, left_on="id", right_on="ptce_id")
    assert len(on_ptce) == len(pairs) and not _no_suffix(on_ptce)


def test_nearest_ptce_merges_onto_the_loaders_without_suffixes(shipped) -> None:
    territories, ptce, _ = shipped
    near = geo.nearest_ptce(territories, ptce)
    assert not _no_suffix(territories.merge(near, left_on="id", right_on="territory_id"))
    assert not _no_suffix(ptce.merge(near, left_on="id", right_on="ptce_id"))


# --- opportunities ---------------------------------------------------------------------


def test_opportunities_by_territory_carry_the_territory_geometry(shipped) -> None:
    territories, ptce, pairs = shipped
    table = geo.opportunities(territories, ptce, pairs)
    assert isinstance(table, gpd.GeoDataFrame) and table.crs.to_epsg() == 4326
    assert table.geometry.name == "territory_geometry"
    assert list(table.columns) == [*OPPORTUNITY_COLUMNS, "territory_geometry"]
    located = table.geometry.notna()
    assert located.sum() == territories.geometry.notna().sum() > 100
    assert set(table.geom_type[located]) <= {"Polygon", "MultiPolygon"}
    # Each row has its own territory (a mutant taking the rows in another order fails).
    own = territories.set_index("id").geometry.to_crs(4326)
    expected = own.reindex(table["territory_id"]).to_numpy()
    assert all(
        (a is None and b is None) or shapely.equals(a, b)
        for a, b in zip(table.geometry.to_numpy(), expected, strict=True)
    )
    zones = set(table["territory_zone"].dropna())
    assert set(table.attrs["metric_crs"]) == zones and table.attrs["metric_crs"]["metropole"] == (
        "EPSG:2154"
    )
    merged = territories.merge(table, left_on="id", right_on="territory_id")
    assert len(merged) == len(territories) and not _no_suffix(merged)


def test_opportunities_by_ptce_carry_the_ptce_point(shipped) -> None:
    territories, ptce, pairs = shipped
    table = geo.opportunities(territories, ptce, pairs, by="ptce")
    assert isinstance(table, gpd.GeoDataFrame) and table.crs.to_epsg() == 4326
    assert table.geometry.name == "ptce_geometry"
    assert list(table.columns) == [*PTCE_OPPORTUNITY_COLUMNS, "ptce_geometry"]
    located = table.geometry.notna()
    assert located.any() and set(table.geom_type[located]) == {"Point"}
    own = ptce.set_index("id").geometry.to_crs(4326).reindex(table["ptce_id"])
    assert own.notna().sum() == located.sum()
    assert shapely.equals(
        table.geometry[located].to_numpy(), own[located.to_numpy()].to_numpy()
    ).all()
    assert table.attrs["metric_crs"]["reunion"] == "EPSG:2975"
    merged = ptce.merge(table, left_on="id", right_on="ptce_id")
    assert len(merged) == len(ptce) and not _no_suffix(merged)


def test_opportunities_geometry_false_is_the_same_table(shipped) -> None:
    territories, ptce, pairs = shipped
    for by, column in (("territory", "territory_geometry"), ("ptce", "ptce_geometry")):
        with_places = geo.opportunities(territories, ptce, pairs, by=by)
        plain = geo.opportunities(territories, ptce, pairs, by=by, geometry=False)
        assert type(plain) is pd.DataFrame
        pd.testing.assert_frame_equal(plain, pd.DataFrame(with_places.drop(columns=column)))
        assert plain.attrs == with_places.attrs


# --- exports ---------------------------------------------------------------------------


def test_results_write_to_a_geopackage_and_read_back(shipped, tmp_path) -> None:
    territories, ptce, pairs = shipped
    layers = {
        "liens": pairs,
        "plus_proche": geo.nearest_ptce(territories, ptce),
        "opportunites": geo.opportunities(territories, ptce, pairs),
        "opportunites_ptce": geo.opportunities(territories, ptce, pairs, by="ptce"),
    }
    path = geo.write_gis(layers, tmp_path / "resultats.gpkg")
    found = dict(pyogrio.list_layers(path).tolist())
    assert found == {
        "liens": "LineString",
        "plus_proche": "LineString",
        "opportunites": "MultiPolygon",
        "opportunites_ptce": "Point",
    }
    for name, frame in layers.items():
        back = pyogrio.read_dataframe(path, layer=name)
        assert len(back) == len(frame) and back.crs.to_epsg() == 4326, name
        assert back["category" if "opportunites" in name else "relation"].notna().any()
    back = pyogrio.read_dataframe(path, layer="liens")
    assert back["territory_id"].tolist() == pairs["territory_id"].tolist()
    same = back.geometry.geom_equals_exact(pairs.geometry.reset_index(drop=True), 1e-9)
    assert same.all()


def test_spreadsheets_and_geojson_of_a_geodataframe(tmp_path) -> None:
    territories, ptce = _two_zones()
    table = geo.synergies(territories, ptce, radius_km=10)
    csv = geo.write_table(table, tmp_path / "paires.csv")
    assert pd.read_csv(csv).columns.tolist() == SYNERGY_COLUMNS  # the geometry is left out
    # GeoJSON of a table with its lines needs no inputs, and gives the same lines.
    path = geo.write_synergies(table, tmp_path / "liens.geojson")
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["ptce_id"] for f in features] == table["ptce_id"].tolist()
    assert "link_geometry" not in features[0]["properties"]
    lines = [shapely.geometry.shape(f["geometry"]) for f in features]
    assert all(
        shapely.equals_exact(a, b, tolerance=1e-6)
        for a, b in zip(lines, table.geometry, strict=True)
    )


def test_french_labels_keep_the_geometry_and_unique_headers(shipped) -> None:
    territories, ptce, pairs = shipped
    table = geo.labels_fr(geo.opportunities(territories, ptce, pairs))
    assert isinstance(table, gpd.GeoDataFrame) and table.geometry.name == "territory_geometry"
    assert table.columns.is_unique
    assert {"Statut", "Région", "Code région", "Population", "Zone"} <= set(table.columns)
