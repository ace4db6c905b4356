"""Around a place: geo.ptce_near, geo.territories_near, resolve_place and `near`."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import geo
from geo.analysis.near import resolve_place
from geo.cli import main
from geo.errors import AmbiguousCommuneError, ArgumentError, UnknownCommuneError


def _points_around(lon: float, lat: float, epsg: int, offsets_m: list[float]) -> gpd.GeoDataFrame:
    """PTCE due east of (lon, lat) at exact distances measured in ``epsg``."""
    origin = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(epsg).iloc[0]
    points = [shapely.Point(origin.x + d, origin.y) for d in offsets_m]
    frame = gpd.GeoDataFrame(
        {"id": [f"p{i}" for i in range(len(points))], "nom": [f"P {d}" for d in offsets_m]},
        geometry=points,
        crs=epsg,
    )
    return frame.to_crs(4326)


NO_TERRITORIES = gpd.GeoDataFrame({"id": [], "nom": []}, geometry=[], crs=4326)


def test_distances_are_measured_in_lambert_93():
    ptce = _points_around(2.0, 48.0, 2154, [12_000, 3_000, 9_999])
    near = geo.ptce_near((2.0, 48.0), 10, ptce=ptce, territories=NO_TERRITORIES)
    # in degrees or Web Mercator (x1.49 at 48°N) these would differ or fall out
    assert list(near["distance_km"]) == [3.0, 10.0]
    assert list(near["id"]) == ["p1", "p2"]
    assert near.crs.to_epsg() == 4326 and isinstance(near, gpd.GeoDataFrame)
    assert near.attrs["metric_crs"] == "EPSG:2154" and near.attrs["radius_km"] == 10


def test_overseas_distances_use_the_zones_own_crs():
    ptce = _points_around(55.45, -21.0, 2975, [5_000, 25_000])
    near = geo.ptce_near("55.45,-21.0", 20, ptce=ptce, territories=NO_TERRITORIES)
    assert list(near["distance_km"]) == [5.0]
    assert near.attrs["metric_crs"] == "EPSG:2975"
    assert near.attrs["place_kind"] == "point"


def test_shipped_ptce_near_a_commune_keep_their_columns():
    near = geo.ptce_near("Les Mureaux", radius_km=10)
    assert near.iloc[0]["id"] == "vivre-les-mureaux"
    assert near.iloc[0]["distance_km"] == 0  # its seat is inside the commune's outline
    assert set(geo.load_ptce().columns) | {"distance_km"} == set(near.columns)
    assert (near.geometry.geom_type == "Point").all()
    assert near["distance_km"].is_monotonic_increasing
    assert near.attrs["place"] == "commune Les Mureaux (78440)"


def test_a_territory_id_is_a_place_and_its_own_nearest():
    near = geo.territories_near("le-port", radius_km=30)
    assert near.iloc[0]["id"] == "le-port" and near.iloc[0]["distance_km"] == 0
    assert near.attrs["place_kind"] == "territoire"
    assert near.attrs["metric_crs"] == "EPSG:2975"
    assert near.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()


def test_radius_is_honoured_on_territories():
    wide = geo.territories_near("78440", radius_km=60)
    narrow = geo.territories_near("78440", radius_km=5)
    assert len(wide) > len(narrow) >= 1
    assert wide["distance_km"].max() <= 60 and narrow["distance_km"].max() <= 5


def test_ambiguous_and_unknown_places():
    with pytest.raises(AmbiguousCommuneError, match="97411"):
        geo.ptce_near("Saint-Denis")
    assert resolve_place("Saint-Denis", departement="974").label == ("commune Saint-Denis (97411)")
    with pytest.raises(UnknownCommuneError):
        geo.ptce_near("Xyzzyville-sur-Rien")
    with pytest.raises(ArgumentError, match="swapped"):
        geo.ptce_near((48.0, 2.0))
    with pytest.raises(ArgumentError, match="radius_km"):
        geo.ptce_near("78440", radius_km=-1)
    with pytest.raises(ArgumentError, match="empty place"):
        geo.ptce_near("  ")


def test_an_address_offline_falls_back_to_the_town_hall(monkeypatch):
    monkeypatch.setattr(geo.settings, "offline", True)
    with pytest.warns(UserWarning):
        place = resolve_place("Place de l'Hôtel de Ville 78130 Les Mureaux")
    assert place.kind == "adresse" and "mairie" in place.label
    assert place.geometry.geom_type == "Point" and place.zone == "metropole"


def test_cli_near(tmp_path, capsys):
    out = tmp_path / "autour.csv"
    code = main(["--quiet", "near", "Les Mureaux", "--radius-km", "10", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "PTCE à 10 km ou moins de commune Les Mureaux (78440)" in printed
    assert "vivre-les-mureaux" in printed
    written = pd.read_csv(out)
    assert "geometry" not in written.columns and written.loc[0, "distance_km"] == 0


def test_cli_near_ambiguous_is_one_line(capsys):
    assert main(["--quiet", "near", "Saint-Denis"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "ambiguous" in err and "Traceback" not in err
