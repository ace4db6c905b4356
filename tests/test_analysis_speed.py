"""The fast paths of the analysis give what the straightforward ways give.

Each test runs a shortcut of the synergy measures (:mod:`geo.analysis.pairs`,
:mod:`geo.reference.nearest`...) and the plain computation it
replaces (geopandas, shapely, or the same function with the shortcut turned
off) on the same inputs and compares the results exactly.
"""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

import geo
from geo._core import geoarrays, pointgrid
from geo.analysis import inputs, pairs
from geo.analysis.synergies import SYNERGY_COLUMNS, nearest_ptce, synergies
from geo.crs import ZONES, to_metric, zone_of_geometry
from geo.reference import cog, nearest
from geo.reference.nearest import nearest_commune

X, Y = 842_000.0, 6_519_000.0  # Lambert-93, near Lyon


def _grid_inputs(n_terr: int = 60, n_ptce: int = 25, seed: int = 3):
    """Territories (squares, points) and PTCE (seats, areas, codes) near Lyon, in WGS84."""
    rng = np.random.default_rng(seed)
    geoms = []
    for i in range(n_terr):
        x, y = X + rng.uniform(0, 60_000), Y + rng.uniform(0, 60_000)
        geoms.append(box(x, y, x + 2_000, y + 2_000) if i % 3 else Point(x, y))
    seats = [Point(X + rng.uniform(0, 60_000), Y + rng.uniform(0, 60_000)) for _ in range(n_ptce)]
    seats[0] = geoms[0]  # a PTCE seated exactly on a point territory
    seats[1] = box(X, Y, X + 5_000, Y + 5_000)  # an area of action
    territories = gpd.GeoDataFrame(
        {
            "id": [f"t{i:02d}" for i in range(n_terr)],
            "nom": [f"T {i}" for i in range(n_terr)],
            "codes_insee": ["69123" if i == 5 else None for i in range(n_terr)],
        },
        geometry=gpd.GeoSeries(geoms, crs=2154).to_crs(4326).values,
        crs=4326,
    )
    ptce = gpd.GeoDataFrame(
        {
            "id": [f"p{i:02d}" for i in reversed(range(n_ptce))],
            "nom": [f"P {i}" for i in range(n_ptce)],
            "codes_insee": ["69381" if i == 2 else None for i in range(n_ptce)],
        },
        geometry=gpd.GeoSeries(seats, crs=2154).to_crs(4326).values,
        crs=4326,
    )
    return territories, ptce


def test_nearest_ptce_by_small_chunks_equals_all_at_once(monkeypatch) -> None:
    territories, ptce = _grid_inputs()
    whole = nearest_ptce(territories, ptce, radius_km=5)
    monkeypatch.setattr(pairs, "_CHUNK", 7)
    pd.testing.assert_frame_equal(nearest_ptce(territories, ptce, radius_km=5), whole)
    assert whole["ptce_id"].notna().all()
    assert whole.loc[0, "relation"] == "overlap"  # the seat on the point territory


def test_point_on_point_seat_is_inside_as_relate_says() -> None:
    territories, ptce = _grid_inputs()
    t = geoarrays.metric(territories.geometry.values.to_numpy(), "metropole")
    s = geoarrays.metric(ptce.geometry.values.to_numpy(), "metropole")
    t = np.repeat(t, len(s))
    s = np.tile(s, len(territories))
    expected = np.asarray(shapely.relate_pattern(t, s, "T********"), dtype=bool)
    assert expected.sum() >= 1
    assert (pairs._seat_inside(t, s) == expected).all()


def test_nearest_commune_same_result_whichever_side_is_indexed(monkeypatch) -> None:
    cells = [box(i, j, i + 1, j + 1) for i in range(6) for j in range(6)]
    communes = gpd.GeoDataFrame(
        {"code_insee": [f"{1000 + k:05d}" for k in range(len(cells))][::-1]},
        geometry=gpd.GeoSeries(cells, crs=4326).values,
        crs=4326,
    )
    rng = np.random.default_rng(1)
    xy = rng.uniform(-0.05, 6.05, size=(400, 2))
    xy[:20] = np.round(xy[:20])  # on shared edges and corners: the smallest code wins
    points = gpd.GeoSeries(shapely.points(xy), crs=4326)
    monkeypatch.setattr(nearest, "_POINTS_PER_COMMUNE_TREE", 0)  # index the communes
    by_communes = nearest_commune(points, communes, max_distance_km=20)
    monkeypatch.setattr(nearest, "_POINTS_PER_COMMUNE_TREE", 10**9)  # index the points
    by_points = nearest_commune(points, communes, max_distance_km=20)
    pd.testing.assert_frame_equal(by_points, by_communes)
    assert (by_points["distance_m"] == 0).sum() > 300


@pytest.mark.parametrize("zone", ["metropole", "reunion"])
def test_metric_coordinates_equal_to_metric(zone: str) -> None:
    x0, y0 = (4.8, 45.7) if zone == "metropole" else (55.5, -21.1)
    geoms = np.array(
        [
            Point(x0, y0),
            Polygon(
                [(x0, y0), (x0 + 0.1, y0), (x0 + 0.1, y0 + 0.1), (x0, y0 + 0.1)],
                [[(x0 + 0.02, y0 + 0.02), (x0 + 0.05, y0 + 0.02), (x0 + 0.05, y0 + 0.05)]],
            ),
            MultiPolygon([box(x0, y0, x0 + 0.01, y0 + 0.01), box(x0 + 1, y0, x0 + 1.1, y0 + 1)]),
            LineString([(x0, y0), (x0 + 0.3, y0 - 0.2)]),
            None,
            Point(x0, y0, 12.0),
        ],
        dtype=object,
    )
    ours = geoarrays.metric(geoms, zone)
    present = ~shapely.is_missing(geoms)
    theirs = to_metric(gpd.GeoSeries(geoms[present], crs=4326), zone).values.to_numpy()
    assert ours[4] is None
    assert shapely.equals_exact(ours[present], theirs, tolerance=0).all()
    assert shapely.has_z(ours[5])


def test_zone_from_bounds_equals_zone_of_geometry() -> None:
    boxes = [z.bounds for z in ZONES.values()]
    geoms = []
    for x0, y0, x1, y1 in boxes:
        geoms += [
            box(x0 + 0.1, y0 + 0.1, x1 - 0.1, y1 - 0.1),  # well inside
            Point(x0, y0),  # on a corner of the extent
            box(x1 - 0.2, y0, x1 + 0.5, y0 + 0.3),  # across the east edge
            Point(x1 + 0.01, y1),  # just outside
        ]
    geoms += [box(-30, -30, -29, -29), Point(0, 0), box(-6, 40, 11, 52)]
    values = np.array(geoms, dtype=object)
    expected = zone_of_geometry(gpd.GeoSeries(values, crs=4326)).to_numpy()
    assert list(inputs._zone_of_wgs84(values)) == list(expected)


def test_text_columns_are_stored_as_pandas_infers_them() -> None:
    territories, ptce = _grid_inputs()
    table = synergies(territories.drop(columns=["nom"]), ptce, radius_km=10)
    assert len(table)
    for column in ["territory_id", "territory_nom", "ptce_id", "ptce_nom", "relation"]:
        values = table[column].astype(object).where(table[column].notna(), None)
        inferred = pd.DataFrame({"x": values.to_numpy(dtype=object)})["x"].dtype
        assert table[column].dtype == inferred, column
    empty = synergies(territories.iloc[:0], ptce)
    assert empty.empty and list(empty.columns) == [*SYNERGY_COLUMNS, "link_geometry"]


# --- nearest among points, from coordinates (geo._core.pointgrid) ---------------------


@pytest.mark.parametrize(
    ("n_sites", "layout"),
    [
        (1, "spread"),
        (3, "spread"),
        (40, "spread"),
        (500, "spread"),
        (40, "line"),
        (40, "strip"),
        (7, "same"),
    ],
)
def test_site_grid_finds_every_nearest_site_query_nearest_finds(n_sites: int, layout: str):
    """On a lattice (many sites at the same distance), ties included, queries beyond the sites."""
    rng = np.random.default_rng(n_sites)
    sx = rng.integers(0, 30, n_sites) * 1000.0
    sy = rng.integers(0, 30, n_sites) * 1000.0
    qx = rng.integers(-10, 70, 3000) * 500.0
    qy = rng.integers(-10, 70, 3000) * 500.0
    if layout == "line":
        qy[:] = 7_000.0
    elif layout == "strip":  # a few grid cells, not a million
        qy[:] = 7_000.0 + rng.uniform(0, 1e-6, len(qy))
    elif layout == "same":
        qx[:], qy[:] = 12_500.0, 3_000.0
    q, s = pointgrid.nearest_sites(qx, qy, sx, sy)
    grid = pointgrid.SiteGrid(sx, sy, qx, qy)
    assert grid.nx * grid.ny <= 3 * 4 * n_sites + 1  # about four cells a site
    tree = shapely.STRtree(shapely.points(sx, sy))
    eq, es = tree.query_nearest(shapely.points(qx, qy), all_matches=True)
    expected = np.lexsort((es, eq))
    assert q.tolist() == eq[expected].tolist()
    assert s.tolist() == es[expected].tolist()
    if n_sites > 1 and layout != "same":
        assert (np.bincount(q) > 1).any()  # ties were there to be kept


@pytest.mark.parametrize("pairs_at_once", [1, 7, 1 << 19])
def test_site_grid_by_runs_of_pairs_finds_what_query_nearest_finds(pairs_at_once, monkeypatch):
    """Queries in a cluster amid a ring of sites: every site a candidate, in runs of any size."""
    angle = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    sx, sy = np.round(50_000 * np.cos(angle)), np.round(50_000 * np.sin(angle))
    rng = np.random.default_rng(2)
    qx, qy = rng.integers(-4, 5, 500) * 10.0, rng.integers(-4, 5, 500) * 10.0
    qx[:3], qy[:3] = 0.0, 0.0  # at the centre: every site at the same distance, or nearly
    monkeypatch.setattr(pointgrid, "_PAIRS", pairs_at_once)
    q, s = pointgrid.nearest_sites(qx, qy, sx, sy)
    eq, es = shapely.STRtree(shapely.points(sx, sy)).query_nearest(
        shapely.points(qx, qy), all_matches=True
    )
    expected = np.lexsort((es, eq))
    assert q.tolist() == eq[expected].tolist()
    assert s.tolist() == es[expected].tolist()


def test_site_grid_keeps_ties_only_when_exactly_equal() -> None:
    """Sites one rounding step apart are not tied: the nearer one alone is nearest."""
    far = np.nextafter(1000.0, 2000.0)
    sx = np.array([1000.0, -far, -1000.0, 0.0])
    sy = np.array([0.0, 0.0, 0.0, far])
    q, s = pointgrid.nearest_sites(np.zeros(1), np.zeros(1), sx, sy)
    assert q.tolist() == [0, 0] and s.tolist() == [0, 2]


def test_point_measures_equal_geometry_measures() -> None:
    """Every pair of points measured from coordinates as through the geometries."""
    rng = np.random.default_rng(4)
    t_xy = np.column_stack([X + rng.integers(0, 20, 30) * 0.5, Y + rng.integers(0, 20, 30) * 0.5])
    s_xy = np.column_stack([X + rng.integers(0, 20, 12) * 0.5, Y + rng.integers(0, 20, 12) * 0.5])
    s_xy[0] = t_xy[0]
    s_xy[1] = [t_xy[1, 0], t_xy[1, 1] + 0.5]  # same x, not the same point
    t_xy[2] = np.nan  # no geometry
    s_xy[3] = np.nan  # no seat
    t_geom = np.array(shapely.points(t_xy), dtype=object)
    seat = np.array(shapely.points(s_xy), dtype=object)
    t_geom[2], seat[3] = None, None
    n_t, n_s = len(t_xy), len(s_xy)
    shapes = pairs._ZoneData(
        "metropole",
        np.arange(n_t),
        np.arange(n_s),
        t_geom,
        np.full(n_s, None),
        seat,
        shapely.area(t_geom),
    )
    points = pairs._ZonePoints("metropole", np.arange(n_t), np.arange(n_s), *t_xy.T, *s_xy.T, None)
    ti, pj = np.repeat(np.arange(n_t), n_s), np.tile(np.arange(n_s), n_t)
    shared = (ti == 5) & (pj == 7)
    by_shapes = pairs._classify(shapes, ti, pj, shared, 2.0)
    by_points = pairs._classify(points, ti, pj, shared, 2.0)
    assert by_shapes.keys() == by_points.keys()
    for key, expected in by_shapes.items():
        np.testing.assert_array_equal(by_points[key], expected, err_msg=key)
    assert set(by_points["rank"]) == {0, 1, 2, 3}


def test_point_distance_is_the_distance_geos_gives() -> None:
    rng = np.random.default_rng(0)
    a = rng.uniform(100_000, 1_200_000, (20_000, 2))
    b = rng.uniform(6_000_000, 7_100_000, (20_000, 2))
    ours = pointgrid.point_distance(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    theirs = shapely.distance(shapely.points(a), shapely.points(b))
    assert (ours == theirs).all()


def _point_inputs(seed: int):
    """Territory points and PTCE seats near Lyon and in La Réunion, with ties and gaps (WGS84)."""
    rng = np.random.default_rng(seed)
    t_xy = np.column_stack([X + rng.uniform(0, 80_000, 400), Y + rng.uniform(0, 80_000, 400)])
    p_xy = np.column_stack([X + rng.uniform(0, 80_000, 60), Y + rng.uniform(0, 80_000, 60)])
    p_xy[5] = p_xy[4]  # two PTCE at one address (ids in reverse order: the smaller wins)
    p_xy[9] = p_xy[4]
    t_xy[0] = p_xy[0]  # a territory on a seat: overlap
    t_xy[1] = p_xy[1] + [0.4, 0.3]  # half a metre away: adjacent
    t_xy[2:6] = p_xy[4] + [900.0, 0.0]  # four territories tied between three seats
    lyon = list(gpd.GeoSeries(shapely.points(t_xy), crs=2154).to_crs(4326).values)
    seats = list(gpd.GeoSeries(shapely.points(p_xy), crs=2154).to_crs(4326).values)
    lyon[7] = None  # no geometry
    reunion_t = list(shapely.points(rng.uniform(55.3, 55.7, 30), rng.uniform(-21.3, -21.0, 30)))
    reunion_p = list(shapely.points(rng.uniform(55.3, 55.7, 4), rng.uniform(-21.3, -21.0, 4)))
    guadeloupe = [Point(-61.5, 16.2)]  # no PTCE in its zone
    geoms = lyon + reunion_t + guadeloupe
    seats += reunion_p
    precision = ["communes"] * len(seats)
    precision[3] = "departement"  # its point only places it on a map: never measured
    territories = gpd.GeoDataFrame(
        {"id": [f"t{i:03d}" for i in range(len(geoms))]}, geometry=geoms, crs=4326
    )
    ptce = gpd.GeoDataFrame(
        {
            "id": [f"p{i:03d}" for i in reversed(range(len(seats)))],
            "nom": [f"P {i}" for i in range(len(seats))],
            "precision": precision,
        },
        geometry=seats,
        crs=4326,
    )
    return territories, ptce


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nearest_ptce_of_points_by_grid_equals_by_geometries(seed: int, monkeypatch) -> None:
    territories, ptce = _point_inputs(seed)
    terr, pt = inputs.prepare(territories, ptce, None, False)
    zones = list(pairs._zone_data(terr, pt, 50, points=True))
    assert zones and all(isinstance(z, pairs._ZonePoints) for z in zones)  # the grid path
    monkeypatch.setattr(pairs, "_CHUNK", 50)  # the grid serves several chunks
    by_grid = nearest_ptce(territories, ptce, radius_km=3)
    monkeypatch.setattr(pairs, "_POINT_GRID", False)
    by_geometries = nearest_ptce(territories, ptce, radius_km=3)
    pd.testing.assert_frame_equal(by_grid, by_geometries, check_exact=True)
    relations = set(by_grid["relation"].dropna())
    assert relations == {"overlap", "adjacent", "near", "far"}
    assert set(by_grid["reason"].dropna()) == {"no geometry", "no PTCE in zone"}
    assert by_grid.loc[0, "ptce_id"] == ptce.loc[0, "id"]
    tied = set(ptce.loc[[4, 5, 9], "id"])
    assert set(by_grid.loc[2:5, "ptce_id"]) == {min(tied)}  # the smallest id of the tie
    assert ptce.loc[3, "id"] not in set(by_grid["ptce_id"])


def test_areas_from_codes_read_only_their_departements_and_equal_the_whole_table() -> None:
    """PTCE areas built from the départements of their codes are those of the whole table."""
    listed = ["2A004;2B033;14167", "75101;75056;69123;69381", "97411;97415", "99999;14168"]
    ptce = gpd.GeoDataFrame(
        {"id": ["corse", "paris-lyon", "reunion", "unknown"], "codes_insee": listed},
        geometry=[Point(8.7, 41.9), Point(2.35, 48.85), Point(55.45, -20.9), Point(0.3, 49.2)],
        crs=4326,
    )
    territories = gpd.GeoDataFrame({"id": ["t"]}, geometry=[Point(2.3, 48.8)], crs=4326)
    cog.clear()  # a cold memory: only the départements of the codes are read
    with pytest.warns(inputs.MissingAreaWarning, match="99999"):
        _, pt = inputs.prepare(territories, ptce, None, False)
    every = geo.load_communes(types=("COM", "ARM"))
    by_code = dict(zip(every["code_insee"], every.geometry.values, strict=True))
    for area, codes in zip(pt.geom, listed, strict=True):
        parts = [by_code[c] for c in sorted(codes.split(";")) if c in by_code]
        assert shapely.equals_exact(area, shapely.union_all(parts), tolerance=0)


def test_measuring_imports_no_network_code() -> None:
    """Loading communes and measuring synergies (what `geo map` does) leave requests unimported."""
    code = (
        "import sys, geo.reference.communes, geo.analysis.synergies, geo.publish.maps; "
        "print(sorted(m for m in ('requests', 'geo._core.download') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
