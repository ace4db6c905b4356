"""The fast paths of the analysis give what the straightforward ways give.

Each test runs a shortcut of the synergy measures (:mod:`geo.analysis.pairs`,
:mod:`geo.reference.nearest`...) and the plain computation it
replaces (geopandas, shapely, or the same function with the shortcut turned
off) on the same inputs and compares the results exactly.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from geo._core import geoarrays
from geo.analysis import inputs, pairs
from geo.analysis.synergies import SYNERGY_COLUMNS, nearest_ptce, synergies
from geo.crs import ZONES, to_metric, zone_of_geometry
from geo.reference import nearest
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
