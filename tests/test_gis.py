"""GIS exports (geo.write_gis, `export`, `--out .gpkg`), read back by pyogrio and ogrinfo."""

from __future__ import annotations

import json
import shutil
import subprocess

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

import geo
from geo.cli import main
from geo.errors import ArgumentError, CRSError

HOSTILE = '<img src=x onerror=alert(1)> =HYPERLINK("http://x") {{7*7}} ; "quoted"'


def ogrinfo(*args: str) -> str:
    binary = shutil.which("ogrinfo")
    assert binary, "ogrinfo is missing: install gdal-bin (./scripts/install-test-deps does)"
    done = subprocess.run(
        [binary, "-so", *args], capture_output=True, text=True, check=True, timeout=60
    )
    assert "ERROR" not in done.stderr and "Warning" not in done.stderr, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def shipped():
    return geo.load_territories(), geo.load_ptce()


def test_geopackage_layers_public_fields_read_back(shipped, tmp_path):
    territories, ptce = shipped
    summary = geo.synergy_summary(territories, ptce, geo.synergies(territories, ptce))
    path = geo.write_gis(
        {"territoires": territories, "ptce": ptce, "resume": summary}, tmp_path / "t.gpkg"
    )
    layers = dict(pyogrio.list_layers(path).tolist())
    assert layers == {"territoires": "MultiPolygon", "ptce": "Point", "resume": None}
    back = pyogrio.read_dataframe(path, layer="ptce")
    assert len(back) == len(ptce) and back.crs.to_epsg() == 4326
    assert not {"notes", "confiance", "alias"} & set(back.columns)
    assert {"nom", "site_web", "soutien_etat"} <= set(back.columns)
    info = ogrinfo(str(path))
    assert "1: territoires (Multi Polygon)" in info and "2: ptce (Point)" in info
    assert "3: resume (None)" in info
    detail = ogrinfo(str(path), "territoires")
    assert f"Feature Count: {len(territories)}" in detail
    assert "notes:" not in detail and "statut: String" in detail


def test_internal_fields_on_request(shipped, tmp_path):
    _, ptce = shipped
    path = geo.write_gis(ptce, tmp_path / "ptce.gpkg", internal=True)
    back = pyogrio.read_dataframe(path)
    assert {"notes", "confiance", "alias"} <= set(back.columns)
    assert pyogrio.list_layers(path)[0][0] == "ptce"  # the file's stem


def test_geojson_is_wgs84_with_text_kept_literally(tmp_path):
    frame = gpd.GeoDataFrame(
        {"id": ["a"], "nom": [HOSTILE], "communes": [["Les Mureaux", "Meulan"]]},
        geometry=[shapely.Point(652_000, 6_862_000)],  # Lambert-93, near Paris
        crs=2154,
    )
    path = geo.write_gis(frame, tmp_path / "un-point.geojson")
    data = json.loads(path.read_text(encoding="utf-8"))
    feature = data["features"][0]
    lon, lat = feature["geometry"]["coordinates"]
    assert 2 < lon < 3 and 48 < lat < 49  # reprojected to EPSG:4326
    assert feature["properties"]["nom"] == HOSTILE
    assert feature["properties"]["communes"] == "Les Mureaux; Meulan"
    assert data["name"] == "un_point"
    assert "un_point (Point)" in ogrinfo(str(path))
    assert frame.crs.to_epsg() == 2154 and isinstance(frame.loc[0, "communes"], list)  # untouched


def test_refusals_leave_existing_files(shipped, tmp_path):
    territories, ptce = shipped
    target = tmp_path / "t.gpkg"
    target.write_bytes(b"previous")
    with pytest.raises(ArgumentError, match=r"10 characters.*GeoPackage"):
        geo.write_gis(territories, tmp_path / "t.shp")
    with pytest.raises(ArgumentError, match="one layer"):
        geo.write_gis({"a": territories, "b": ptce}, tmp_path / "t.geojson")
    with pytest.raises(ArgumentError, match="layer names"):
        geo.write_gis({"Mes territoires": territories}, target)
    with pytest.raises(ArgumentError, match=r"\.csv/\.xlsx"):
        geo.write_gis(territories, tmp_path / "t.kml")
    with pytest.raises(CRSError, match="set_crs"):
        geo.write_gis(gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.Point(2, 48)]), target)
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.gpkg"]


def test_cli_export_folder_and_file(tmp_path, capsys):
    folder = tmp_path / "sig"
    assert main(["--quiet", "export", str(folder)]) == 0
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "liens.geojson",
        "opportunites.geojson",
        "ptce.geojson",
        "territoires.geojson",
        "tzptce.gpkg",
    ]
    info = ogrinfo(str(folder / "tzptce.gpkg"))
    for line in (
        "territoires (Multi Polygon)",
        "ptce (Point)",
        "liens (Line String)",
        "opportunites (Multi Polygon)",
    ):
        assert line in info
    opp = pyogrio.read_dataframe(folder / "tzptce.gpkg", layer="opportunites")
    located = geo.load_territories().geometry
    located = located[located.notna() & ~located.is_empty]
    assert (opp.geometry.notna() & ~opp.geometry.is_empty).sum() == len(located) > 100
    assert "category" in opp.columns
    assert "confiance" not in pyogrio.read_dataframe(folder / "territoires.geojson").columns
    out = capsys.readouterr().out
    assert "public fields" in out and "liens" in out

    single = tmp_path / "tout.gpkg"
    assert main(["--quiet", "export", str(single), "--internal"]) == 0
    assert "confiance" in pyogrio.read_dataframe(single, layer="territoires").columns


def test_cli_out_gpkg_for_results_and_shapefile_refused(tmp_path, capsys):
    links = tmp_path / "liens.gpkg"
    assert main(["--quiet", "synergies", "--out", str(links)]) == 0
    assert "liens (Line String)" in ogrinfo(str(links))
    near = tmp_path / "autour.geojson"
    assert main(["--quiet", "near", "Les Mureaux", "--out", str(near)]) == 0
    assert pyogrio.read_dataframe(near).loc[0, "id"] == "vivre-les-mureaux"
    capsys.readouterr()
    assert main(["--quiet", "opportunities", "--out", str(tmp_path / "o.shp")]) == 1
    err = capsys.readouterr().err
    assert "Shapefile cuts field names" in err and "Traceback" not in err
    assert not (tmp_path / "o.shp").exists()


def test_write_gis_keeps_the_callers_frame(shipped, tmp_path):
    territories, _ = shipped
    before = territories.copy()
    geo.write_gis(territories, tmp_path / "t.gpkg")
    pd.testing.assert_frame_equal(pd.DataFrame(territories), pd.DataFrame(before))


def _merged() -> gpd.GeoDataFrame:
    """The README's merge: the territories with their opportunities (two geometry columns)."""
    territories, ptce = geo.load_territories(), geo.load_ptce()
    found = geo.opportunities(territories, ptce)
    return territories.merge(found, left_on="id", right_on="territory_id")


def test_a_layer_with_two_geometries_is_refused_with_their_names(tmp_path):
    from geo.errors import SchemaError

    merged = _merged()
    with pytest.raises(SchemaError, match=r"\['geometry', 'territory_geometry'\]"):
        geo.write_gis(merged, tmp_path / "x.gpkg")
    assert not (tmp_path / "x.gpkg").exists()
    # what the message says to do works
    path = geo.write_gis(merged.drop(columns="territory_geometry"), tmp_path / "x.gpkg")
    assert pyogrio.read_info(path)["geometry_type"] == "MultiPolygon"
    unset = gpd.GeoDataFrame(merged.drop(columns="geometry"))  # no active geometry
    with pytest.raises(SchemaError, match="none active"):
        geo.write_gis(unset, tmp_path / "y.gpkg")


def test_spreadsheets_get_no_geometry_column_at_all(tmp_path):
    merged = _merged()
    unset = gpd.GeoDataFrame(merged.drop(columns="geometry"))  # no active geometry
    for table, name in ((merged, "a.csv"), (unset, "b.csv")):
        path = geo.write_table(table, tmp_path / name)
        text = path.read_text(encoding="utf-8")
        header = text.splitlines()[0].split(",")
        assert "geometry" not in header and "territory_geometry" not in header
        assert "POLYGON" not in text  # no outline as WKT text in a cell
        assert len(pd.read_csv(path)) == len(merged)
