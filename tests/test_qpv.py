"""QPV 2024 boundaries: the national ZIP format, property variants, cache, errors."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box

import geo
import geo.settings
from geo.errors import (
    ArgumentError,
    DataSourceError,
    SchemaError,
    UnknownCommuneError,
    UnknownQPVError,
)
from geo.reference.qpv import QPV_COLUMNS, load_qpv, qpv_geometry, qpv_list, qpv_of_commune
from tests.conftest import Reply

RESOURCE = "/api/1/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119"
MEMBER = "GEOJSON/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson"


def square(lon, lat, size=0.004):
    return box(lon, lat, lon + size, lat + size)


def qpv_features(names=("code_qp", "lib_qp", "insee_com", "lib_com")):
    """Three QPV with the properties of the ANCT national file (QP2024_...WGS84)."""
    code, lib, insee, libcom = names
    rows = [
        ("QN07815M", "Cinq Quartiers", "78440", "Les Mureaux", square(1.90, 48.98)),
        ("QN07816M", "Beauregard", "78498", "Poissy", square(2.03, 48.93)),
        # A QPV across two communes: the source lists both codes in one string.
        (
            "QN01312M",
            "Grand Centre-Ville",
            "13055, 13070",
            "Marseille, Les Pennes",
            square(5.38, 43.30),
        ),
    ]
    features = []
    for fid, (qp, name, communes, noms, geometry) in enumerate(rows, start=1):
        properties = {
            "fid": fid,
            code: qp,
            lib: name,
            "insee_reg": "11" if qp.startswith("QN078") else "93",
            "lib_reg": "Île-de-France",
            "insee_dep": qp[3:5],  # QN + 3-digit département + rank + letter
            "lib_dep": "Yvelines",
            insee: communes,
            libcom: noms,
            "siren_epci": "200059889",
        }
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(geometry)),
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "name": "QP2024", "features": features}


def national_zip(document) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("GEOJSON/LISEZMOI.txt", "QPV 2024")
        archive.writestr(MEMBER, json.dumps(document))
    return buffer.getvalue()


@pytest.fixture()
def qpv_server(local_server, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setattr(geo.settings, "cache_dir", cache)
    monkeypatch.setattr(geo.settings, "qpv_url", local_server.url + RESOURCE)
    return local_server


def test_national_zip_is_downloaded_converted_and_cached(qpv_server, tmp_path):
    qpv_server.route(RESOURCE, Reply(200, national_zip(qpv_features())))
    table = load_qpv()
    assert list(table.columns) == QPV_COLUMNS
    assert table.crs.to_epsg() == 4326
    rows = table.set_index("code_qp")
    assert rows.at["QN07815M", "nom_qp"] == "Cinq Quartiers"
    assert rows.at["QN07815M", "communes"] == "78440"
    assert rows.at["QN01312M", "communes"] == "13055;13070"
    assert rows.at["QN01312M", "communes_noms"] == "Marseille;Les Pennes"
    assert rows.at["QN07816M", "departement"] == "78"
    assert rows.loc["QN07815M"].geometry.equals_exact(square(1.90, 48.98), 1e-9)
    cached = list((tmp_path / "cache").iterdir())
    assert sorted(p.suffix for p in cached) == [".parquet", ".sha256"]  # raw ZIP removed
    assert len(load_qpv()) == 3
    assert len(qpv_server.hits(RESOURCE)) == 1
    load_qpv(refresh=True)
    assert len(qpv_server.hits(RESOURCE)) == 2


def test_download_does_not_touch_another_process_download(qpv_server, tmp_path):
    # Another process sharing the cache, downloading under the name used before.
    url = qpv_server.url + RESOURCE
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:10]
    other = tmp_path / "cache" / f"qpv-2024-{digest}.download"
    other.write_bytes(b"another process is writing this")
    qpv_server.route(RESOURCE, Reply(200, national_zip(qpv_features())))
    assert len(load_qpv()) == 3
    assert other.read_bytes() == b"another process is writing this"
    names = sorted(p.name for p in (tmp_path / "cache").iterdir() if p != other)
    assert names == [f"qpv-2024-{digest}.parquet", f"qpv-2024-{digest}.parquet.sha256"]


def test_plain_geojson_url_and_retry(qpv_server):
    body = json.dumps(qpv_features()).encode()
    qpv_server.route("/qpv.geojson", Reply(502), Reply(200, body))
    table = load_qpv(url=qpv_server.url + "/qpv.geojson")
    assert sorted(table["code_qp"]) == ["QN01312M", "QN07815M", "QN07816M"]
    assert len(qpv_server.hits("/qpv.geojson")) == 2


def test_property_variants_from_a_local_file(tmp_path):
    document = qpv_features(names=("CODE_QP", "NOM_QP", "code_insee", "nom_com"))
    path = tmp_path / "qpv.geojson"
    path.write_text(json.dumps(document))
    table = load_qpv(path=path)
    assert set(table["code_qp"]) == {"QN07815M", "QN07816M", "QN01312M"}
    assert table.set_index("code_qp").at["QN07816M", "nom_qp"] == "Beauregard"
    assert json.loads(path.read_text()) == document  # input untouched

    projected = gpd.read_file(path).to_crs(2154).rename(columns={"CODE_QP": "code_quartier"})
    gpkg = tmp_path / "qpv.gpkg"
    projected.to_file(gpkg)
    again = load_qpv(path=gpkg)
    assert again.crs.to_epsg() == 4326
    assert again.geometry.iloc[0].symmetric_difference(table.geometry.iloc[0]).area < 1e-10


def test_file_with_codes_only(tmp_path):
    document = qpv_features()
    for feature in document["features"]:
        feature["properties"] = {"code_qp": feature["properties"]["code_qp"]}
    path = tmp_path / "codes-only.geojson"
    path.write_text(json.dumps(document))
    table = load_qpv(path=path)
    assert len(table) == 3
    assert table[["nom_qp", "communes", "communes_noms", "departement"]].isna().all().all()


def test_qpv_geometry_union_and_unknown_codes(qpv_server):
    qpv_server.route(RESOURCE, Reply(200, national_zip(qpv_features())))
    union = qpv_geometry("QN07815M; qn07816m")
    assert union.geom_type == "MultiPolygon"
    assert union.area == pytest.approx(2 * 0.004**2)
    table = load_qpv()
    single = qpv_geometry(["QN07815M"], qpv=table)
    assert single.equals_exact(square(1.90, 48.98), 1e-9)
    with pytest.raises(UnknownQPVError, match="QN99998X, QN99999X") as raised:
        qpv_geometry(["QN07815M", "QN99999X", "QN99998X"], qpv=table)
    # a QPV code is not a commune: the error is not an UnknownCommuneError
    assert not isinstance(raised.value, UnknownCommuneError)
    with pytest.raises(ArgumentError):
        qpv_geometry("")


def test_errors(qpv_server, monkeypatch, tmp_path):
    qpv_server.route(RESOURCE, Reply(200, b"PK\x03\x04 this is not a zip"))
    with pytest.raises(DataSourceError, match="ZIP") as info:
        load_qpv()
    assert RESOURCE in str(info.value) and "path=" in str(info.value)

    qpv_server.route("/gone", Reply(404))
    with pytest.raises(DataSourceError, match="HTTP 404"):
        load_qpv(url=qpv_server.url + "/gone")

    without_code = qpv_features(names=("ident", "lib_qp", "insee_com", "lib_com"))
    path = tmp_path / "nocode.geojson"
    path.write_text(json.dumps(without_code))
    with pytest.raises(SchemaError, match="no QPV code column"):
        load_qpv(path=path)

    monkeypatch.setattr(geo.settings, "qpv_url", None)
    with pytest.raises(DataSourceError, match=r"url=.*path="):
        load_qpv()

    requests_before = len(qpv_server.requests)
    monkeypatch.setattr(geo.settings, "offline", True)
    with pytest.raises(DataSourceError, match="offline"):
        load_qpv(url=qpv_server.url + RESOURCE)
    assert len(qpv_server.requests) == requests_before


# --- the shipped list of QPV 2024 by commune (offline) -----------------------------


def test_shipped_qpv_list_is_derived_from_the_anct_list(shared_reference, tmp_path):
    from scripts.import_reference import import_qpv_communes

    source = shared_reference / "additions-2026-12" / "qpv2024_communes.csv"
    if not source.is_file():
        pytest.skip(f"{source} not found")
    written = import_qpv_communes(source, tmp_path)
    committed = Path(__file__).resolve().parent.parent / "data" / written.name
    assert committed.read_bytes() == written.read_bytes(), (
        "data/qpv2024_communes.csv is not the import of the reference list"
    )
    with pytest.raises(FileExistsError, match="overwrite=True"):
        import_qpv_communes(source, tmp_path)
    # every (QPV, commune) pair of the reference is there, codes and names as written
    import csv

    with open(source, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    pairs = {(c, r["insee_com"]) for r in rows for c in r["codes_qp"].split(";")}
    table = qpv_list()
    assert set(zip(table["code_qp"], table["insee_com"], strict=True)) == pairs
    first = rows[0]
    code, name = first["codes_qp"].split(";")[0], first["libelles_qp"].split(", ")[0]
    assert table.loc[table["code_qp"] == code, "nom_qp"].iloc[0] == name


def test_qpv_of_commune_lists_the_qpv_offline(monkeypatch):
    monkeypatch.setattr(geo.settings, "offline", True)
    table = qpv_list()
    mureaux = qpv_of_commune("78440")
    expected = sorted(table.loc[table["insee_com"] == "78440", "code_qp"])
    assert mureaux["code_qp"].tolist() == expected and expected
    assert list(mureaux.columns) == ["code_qp", "nom_qp", "communes"]
    # a QPV across communes lists all of them
    across = table.groupby("code_qp")["insee_com"].nunique()
    shared_code = across[across > 1].index[0]
    commune = table.loc[table["code_qp"] == shared_code, "insee_com"].iloc[0]
    row = qpv_of_commune(commune).set_index("code_qp").loc[shared_code]
    assert len(row["communes"].split(";")) == across[shared_code]
    # an arrondissement gives the QPV of its commune; a commune without QPV none
    assert qpv_of_commune("75113").equals(qpv_of_commune("75056"))
    assert qpv_of_commune(" 1001.0 ").empty  # a code as a spreadsheet writes it
    with pytest.raises(ArgumentError, match="'Les Mureaux'"):
        qpv_of_commune("Les Mureaux")
    assert geo.qpv_of_commune is qpv_of_commune


def test_qpv_list_errors_name_the_file_and_line(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("code_qp,nom_qp,insee_com\nQN07819M,A,78440\nQX1,B,7844\n", encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        qpv_list(path)
    assert any("line 3" in p and "'QX1'" in p for p in info.value.problems)
    assert any("line 3" in p and "'7844'" in p for p in info.value.problems)
    path.write_text("code,nom\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="missing column"):
        qpv_list(path)
    with pytest.raises(DataSourceError, match="missing"):
        qpv_list(tmp_path / "absent.csv")
