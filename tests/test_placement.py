"""One way to place a row: seat point, union of communes, commune under a point."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

import geo
from geo.reference import placement
from geo.reference.nearest import nearest_commune
from geo.shipped.build import build_frames
from geo.shipped.layers import COORD_DECIMALS
from tests.conftest import ROOT


def test_commune_under_a_point_smallest_code_on_a_boundary():
    left, right = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)
    points = [Point(1, 0.5), Point(0.5, 0.5), None, Point(9, 9)]
    # the same answer whatever the order of the polygons
    assert placement.commune_under(points, [left, right], ["78646", "78440"]).tolist() == [
        1,
        0,
        -1,
        -1,
    ]
    assert placement.commune_under(points, [right, left], ["78440", "78646"]).tolist() == [
        0,
        1,
        -1,
        -1,
    ]


def test_seat_rules():
    square = shapely.box(0, 0, 2, 2)
    assert placement.seat_point(point=Point(5, 5), mairie=(1, 1)) == (Point(5, 5), "adresse")
    assert placement.seat_point(mairie=(1.5, 1.5), seat_geometry=square)[1] == "mairie"
    point, how = placement.seat_point(mairie=(np.nan, np.nan), seat_geometry=square)
    assert how == "point-sur-surface" and square.contains(point)
    point, how = placement.seat_point(area=[square, shapely.box(2, 0, 4, 2)])
    assert how == "point-sur-surface" and point.within(shapely.box(0, 0, 4, 2))
    assert placement.seat_point(area=[]) == (None, "inconnu")
    assert placement.seat_commune(None, ["78440"]) == "78440"


def _shared_boundary_point(a: str, b: str) -> Point:
    table = geo.load_communes(codes=[a, b]).set_index("code_insee")
    shared = shapely.intersection(table.at[a, "geometry"], table.at[b, "geometry"])
    for x, y in shapely.get_coordinates(shared):
        point = Point(x, y)
        if table.at[a, "geometry"].intersects(point) and table.at[b, "geometry"].intersects(point):
            return point
    pytest.skip(f"{a} and {b} share no vertex in this source")


def test_loader_and_analysis_agree_on_a_point_on_a_boundary():
    # Les Mureaux (78440) and Meulan-en-Yvelines (78401) share a boundary
    point = _shared_boundary_point("78401", "78440")
    by_analysis = nearest_commune(gpd.GeoSeries([point], crs="EPSG:4326"))
    frame = pd.DataFrame({"nom": ["P"], "longitude": [point.x], "latitude": [point.y]})
    by_loader = geo.load_ptce(frame)
    assert by_analysis["code_insee"].iloc[0] == "78401"  # the smallest code
    assert by_loader["siege_insee"].iloc[0] == "78401"


def test_shipped_build_and_loader_place_every_ptce_at_the_same_seat():
    # Before: 38 of the shipped PTCE got another point (or none) from load_ptce.
    _, built = build_frames()
    raw = pd.read_csv(ROOT / "data" / "ptce.csv", dtype=str, keep_default_na=False)
    area = raw["codes_insee"].where(raw["precision"].isin(["communes", "epci"]), "")
    only_departement = (raw["siege_insee"] == "") & (area == "")
    rows = pd.DataFrame(
        {
            "id": raw["id"],
            "nom": raw["nom"],
            "siege_insee": raw["siege_insee"],
            "codes_insee": area,
            "departement": raw["departement"].where(only_departement, ""),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geo.loading.entities.EntityWarning)
        loaded = geo.load_ptce(rows).set_index("id")
    built = built.set_index("id")
    assert len(built) == len(loaded) > 100
    tolerance = 2 * 10.0**-COORD_DECIMALS
    different = []
    for ident, row in built.iterrows():
        a, b = row.geometry, loaded.at[ident, "geometry"]
        a = None if a is None or isinstance(a, float) else a
        b = None if b is None or isinstance(b, float) else b
        same = (a is None) == (b is None) and (a is None or a.distance(b) < tolerance)
        if not same or row["precision_siege"] != loaded.at[ident, "precision_siege"]:
            different.append(f"{ident}: {a} {row['precision_siege']} / {b}")
    assert different == []
