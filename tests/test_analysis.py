"""Synergy analysis: relations, distances, zones, errors, summary and export.

Geometries are built in Lambert-93 near Lyon (so distances are exact by
construction) and handed to the analysis in WGS84, as a user would.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

import geo
from geo.analysis.links import link_lines
from geo.analysis.summaries import SUMMARY_COLUMNS, synergy_summary
from geo.analysis.synergies import NEAREST_COLUMNS, SYNERGY_COLUMNS, nearest_ptce, synergies
from geo.errors import ArgumentError, CRSError, InvalidGeometryError, SchemaError
from geo.publish.export import write_synergies
from geo.reference.nearest import nearest_commune

ROOT = Path(__file__).resolve().parent.parent
X, Y = 842_000.0, 6_519_000.0  # Lambert-93, near Lyon
KM = 1000.0


def wgs(geoms) -> gpd.GeoSeries:
    """Lambert-93 shapes -> WGS84 GeoSeries."""
    return gpd.GeoSeries(list(geoms), crs=2154).to_crs(4326)


def frame(ids, geoms, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": list(ids), **columns}, geometry=wgs(geoms), crs=4326)


def square(x0: float, y0: float, side_km: float = 1.0) -> Polygon:
    return box(x0, y0, x0 + side_km * KM, y0 + side_km * KM)


def territory(geom=None, **columns) -> gpd.GeoDataFrame:
    geom = square(X, Y) if geom is None else geom
    return frame(["t"], [geom], **{k: [v] for k, v in columns.items()})


def one_pair(terr, ptce, **kwargs) -> pd.Series | None:
    table = synergies(terr, ptce, **kwargs)
    assert list(table.columns) == [*SYNERGY_COLUMNS, "link_geometry"]
    assert len(table) <= 1
    return table.iloc[0] if len(table) else None


# --- relations ----------------------------------------------------------------


def test_touching_areas_are_adjacent_at_zero_distance():
    ptce = frame(["p"], [square(X + KM, Y)])  # shares the east edge
    row = one_pair(territory(), ptce)
    assert row["relation"] == "adjacent"
    assert row["distance_km"] == 0
    assert row["overlap_area_km2"] == pytest.approx(0, abs=1e-9)
    assert row["seat_distance_km"] == pytest.approx(0.5, abs=1e-4)  # seat = centre of the square


def test_corner_touch_is_adjacent_and_a_gap_of_a_few_metres_is_near():
    corner = one_pair(territory(), frame(["p"], [square(X + KM, Y + KM)]))
    assert corner["relation"] == "adjacent"
    gap = one_pair(territory(), frame(["p"], [square(X + KM + 5, Y)]))
    assert gap["relation"] == "near"
    assert gap["distance_km"] == pytest.approx(0.005, abs=1e-6)


def test_contained_area_overlaps_with_its_share_of_the_territory():
    terr = territory(square(X, Y, 2.0))  # 4 km²
    ptce = frame(["p"], [square(X + 500, Y + 500)])  # 1 km² inside
    row = one_pair(terr, ptce)
    assert row["relation"] == "overlap"
    assert row["overlap_area_km2"] == pytest.approx(1.0, rel=1e-6)
    assert row["overlap_share_pct"] == pytest.approx(25.0, rel=1e-6)
    assert row["distance_km"] == 0 and row["seat_distance_km"] == pytest.approx(0, abs=1e-6)


def test_partial_overlap_measures_the_common_area():
    ptce = frame(["p"], [box(X + 600, Y, X + 2600, Y + 1000)])  # 0.4 km² in common
    row = one_pair(territory(), ptce)
    assert row["relation"] == "overlap"
    assert row["overlap_area_km2"] == pytest.approx(0.4, rel=1e-6)
    assert row["overlap_share_pct"] == pytest.approx(40.0, rel=1e-6)
    assert row["distance_km"] == 0
    assert row["seat_distance_km"] == pytest.approx(0.6, abs=1e-5)  # seat at x + 1600 m


def test_seat_inside_is_overlap_and_seat_on_boundary_is_adjacent():
    inside = one_pair(territory(), frame(["p"], [Point(X + 300, Y + 300)]))
    assert inside["relation"] == "overlap"
    assert inside["seat_distance_km"] == pytest.approx(0, abs=1e-9)
    assert inside["overlap_area_km2"] == 0
    on_edge = one_pair(territory(), frame(["p"], [Point(X + KM, Y + 300)]))
    assert on_edge["relation"] == "adjacent"
    outside = one_pair(territory(), frame(["p"], [Point(X + KM + 300, Y + 300)]))
    assert outside["relation"] == "near"
    assert outside["distance_km"] == pytest.approx(0.3, abs=1e-6)


@pytest.mark.parametrize(("gap_km", "expected"), [(19.9, "near"), (20.0, "near"), (20.1, None)])
def test_radius_is_inclusive_edge_to_edge(gap_km, expected):
    ptce = frame(["p"], [Point(X + KM + gap_km * KM, Y + 500)])
    row = one_pair(territory(), ptce, radius_km=20)
    if expected is None:
        assert row is None
        near = nearest_ptce(territory(), ptce, radius_km=20).iloc[0]
        assert near["relation"] == "far"
        assert near["distance_km"] == pytest.approx(gap_km, abs=1e-5)
    else:
        assert row["relation"] == expected
        assert row["distance_km"] == pytest.approx(gap_km, abs=1e-5)


def test_radius_is_a_parameter():
    ptce = frame(["p"], [Point(X + KM + 7 * KM, Y + 500)])
    assert one_pair(territory(), ptce, radius_km=5) is None
    assert one_pair(territory(), ptce, radius_km=8)["relation"] == "near"


def test_multipolygon_distance_is_to_the_nearest_part():
    parts = MultiPolygon([square(X, Y), square(X + 30 * KM, Y)])
    ptce = frame(["p"], [Point(X + 31 * KM + 2 * KM, Y + 500)])
    row = one_pair(territory(parts), ptce)
    assert row["relation"] == "near"
    assert row["distance_km"] == pytest.approx(2.0, abs=1e-5)
    inside_second = one_pair(territory(parts), frame(["p"], [Point(X + 30.5 * KM, Y + 500)]))
    assert inside_second["relation"] == "overlap"
    assert inside_second["overlap_share_pct"] == 0


def test_overlap_share_uses_the_whole_multipolygon_area():
    parts = MultiPolygon([square(X, Y), square(X + 30 * KM, Y)])  # 2 km²
    ptce = frame(["p"], [square(X + 30 * KM, Y)])
    row = one_pair(territory(parts), ptce)
    assert row["overlap_area_km2"] == pytest.approx(1.0, rel=1e-6)
    assert row["overlap_share_pct"] == pytest.approx(50.0, rel=1e-6)


def test_point_territory_inside_ptce_area_overlaps():
    terr = frame(["t"], [Point(X + 500, Y + 500)])
    row = one_pair(terr, frame(["p"], [square(X, Y)]))
    assert row["relation"] == "overlap"
    assert math.isnan(row["overlap_share_pct"])  # a point has no area


def test_polygon_ptce_seat_is_a_point_on_its_surface():
    # An L-shaped area whose centroid lies outside it.
    shape = Polygon([(0, 0), (3, 0), (3, 1), (1, 1), (1, 3), (0, 3)])
    area = shapely.affinity.translate(shapely.affinity.scale(shape, KM, KM, origin=(0, 0)), X, Y)
    terr = territory(square(X + 1.5 * KM, Y + 1.5 * KM))  # in the notch, touching nothing
    row = one_pair(terr, frame(["p"], [area]))
    assert row["relation"] == "near"
    assert row["distance_km"] == pytest.approx(0.5, abs=1e-5)
    seat = wgs([area]).iloc[0]
    assert row["seat_distance_km"] > 0
    line = link_lines(synergies(terr, frame(["p"], [area])), terr, frame(["p"], [area]))
    assert seat.contains(Point(line.iloc[0].coords[0]))


def test_ptce_areas_by_id_take_precedence():
    ptce = frame(["p1", "p2"], [Point(X + 5 * KM, Y), Point(X + 9 * KM, Y)])
    areas = wgs([square(X + 500, Y + 500, 0.2)]).set_axis(["p2"])
    table = synergies(territory(), ptce, ptce_areas=areas)
    by_id = table.set_index("ptce_id")
    assert by_id.loc["p2", "relation"] == "overlap"
    assert by_id.loc["p2", "overlap_area_km2"] == pytest.approx(0.04, rel=1e-6)
    assert by_id.loc["p1", "relation"] == "near"
    aligned = wgs([None, square(X + 500, Y + 500, 0.2)])  # aligned on the ptce index
    again = synergies(territory(), ptce, ptce_areas=aligned)
    pd.testing.assert_frame_equal(table, again)
    with pytest.raises(CRSError):
        synergies(territory(), ptce, ptce_areas=gpd.GeoSeries([None, square(0, 0)]))
    with pytest.raises(ArgumentError, match="ptce_areas"):
        synergies(territory(), ptce, ptce_areas=areas.set_axis(["zz"]))


# --- communes -------------------------------------------------------------------


def test_shared_commune_codes_overlap_even_without_geometry():
    colombelles = geo.load_communes(codes="14167").geometry.iloc[0]
    terr = gpd.GeoDataFrame(
        {"id": ["t"], "codes_insee": ["14167"]}, geometry=gpd.GeoSeries([None], crs=4326)
    )
    seat = colombelles.representative_point()
    ptce = gpd.GeoDataFrame(
        {"id": ["p"], "codes_insee": ["14167;14168"], "precision": ["communes"]},
        geometry=gpd.GeoSeries([seat], crs=4326),
    )
    row = one_pair(terr, ptce)
    assert row["relation"] == "overlap"
    assert row["shared_communes"] == "14167"
    assert row["territory_zone"] == "metropole"
    assert math.isnan(row["seat_distance_km"])
    near = nearest_ptce(terr, ptce).iloc[0]
    assert near["ptce_id"] == "p" and near["relation"] == "overlap"


def test_arrondissement_shares_its_commune_and_area_comes_from_codes():
    lyon8 = geo.load_communes(codes="69388", types=("ARM",))
    terr = gpd.GeoDataFrame(
        {"id": ["lyon8"], "codes_insee": ["69388"], "precision": ["communes"]},
        geometry=lyon8.geometry.values,
        crs=4326,
    )
    far_seat = Point(4.80, 45.78)  # Lyon 9e, outside the 8e
    ptce = gpd.GeoDataFrame(
        {"id": ["lyon"], "codes_insee": ["69123"], "precision": ["communes"]},
        geometry=[far_seat],
        crs=4326,
    )
    row = one_pair(terr, ptce)
    assert row["relation"] == "overlap"
    assert row["shared_communes"] == "69388"
    # The area of action is the whole of Lyon: it covers all of the 8e.
    assert row["overlap_share_pct"] == pytest.approx(100.0, abs=0.5)
    assert row["seat_distance_km"] > 0
    assert not row["approximate"]


def test_unknown_codes_warn_and_are_ignored():
    ptce = frame(["p"], [Point(X + 500, Y + 500)], codes_insee=["99999"])
    with pytest.warns(UserWarning, match="99999"):
        row = one_pair(territory(), ptce)
    assert row["relation"] == "overlap"  # the seat is inside


# --- precision flags ------------------------------------------------------------


@pytest.mark.parametrize(
    ("t_precision", "p_precision", "p_geom", "expected"),
    [
        ("communes", "communes", square(X + 500, Y), False),
        ("epci", "communes", square(X + 500, Y), True),
        ("infra-communal", None, Point(X + 500, Y + 500), True),
        ("communes", "siege", square(X + 500, Y), True),  # overlap through an approximate area
        ("communes", "siege", Point(X + 500, Y + 500), False),  # the seat alone is exact
        ("communes", "departement", square(X + 5 * KM, Y), False),  # near: no perimeter claim
    ],
)
def test_approximate_flag(t_precision, p_precision, p_geom, expected):
    terr = territory(precision=t_precision)
    ptce = frame(["p"], [p_geom], precision=[p_precision])
    row = one_pair(terr, ptce)
    assert row["territory_precision"] == t_precision
    assert (row["ptce_precision"] or None) == p_precision
    assert bool(row["approximate"]) is expected


# --- empty and missing ------------------------------------------------------------


def test_empty_perimeters_are_skipped_but_reported():
    terr = frame(
        ["none", "empty", "ok"],
        [None, Polygon(), square(X, Y)],
        nom=["Sans", "Vide", "Bon"],
        statut=["PE", "TH", "TH"],
    )
    ptce = frame(["p", "nowhere"], [Point(X + 2 * KM, Y), None])
    table = synergies(terr, ptce)
    assert table["territory_id"].tolist() == ["ok"]
    near = nearest_ptce(terr, ptce)
    assert list(near.columns) == [*NEAREST_COLUMNS, "link_geometry"]
    assert near["territory_id"].tolist() == ["none", "empty", "ok"]  # input order
    assert near["reason"].iloc[:2].tolist() == ["no geometry", "no geometry"]
    assert near["ptce_id"].iloc[:2].isna().all()
    assert near["distance_km"].iloc[:2].isna().all()
    assert near.iloc[2]["ptce_id"] == "p" and pd.isna(near.iloc[2]["reason"])


def test_nothing_in_reach_still_gives_a_nearest_ptce():
    terr = territory()
    ptce = frame(["p"], [Point(X + 151 * KM, Y + 500)])
    assert synergies(terr, ptce).empty
    row = nearest_ptce(terr, ptce).iloc[0]
    assert row["ptce_id"] == "p"
    assert row["relation"] == "far"
    assert row["distance_km"] == pytest.approx(150.0, abs=1e-4)


def test_nearest_prefers_overlap_then_larger_area_among_ties():
    terr = territory(square(X, Y, 2.0))
    ptce = frame(
        ["a-touch", "b-small", "c-big"],
        [square(X + 2 * KM, Y), square(X + 100, Y + 100, 0.1), square(X + KM, Y + KM)],
    )
    row = nearest_ptce(terr, ptce).iloc[0]
    assert row["ptce_id"] == "c-big"
    assert row["relation"] == "overlap"


# --- zones ----------------------------------------------------------------------


def _mairie(code: str) -> Point:
    attrs = geo.commune_attributes().set_index("code_insee")
    return Point(attrs.at[code, "mairie_lon"], attrs.at[code, "mairie_lat"])


def test_cross_zone_pairs_are_never_measured():
    reunion = gpd.GeoDataFrame(
        {"id": ["le-port"]}, geometry=[_mairie("97407").buffer(0.01)], crs=4326
    )
    lyon = gpd.GeoDataFrame({"id": ["lyon"]}, geometry=[_mairie("69123")], crs=4326)
    assert synergies(reunion, lyon, radius_km=20_000).empty
    row = nearest_ptce(reunion, lyon, radius_km=20_000).iloc[0]
    assert row["territory_zone"] == "reunion"
    assert pd.isna(row["ptce_id"]) and row["reason"] == "no PTCE in zone"
    # Even when the user claims both are in the same place, a zone column wins.
    forced = reunion.assign(zone="metropole")
    assert synergies(forced, lyon.assign(zone="reunion"), radius_km=20_000).empty


def test_reunion_distance_agrees_with_geodesic():
    le_port, saint_denis = _mairie("97407"), _mairie("97411")
    terr = gpd.GeoDataFrame({"id": ["le-port"]}, geometry=[le_port], crs=4326)
    ptce = gpd.GeoDataFrame({"id": ["st-denis"]}, geometry=[saint_denis], crs=4326)
    row = one_pair(terr, ptce, radius_km=30)
    assert row["territory_zone"] == "reunion"
    _, _, geodesic_m = Geod(ellps="WGS84").inv(le_port.x, le_port.y, saint_denis.x, saint_denis.y)
    assert 10 < geodesic_m / 1000 < 25
    assert row["distance_km"] == pytest.approx(geodesic_m / 1000, rel=0.005)
    assert row["seat_distance_km"] == pytest.approx(geodesic_m / 1000, rel=0.005)


def test_mainland_distance_agrees_with_geodesic():
    a, b = Point(4.80, 45.70), Point(5.00, 45.85)
    terr = gpd.GeoDataFrame({"id": ["a"]}, geometry=[a], crs=4326)
    ptce = gpd.GeoDataFrame({"id": ["b"]}, geometry=[b], crs=4326)
    _, _, geodesic_m = Geod(ellps="WGS84").inv(a.x, a.y, b.x, b.y)
    row = one_pair(terr, ptce, radius_km=50)
    assert row["distance_km"] == pytest.approx(geodesic_m / 1000, rel=0.002)


def test_input_crs_does_not_change_the_result():
    terr = frame(["t1", "t2"], [square(X, Y), square(X + 8 * KM, Y)], nom=["Un", "Deux"])
    ptce = frame(["p"], [Point(X + 3 * KM, Y + 500)])
    a = synergies(terr, ptce)
    b = synergies(terr.to_crs(2154), ptce.to_crs(3857))
    pd.testing.assert_frame_equal(a, b, atol=1e-6)


def test_result_is_sorted_and_independent_of_input_order():
    rng = np.random.default_rng(3)
    terr = frame(
        [f"t{i:02d}" for i in range(12)],
        [square(X + rng.uniform(0, 40) * KM, Y + rng.uniform(0, 40) * KM) for _ in range(12)],
    )
    ptce = frame(
        [f"p{i:02d}" for i in range(15)],
        [Point(X + rng.uniform(0, 40) * KM, Y + rng.uniform(0, 40) * KM) for _ in range(15)],
    )
    a = synergies(terr, ptce, radius_km=10)
    b = synergies(terr.sample(frac=1, random_state=1), ptce.sample(frac=1, random_state=2))
    b = b[b["distance_km"] <= 10].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert a["territory_id"].is_monotonic_increasing
    # Every measured pair agrees with a direct computation.
    t_m, p_m = terr.to_crs(2154).set_index("id"), ptce.to_crs(2154).set_index("id")
    for row in a.itertuples():
        d = t_m.geometry[row.territory_id].distance(p_m.geometry[row.ptce_id]) / KM
        expected = 0.0 if row.relation in ("overlap", "adjacent") else d
        assert row.distance_km == pytest.approx(expected, abs=1e-5)
    # ... and no pair within the radius is missing.
    expected_pairs = {
        (t, p)
        for t, tg in t_m.geometry.items()
        for p, pg in p_m.geometry.items()
        if tg.distance(pg) <= 10 * KM
    }
    assert set(zip(a["territory_id"], a["ptce_id"], strict=True)) == expected_pairs


# --- errors ---------------------------------------------------------------------


def test_missing_crs_is_an_error_not_a_guess():
    terr = gpd.GeoDataFrame({"id": ["t"]}, geometry=[box(4.8, 45.7, 4.9, 45.8)])
    ptce = gpd.GeoDataFrame({"id": ["p"]}, geometry=[Point(4.85, 45.75)], crs=4326)
    with pytest.raises(CRSError, match="set_crs"):
        synergies(terr, ptce)
    with pytest.raises(CRSError):
        nearest_ptce(ptce, terr)


def test_projected_coordinates_declared_as_lonlat_are_an_error():
    terr = gpd.GeoDataFrame({"id": ["t"]}, geometry=[square(X, Y)], crs=4326)
    ptce = frame(["p"], [Point(X, Y)])
    with pytest.raises(CRSError, match="EPSG:2154"):
        synergies(terr, ptce)


def test_bad_ids_are_all_reported_at_once():
    terr = frame(["a", "a", ""], [square(X, Y)] * 3)
    ptce = frame(["p", None], [Point(X, Y)] * 2)
    with pytest.raises(SchemaError) as info:
        synergies(terr, ptce)
    message = str(info.value)
    assert "'a' appears 2 times" in message
    assert "territories row 2: empty id" in message
    assert "ptce row 1: empty id" in message
    with pytest.raises(SchemaError, match="no 'id' column"):
        synergies(terr.drop(columns="id"), ptce.iloc[:1])


def test_plain_dataframe_and_unknown_zone_are_schema_errors():
    ptce = frame(["p"], [Point(X, Y)])
    with pytest.raises(SchemaError, match="GeoDataFrame"):
        synergies(pd.DataFrame({"id": ["t"]}), ptce)
    with pytest.raises(SchemaError, match="mars"):
        synergies(territory(zone="mars"), ptce)


def test_invalid_polygon_is_reported_or_repaired_on_request():
    bowtie = Polygon([(X, Y), (X + KM, Y + KM), (X + KM, Y), (X, Y + KM)])
    terr = frame(["bow"], [bowtie])
    ptce = frame(["p"], [Point(X + 100, Y + 500)])  # in the left triangle
    with pytest.raises(InvalidGeometryError, match="bow"):
        synergies(terr, ptce)
    row = one_pair(terr, ptce, make_valid=True)
    assert row["relation"] == "overlap"


# --- summary ----------------------------------------------------------------------


def test_summary_counts_each_territory_once():
    terr = frame(
        ["ov", "n5", "n15", "none", "lost", "pe"],
        [
            square(X, Y),
            square(X, Y + 5 * KM),
            square(X, Y + 15 * KM),
            square(X, Y + 100 * KM),
            None,
            square(X + 2 * KM, Y),
        ],
        statut=["TH", "TH", "TH", "TH", "TH", "PE"],
        region_nom=["Auvergne-Rhône-Alpes"] * 4 + [None, "Bourgogne-Franche-Comté"],
        population=[100, 200, 300, 400, 500, 600],
    )
    ptce = frame(["p"], [Point(X + 500, Y + 500)])  # inside "ov"
    table = synergy_summary(terr, ptce, radius_km=20)
    assert list(table.columns) == SUMMARY_COLUMNS
    ara = table[(table["region"] == "Auvergne-Rhône-Alpes") & (table["statut"] == "TH")].iloc[0]
    counts = ("n_overlap", "n_within_10km", "n_within_radius", "n_none", "n_unlocated")
    assert ara[list(counts)].tolist() == [1, 1, 1, 1, 0]
    france = table[table["region"] == "France"].set_index("statut")
    assert france.loc["ensemble", "n_territories"] == 6
    assert france.loc["TH", "n_unlocated"] == 1
    assert france.loc["PE", "n_within_10km"] == 1
    assert france.loc["ensemble", "population_with_ptce"] == 100 + 200 + 300 + 600
    assert france.loc["ensemble", "population_without_ptce"] == 400
    assert set(table["region"]) == {
        "Auvergne-Rhône-Alpes",
        "Bourgogne-Franche-Comté",
        "Non renseignée",
        "France",
    }
    # The same from a precomputed table; a smaller radius moves "n15" to n_none.
    pre = synergies(terr, ptce, radius_km=20)
    pd.testing.assert_frame_equal(table, synergy_summary(terr, ptce, pre, radius_km=20))
    small = synergy_summary(terr, ptce, pre, radius_km=12).set_index(["region", "statut"])
    assert small.loc[("France", "ensemble"), list(counts)].tolist() == [1, 2, 0, 2, 1]


# --- nearest commune --------------------------------------------------------------


def test_nearest_commune_inside_and_at_sea():
    attrs = geo.commune_attributes().set_index("code_insee")
    codes = ["69123", "97407", "2A004", "14167"]
    points = gpd.GeoSeries(
        [Point(attrs.at[c, "mairie_lon"], attrs.at[c, "mairie_lat"]) for c in codes]
        + [Point(55.25, -20.93), Point(-30.0, 45.0), None],  # off Le Port; mid-Atlantic
        index=list("abcdefg"),
        crs=4326,
    )
    found = nearest_commune(points)
    assert found.index.tolist() == list("abcdefg")
    assert found["code_insee"].iloc[:4].tolist() == codes
    assert (found["distance_m"].iloc[:4] == 0).all()
    assert found.loc["e", "code_insee"] == "97407"
    assert 0 < found.loc["e", "distance_m"] < 10_000
    assert pd.isna(found.loc["f", "code_insee"]) and pd.isna(found.loc["g", "code_insee"])


# --- export -----------------------------------------------------------------------


def _export_inputs():
    terr = frame(["t"], [square(X, Y)], nom=["Vénissieux – Les Minguettes"], statut=["TH"])
    ptce = frame(["in", "out"], [Point(X + 500, Y + 500), Point(X + 3 * KM, Y + 500)])
    return terr, ptce, synergies(terr, ptce, geometry=False)


@pytest.mark.parametrize("ext", ["csv", "xlsx", "parquet"])
def test_write_tables_round_trip(tmp_path, ext):
    _, _, table = _export_inputs()
    path = write_synergies(table, tmp_path / "out" / f"synergies.{ext}")
    assert path.is_file()
    if ext == "csv":
        back = pd.read_csv(path, dtype={"shared_communes": str}, keep_default_na=False)
        assert path.read_bytes()[:3] != b"\xef\xbb\xbf"
        assert "Vénissieux – Les Minguettes" in path.read_text(encoding="utf-8")
    elif ext == "xlsx":
        back = pd.read_excel(path, sheet_name="synergies")
    else:
        back = pd.read_parquet(path)
    assert back["ptce_id"].tolist() == ["in", "out"]
    assert back["distance_km"].tolist() == pytest.approx(table["distance_km"].tolist())
    assert list(back.columns) == SYNERGY_COLUMNS
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left


def test_write_geojson_links_seat_to_territory(tmp_path):
    terr, ptce, table = _export_inputs()
    path = write_synergies(table, tmp_path / "links.geojson", territories=terr, ptce=ptce)
    data = json.loads(path.read_text(encoding="utf-8"))
    features = {f["properties"]["ptce_id"]: f for f in data["features"]}
    out = features["out"]["geometry"]
    assert out["type"] == "LineString"
    assert all(round(v, 6) == v for xy in out["coordinates"] for v in xy)  # 1e-6°
    start, end = gpd.GeoSeries([Point(c) for c in out["coordinates"]], crs=4326).to_crs(2154)
    # Coordinates are rounded to 1e-6 degree: about 0.1 m.
    assert start.distance(Point(X + 3 * KM, Y + 500)) < 0.15
    assert end.distance(Point(X + KM, Y + 500)) < 0.15  # nearest point of the territory
    line = LineString([start, end])
    assert line.length == pytest.approx(2 * KM, abs=0.3)
    inside = features["in"]["geometry"]["coordinates"]
    assert inside[0] == inside[-1]  # zero length: the seat is inside
    assert features["out"]["properties"]["relation"] == "near"


def test_write_errors_leave_no_file(tmp_path):
    _, _, table = _export_inputs()
    with pytest.raises(SchemaError, match=r"\.txt"):
        write_synergies(table, tmp_path / "synergies.txt")
    with pytest.raises(SchemaError, match="territories"):
        write_synergies(table, tmp_path / "links.geojson")
    existing = tmp_path / "keep.csv"
    existing.write_text("précieux", encoding="utf-8")
    with pytest.raises(SchemaError):
        write_synergies(table.drop(columns="ptce_id"), existing.with_suffix(".geojson"))
    assert existing.read_text(encoding="utf-8") == "précieux"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]


# --- shipped data -----------------------------------------------------------------


def _shipped() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    paths = [ROOT / "data" / "territories.geojson", ROOT / "data" / "ptce.geojson"]
    missing = [str(p.relative_to(ROOT)) for p in paths if not p.is_file()]
    if missing:
        pytest.skip(f"shipped data not built yet: {', '.join(missing)} missing")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tuple(gpd.read_file(p) for p in paths)  # type: ignore[return-value]


def test_seed_pairs_overlap_in_shipped_data(shared_reference):
    terr, ptce = _shipped()
    seeds = pd.read_csv(shared_reference / "seed_pairs.csv", dtype=str, keep_default_na=False)
    table = synergies(terr, ptce)
    relation = {
        (t, p): r
        for t, p, r in zip(table["territory_id"], table["ptce_id"], table["relation"], strict=True)
    }
    locatable_t = set(terr.loc[terr.geometry.notna() & ~terr.geometry.is_empty, "id"])
    locatable_p = set(ptce.loc[ptce.geometry.notna() & ~ptce.geometry.is_empty, "id"]) | set(
        ptce.loc[ptce.get("codes_insee", pd.Series("", index=ptce.index)).fillna("") != "", "id"]
    )
    checked = 0
    wrong = []
    for seed in seeds.itertuples():
        if seed.tz_id not in locatable_t or seed.ptce_id not in locatable_p:
            continue
        checked += 1
        found = relation.get((seed.tz_id, seed.ptce_id))
        if found != "overlap":
            wrong.append(f"{seed.tz_id} × {seed.ptce_id}: {found}")
    assert not wrong, wrong
    assert checked >= 4, f"only {checked} seed pairs locatable in the shipped data"
    near = nearest_ptce(terr, ptce)
    assert len(near) == len(terr)
    summary = synergy_summary(terr, ptce, table)
    national = summary[(summary["region"] == "France") & (summary["statut"] == "ensemble")]
    assert int(national["n_territories"].iloc[0]) == len(terr)


@pytest.mark.parametrize("radius", [-1, float("nan"), "loin"])
def test_bad_radius_is_a_schema_error(radius):
    territories = gpd.GeoDataFrame(
        {"id": ["t"]}, geometry=[shapely.Point(2.35, 48.85).buffer(0.01)], crs="EPSG:4326"
    )
    ptce = gpd.GeoDataFrame({"id": ["p"]}, geometry=[shapely.Point(2.36, 48.86)], crs="EPSG:4326")
    with pytest.raises(ArgumentError, match="radius_km"):
        synergies(territories, ptce, radius_km=radius)


def test_synergies_records_its_radius():
    territories = gpd.GeoDataFrame(
        {"id": ["t"]}, geometry=[shapely.Point(2.35, 48.85).buffer(0.01)], crs="EPSG:4326"
    )
    ptce = gpd.GeoDataFrame({"id": ["p"]}, geometry=[shapely.Point(2.36, 48.86)], crs="EPSG:4326")
    assert synergies(territories, ptce, radius_km=7.5).attrs["radius_km"] == 7.5


def test_summary_refuses_a_table_computed_with_a_smaller_radius():
    territories = gpd.GeoDataFrame(
        {"id": ["t"]}, geometry=[shapely.Point(2.35, 48.85).buffer(0.01)], crs="EPSG:4326"
    )
    ptce = gpd.GeoDataFrame({"id": ["p"]}, geometry=[shapely.Point(2.36, 48.86)], crs="EPSG:4326")
    table = synergies(territories, ptce, radius_km=5)
    with pytest.raises(ArgumentError, match="radius_km=5"):
        synergy_summary(territories, ptce, table, radius_km=20)
    assert len(synergy_summary(territories, ptce, table, radius_km=5))


def test_codes_mangled_by_a_spreadsheet_still_match():
    square = shapely.box(4.9, 46.1, 5.0, 46.2)
    territories = gpd.GeoDataFrame(
        {"id": ["t"], "codes_insee": ["1001"]}, geometry=[square], crs="EPSG:4326"
    )
    ptce = gpd.GeoDataFrame(
        {"id": ["p"], "codes_insee": ["01001.0"]},
        geometry=[shapely.Point(6.5, 46.5)],
        crs="EPSG:4326",
    )
    table = synergies(territories, ptce, radius_km=1)
    assert list(table["relation"]) == ["overlap"]
    assert list(table["shared_communes"]) == ["01001"]
