"""Loading users' own territory and PTCE files (geo.loading.entities)."""

from __future__ import annotations

import json
import linecache
import re
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import ROOT, TEST_DATA, Reply
from shapely.geometry import Point, Polygon, box

import geo
from geo import settings
from geo._core.files import file_sha256
from geo.errors import (
    AmbiguousCommuneError,
    CRSError,
    DataSourceError,
    InvalidGeometryError,
    SchemaError,
    UnknownCommuneError,
)
from geo.loading.entities import EntityWarning
from geo.schema import table_columns


def _communes(*codes: str) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return geo.load_communes(codes=list(codes), types=("COM", "ARM"))


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copyfile(TEST_DATA / name, target)
    return target


# --- the messy CSV ------------------------------------------------------------


def test_messy_csv_mixed_spellings():
    gdf = geo.load_territories(TEST_DATA / "messy_territories.csv")
    assert gdf.crs == "EPSG:4326"
    assert list(gdf.columns[: len(table_columns("territories"))]) == table_columns("territories")
    by_id = gdf.set_index("id")
    assert list(by_id.index) == [
        "colombelles",
        "les-mureaux",
        "paris-13e",
        "villers-saint-paul",
        "le-port",
        "jouques",
        "pont-audemer",
    ]
    # "mureaux" (no article), "Villers St Paul", "le port" + 974, code 75113.
    assert by_id.loc["les-mureaux", "codes_insee"] == "78440"
    assert by_id.loc["villers-saint-paul", "codes_insee"] == "60684"
    assert by_id.loc["le-port", "codes_insee"] == "97407"
    assert by_id.loc["le-port", "zone"] == "reunion"
    assert by_id.loc["le-port", "region_nom"] == "La Réunion"
    assert by_id.loc["paris-13e", "codes_insee"] == "75113"
    # habilité / projet émergent / th -> TH/PE
    assert by_id["statut"].tolist() == ["TH", "TH", "TH", "PE", "PE", "TH", "TH"]
    assert set(by_id["precision"]) == {"communes"}
    assert (gdf.geom_type == "MultiPolygon").all()
    # The département is derived when the file leaves it empty (Pont-Audemer).
    assert by_id.loc["pont-audemer", "departement"] == "27"
    assert by_id.loc["pont-audemer", "region"] == "28"


def test_arrondissement_geometry_and_population():
    gdf = geo.load_territories(TEST_DATA / "messy_territories.csv").set_index("id")
    arm = _communes("75113")
    arm = arm[arm["code_insee"] == "75113"]
    assert by_area(gdf.loc["paris-13e", "geometry"]) == pytest.approx(
        by_area(arm.geometry.iloc[0]), rel=1e-9
    )
    assert gdf.loc["paris-13e", "population"] == int(arm["population"].iloc[0])
    paris = _communes("75056")
    assert by_area(gdf.loc["paris-13e", "geometry"]) < 0.2 * by_area(
        paris[paris["code_insee"] == "75056"].geometry.iloc[0]
    )


def by_area(geom) -> float:
    return float(gpd.GeoSeries([geom], crs=4326).to_crs(2154).area.iloc[0])


def test_extra_columns_kept_and_used_columns_replaced():
    gdf = geo.load_territories(TEST_DATA / "messy_territories.csv")
    assert "Porteur du projet" in gdf.columns
    assert gdf["Porteur du projet"].iloc[2] == "EBE 13 Avenir"
    # "Remarque" is a known alias of the schema column "notes".
    assert gdf["notes"].iloc[3] == 'nom écrit "St"'
    for used in ("Nom du territoire", "Code INSEE", "Commune", "Dépt", "Statut", "Remarque"):
        assert used not in gdf.columns


def test_cp1252_semicolon_file_with_epci():
    path = TEST_DATA / "territoires_excel_fr.csv"
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the fixture really is Windows-1252
    assert raw.count(b";") > raw.count(b",")
    gdf = geo.load_territories(path).set_index("id")
    assert "Référent" in gdf.columns
    assert gdf.loc["premery", "nom"] == "Prémery"
    assert gdf.loc["coeur-de-savoie", "Référent"] == "Œuvre commune"
    assert gdf.loc["coeur-de-savoie", "codes_insee"] == "73171"
    assert gdf.loc["coeur-de-savoie", "statut"] == "PE"
    assert gdf.loc["thiers", "date_habilitation"] == "2016-11-24"
    epci = gdf.loc["pays-de-colombey-et-du-sud-toulois"]
    assert epci["precision"] == "epci"
    assert epci["epci_siren"] == "245400510"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        members = geo.load_communes(departements=["54", "88"])
    expected = sorted(members.loc[members["epci_siren"] == "245400510", "code_insee"])
    assert sorted(epci["codes_insee"].split(";")) == expected
    assert len(expected) > 30
    assert epci["population"] == int(
        members.loc[members["epci_siren"] == "245400510", "population"].sum()
    )


def test_overlong_csv_cell_names_its_row(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text('nom,code_insee\nA,78440\nB,"' + "x" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"long\.csv row 3: a quote .* never closed"):
        geo.load_territories(path)


def test_unreadable_file_is_a_data_source_error(tmp_path):
    path = tmp_path / "device.csv"
    path.symlink_to("/proc/self/mem")  # a file whose read fails with EIO
    with pytest.raises(DataSourceError, match=r"cannot read .*device\.csv: "):
        geo.load_territories(path)


def test_undecodable_utf16_csv(tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_bytes(b"\xff\xfe" + b"\x00\xd8" * 3)  # UTF-16 mark then lone surrogates
    with pytest.raises(SchemaError, match=r"cannot decode utf16\.csv"):
        geo.load_territories(path)


def test_utf8_bom_header(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("Nom,INSEE\nPrémery,58218\n".encode("utf-8-sig"))
    gdf = geo.load_territories(path)
    assert gdf["nom"].tolist() == ["Prémery"]
    assert gdf["codes_insee"].tolist() == ["58218"]


def test_codes_list_in_one_cell(tmp_path):
    path = tmp_path / "liste.csv"
    path.write_text('nom,codes_insee\nCaen et Colombelles,"14118, 14167"\nLes Mureaux,78440\n')
    gdf = geo.load_territories(path)
    assert gdf["codes_insee"].tolist() == ["14118;14167", "78440"]
    assert gdf["communes"].iloc[0] == "Caen;Colombelles"


# --- XLSX --------------------------------------------------------------------


def _write_xlsx(path: Path, rows: list[list[object]], sheet: str = "Territoires") -> None:
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)


def test_xlsx_numeric_codes_and_bad_row(tmp_path):
    path = tmp_path / "territoires.xlsx"
    _write_xlsx(
        path,
        [
            ["Nom", "Code commune", "Latitude", "Longitude"],
            ["L'Abergement", 1001, None, None],  # lost its leading zero
            ["Jouques", 13048.0, None, None],
            [None, None, None, None],  # an empty spreadsheet row
            ["Quelque part", None, 48.9934, 1.91034],
        ],
    )
    gdf = geo.load_territories(path, sheet="Territoires")
    assert gdf["codes_insee"].tolist() == ["01001", "13048", "78440"]
    # A lat/lon row is the point it gives; its commune is context, not its perimeter.
    assert gdf["precision"].tolist() == ["communes", "communes", "point"]
    assert gdf.geometry.iloc[2].equals(Point(1.91034, 48.9934))

    _write_xlsx(
        path,
        [
            ["Nom", "Code commune"],
            ["Jouques", 13048],
            [None, None],
            ["Nulle part", "Muraux"],
        ],
    )
    with pytest.raises(UnknownCommuneError, match=r'row 4 "Muraux".*Les Mureaux.*78440') as info:
        geo.load_territories(path)
    assert len(info.value.problems) == 1


def test_xlsx_unknown_sheet(tmp_path):
    path = tmp_path / "t.xlsx"
    _write_xlsx(path, [["Nom", "INSEE"], ["Jouques", "13048"]])
    with pytest.raises(SchemaError, match=r"Feuil2.*Territoires"):
        geo.load_territories(path, sheet="Feuil2")


# --- problems, all at once ------------------------------------------------------


def test_all_problems_at_once_with_spreadsheet_rows():
    with pytest.raises(SchemaError) as info:
        geo.load_territories(TEST_DATA / "territories_bad_rows.csv")
    problems = info.value.problems
    message = str(info.value)
    assert message.startswith("4 problems in territories_bad_rows.csv")
    assert len(problems) == 4
    # Sorted by row; the header is row 1.
    assert problems[0].startswith('row 2 "Saint-Denis" is ambiguous')
    assert "93066" in problems[0] and "97411" in problems[0]
    assert problems[1].startswith('row 3 "Muraux"') and '"Les Mureaux" (78440)' in problems[1]
    assert problems[2] == "row 5 repeats id 'mureaux' of row 3 — ids must be unique"
    assert problems[3] == "row 6 has an empty name"


def test_only_ambiguous_communes(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("nom,commune\nX,Saint-Denis\nY,Saint-Denis\nZ,Saint-Denis\n")
    with pytest.raises(AmbiguousCommuneError, match=r"row 2.*row 3.*row 4") as info:
        geo.load_territories(path)
    assert "add the département" in str(info.value)
    path.write_text(
        "nom,commune,departement\nX,Saint-Denis,974\nY,Saint-Denis,Seine-Saint-Denis\n"
    )
    gdf = geo.load_territories(path)
    assert gdf["codes_insee"].tolist() == ["97411", "93066"]


def test_duplicate_ids_and_generated_slugs(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("id,nom,insee\nA,Jouques,13048\n,Thiers,63430\n,Thiers,63430\nA,Autre,58218\n")
    with pytest.raises(SchemaError, match="row 5 repeats id 'A' of row 2"):
        geo.load_territories(path)
    path.write_text("id,nom,insee\nA,Jouques,13048\n,Thiers,63430\n,Thiers,63430\n")
    assert geo.load_territories(path)["id"].tolist() == ["A", "thiers", "thiers-2"]


def test_empty_names(tmp_path):
    path = tmp_path / "noms.csv"
    path.write_text("nom,insee\n,13048\n  ,63430\nThiers,63430\n")
    with pytest.raises(SchemaError, match="row 2 has an empty name; row 3 has an empty name"):
        geo.load_territories(path)


def test_unknown_statut(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("nom,insee,statut\nJouques,13048,en cours\n")
    with pytest.raises(SchemaError, match='row 2 statut "en cours" — use TH'):
        geo.load_territories(path)


def test_missing_name_or_location_column(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("titre du projet,insee\nJouques,13048\n")
    with pytest.raises(SchemaError, match="no name column"):
        geo.load_territories(path)
    path.write_text("nom,porteur\nJouques,X\n")
    with pytest.raises(SchemaError, match="no column locates the rows"):
        geo.load_territories(path)


def test_missing_file():
    with pytest.raises(DataSourceError, match="file not found"):
        geo.load_territories("/nonexistent/territoires.csv")


# --- coordinates -----------------------------------------------------------------


def test_swapped_latitude_longitude(tmp_path):
    path = tmp_path / "ptce.csv"
    path.write_text(
        "nom,latitude,longitude\n"
        "Bon,48.9934,1.91034\n"
        "Inversé,1.91034,48.9934\n"
        "Ailleurs,40.4168,-3.7038\n"
    )
    with pytest.raises(CRSError) as info:
        geo.load_ptce(path)
    message = str(info.value)
    assert message.startswith("2 rows with bad coordinates in ptce.csv")
    assert "row 3: latitude/longitude look swapped" in message
    assert "row 4: point (-3.7038, 40.4168) is outside" in message
    assert "row 2" not in message


def test_one_coordinate_column_alone(tmp_path):
    path = tmp_path / "lat.csv"
    path.write_text("nom,latitude\nX,48.9\n")
    with pytest.raises(SchemaError, match="no longitude column"):
        geo.load_ptce(path)


# --- explicit options ---------------------------------------------------------------


def test_explicit_column_options(tmp_path):
    path = tmp_path / "bizarre.csv"
    path.write_text(
        "Libellé projet,Lieu,Num dpt,Code,Nom\n"
        "Projet Réunion,Saint-Denis,974,P1,ignoré\n"
        "Projet Yvelines,Mureaux,78,P2,ignoré\n"
    )
    gdf = geo.load_territories(
        path,
        name_column="Libellé projet",
        commune_column="lieu",  # matched by key, case-insensitive
        departement_column="Num dpt",
        id_column="Code",
    )
    assert gdf["id"].tolist() == ["P1", "P2"]
    assert gdf["nom"].tolist() == ["Projet Réunion", "Projet Yvelines"]
    assert gdf["codes_insee"].tolist() == ["97411", "78440"]
    assert gdf["Nom"].tolist() == ["ignoré", "ignoré"]  # not used: kept as is
    with pytest.raises(SchemaError, match=r"commune_column='Ville' is not a column.*'Lieu'"):
        geo.load_territories(path, commune_column="Ville")


def test_dataframe_input_and_old_code_warning():
    frame = pd.DataFrame(
        {"nom": ["Aurseulles", "B"], "code_insee": ["14011", "13048"]}, index=[10, 11]
    )
    with pytest.warns(EntityWarning, match=r"index 10 ancien code 14011.*14581 Aurseulles") as w:
        gdf = geo.load_territories(frame)
    assert gdf["codes_insee"].tolist() == ["14581", "13048"]
    # the warning names the caller's line, not one inside geo
    assert [r.filename for r in w] == [__file__]
    assert linecache.getline(__file__, w[0].lineno).strip() == "gdf = geo.load_territories(frame)"


def test_departement_column_stored_as_numbers():
    frame = pd.DataFrame(
        {
            "nom": ["A", "B", "C"],
            "commune": ["Saint-Denis", "Saint-Denis", "Les Mureaux"],
            "departement": [93.0, 974.0, None],  # float column, one blank
        }
    )
    assert frame["departement"].dtype == float
    gdf = geo.load_territories(frame)
    assert gdf["codes_insee"].tolist() == ["93066", "97411", "78440"]
    assert gdf["departement"].tolist() == ["93", "974", "78"]
    ptce = pd.DataFrame({"nom": ["P"], "departement": [93.0], "commune": ["Saint-Denis"]})
    assert geo.load_ptce(ptce)["siege_insee"].tolist() == ["93066"]


def test_name_code_mismatch_warns(tmp_path):
    path = tmp_path / "mm.csv"
    path.write_text("nom,code_insee,commune\nX,73011,Montmélian\nY,78440,Les Mureaux\n")
    with pytest.warns(EntityWarning, match=r'row 2 "Montmélian" is not the commune.*Albertville'):
        gdf = geo.load_territories(path)
    assert gdf["codes_insee"].tolist() == ["73011", "78440"]


# --- GeoJSON --------------------------------------------------------------------------


def test_geojson_own_polygon_point_and_codes():
    gdf = geo.load_territories(TEST_DATA / "territoire_quartier.geojson").set_index("id")
    quartier = gdf.loc["mureaux-centre"]
    assert quartier["precision"] == "infra-communal"
    assert quartier["codes_insee"] == "78440"
    assert pd.isna(quartier["population"])
    drawn = box(1.906, 48.990, 1.915, 48.997)
    assert quartier.geometry.equals(shapely.MultiPolygon([drawn])) or (
        quartier.geometry.symmetric_difference(drawn).area < 1e-12
    )
    assert quartier["porteur"] == "Collectif local"  # extra property kept
    assert gdf.loc["jouques", "codes_insee"] == "13048"
    assert gdf.loc["colombelles-point", "codes_insee"] == "14167"


def test_geojson_polygon_covering_whole_communes(tmp_path):
    communes = _communes("14167", "14118")
    union = shapely.union_all(communes.geometry.values.to_numpy()).buffer(-0.0001)
    frame = gpd.GeoDataFrame({"nom": ["Caen + Colombelles"]}, geometry=[union], crs=4326)
    path = tmp_path / "caen.geojson"
    frame.to_file(path, driver="GeoJSON")
    gdf = geo.load_territories(path)
    assert gdf["codes_insee"].iloc[0] == "14118;14167"
    assert gdf["precision"].iloc[0] == "communes"


def test_many_polygons_read_the_communes_once(monkeypatch):
    import geo.reference.communes

    communes = _communes("78440", "14167", "97411", "13048")
    metric = communes.to_crs(2154)
    inner = metric.geometry.representative_point().buffer(200).to_crs(4326)
    frame = gpd.GeoDataFrame(
        {"nom": list(communes["code_insee"])}, geometry=inner.to_numpy(), crs=4326
    )
    calls = []
    load = geo.reference.communes.load_communes
    monkeypatch.setattr(
        geo.reference.communes, "load_communes", lambda *a, **k: calls.append(k) or load(*a, **k)
    )
    gdf = geo.load_territories(frame)
    assert gdf["codes_insee"].tolist() == gdf["nom"].tolist()
    assert (gdf["precision"] == "infra-communal").all()
    assert len(calls) == 1  # one commune table (and spatial index) for all the polygons


def test_geojson_in_lambert93_declared_as_degrees(tmp_path):
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"nom": "Lambert"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [620000, 6870000],
                            [621000, 6870000],
                            [621000, 6871000],
                            [620000, 6870000],
                        ]
                    ],
                },
            }
        ],
    }
    path = tmp_path / "lambert.geojson"
    path.write_text(json.dumps(document))
    with pytest.raises(CRSError, match=r"lambert.geojson declares EPSG:4326.*Lambert-93"):
        geo.load_territories(path)


def test_geodataframe_without_crs():
    frame = gpd.GeoDataFrame({"nom": ["X"]}, geometry=[box(1.9, 48.99, 1.91, 49.0)])
    with pytest.raises(CRSError, match="has no CRS"):
        geo.load_territories(frame)


def test_geojson_swapped_polygon(tmp_path):
    frame = gpd.GeoDataFrame(
        {"nom": ["Inversé"]}, geometry=[box(48.99, 1.906, 48.997, 1.915)], crs=4326
    )
    path = tmp_path / "swapped.geojson"
    frame.to_file(path, driver="GeoJSON")
    with pytest.raises(CRSError, match="feature 1: latitude/longitude look swapped"):
        geo.load_territories(path)


def test_invalid_polygon_needs_make_valid(tmp_path):
    bowtie = Polygon([(1.906, 48.990), (1.915, 48.997), (1.915, 48.990), (1.906, 48.997)])
    assert not bowtie.is_valid
    frame = gpd.GeoDataFrame(
        {"id": ["noeud"], "nom": ["Nœud papillon"]}, geometry=[bowtie], crs=4326
    )
    path = tmp_path / "bowtie.geojson"
    frame.to_file(path, driver="GeoJSON")
    with pytest.raises(InvalidGeometryError, match=r"id 'noeud'.*make_valid=True"):
        geo.load_territories(path)
    gdf = geo.load_territories(path, make_valid=True)
    assert gdf.geometry.iloc[0].is_valid
    assert gdf["codes_insee"].iloc[0] == "78440"


def test_qpv_codes_give_infra_communal_territory():
    mureaux = _communes("78440").geometry.iloc[0]
    inner = mureaux.representative_point().buffer(0.003)
    qpv = gpd.GeoDataFrame({"code_qp": ["QN07899X"]}, geometry=[inner], crs=4326)
    frame = pd.DataFrame({"nom": ["Quartier"], "qpv": ["QN07899X"]})
    gdf = geo.load_territories(frame, qpv=qpv)
    assert gdf["precision"].iloc[0] == "infra-communal"
    assert gdf["codes_insee"].iloc[0] == "78440"
    assert gdf["qpv_codes"].iloc[0] == "QN07899X"
    frame = pd.DataFrame({"nom": ["Quartier"], "qpv": ["QN00000Z"]})
    with pytest.raises(SchemaError, match=r"index 0.*QN00000Z"):
        geo.load_territories(frame, qpv=qpv)


# --- the user's file is never touched --------------------------------------------------


@pytest.mark.parametrize(
    "name", ["messy_territories.csv", "territoires_excel_fr.csv", "territoire_quartier.geojson"]
)
def test_file_unchanged(tmp_path, name):
    path = _copy(name, tmp_path)
    before = (file_sha256(path), path.stat().st_mtime_ns, path.stat().st_size)
    listing = sorted(p.name for p in tmp_path.iterdir())
    geo.load_territories(path)
    assert (file_sha256(path), path.stat().st_mtime_ns, path.stat().st_size) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing


def test_xlsx_unchanged(tmp_path):
    path = tmp_path / "t.xlsx"
    _write_xlsx(path, [["Nom", "INSEE"], ["Jouques", "13048"]])
    before = (file_sha256(path), path.stat().st_mtime_ns)
    geo.load_territories(path)
    assert (file_sha256(path), path.stat().st_mtime_ns) == before


# --- PTCE ---------------------------------------------------------------------------------


def test_ptce_seats_offline(monkeypatch):
    monkeypatch.setattr(settings, "offline", True)
    with pytest.warns(EntityWarning, match=r"row 6 .*1 place de la Mairie.*town hall of 63430"):
        gdf = geo.load_ptce(TEST_DATA / "ptce_sieges.csv")
    assert list(gdf.columns[: len(table_columns("ptce"))]) == table_columns("ptce")
    by_id = gdf.set_index("id")
    mureaux = by_id.loc["pole-ess-des-mureaux"]
    assert (mureaux["siege_insee"], mureaux["precision_siege"], mureaux["precision"]) == (
        "78440",
        "mairie",
        "siege",
    )
    town_hall = geo.commune_attributes().set_index("code_insee").loc["78440"]
    assert mureaux.geometry.equals(Point(town_hall["mairie_lon"], town_hall["mairie_lat"]))
    # Coordinates given: the seat commune comes from the point ("Le Port" alone is ambiguous).
    ecopal = by_id.loc["ecopal"]
    assert (ecopal["siege_insee"], ecopal["precision_siege"], ecopal["zone"]) == (
        "97407",
        "point",
        "reunion",
    )
    assert ecopal.geometry.equals(Point(55.2919, -20.9373))
    assert ecopal["site_web"] == "https://example.org/ecopal"
    caen = by_id.loc["pole-de-la-plaine-de-caen"]
    assert caen["codes_insee"] == "14167;14118"
    assert (caen["precision"], caen["precision_siege"]) == ("communes", "point-sur-surface")
    area = shapely.union_all(_communes("14167", "14118").geometry.values.to_numpy())
    assert area.contains(caen.geometry)
    assert by_id.loc["pole-thiernois", "precision_siege"] == "mairie"
    assert by_id.loc["pole-thiernois", "Adresse"] == "1 place de la Mairie"  # kept
    assert gdf.geom_type.eq("Point").all()


def test_ptce_address_geocoded(local_server, fresh_cache, monkeypatch):
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [3.5479, 45.8571]},
        "properties": {
            "label": "1 Place de la Mairie 63300 Thiers",
            "score": 0.93,
            "type": "housenumber",
            "citycode": "63430",
        },
    }
    body = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    local_server.route("/search/", Reply(200, body, {"Content-Type": "application/json"}))
    monkeypatch.setattr(settings, "ban_url", local_server.url)
    frame = pd.DataFrame(
        {"nom": ["Pôle Thiernois"], "adresse": ["1 place de la Mairie"], "ville": ["Thiers"]}
    )
    gdf = geo.load_ptce(frame)
    assert gdf["precision_siege"].iloc[0] == "adresse"
    assert gdf.geometry.iloc[0].equals(Point(3.5479, 45.8571))
    assert gdf["siege_insee"].iloc[0] == "63430"
    hits = local_server.hits("/search/")
    assert len(hits) == 1 and "citycode=63430" in hits[0].path


def test_ptce_geocoding_reasons_per_row(local_server, fresh_cache, monkeypatch):
    def answer(score: float, kind: str, code: str) -> Reply:
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [2.0, 48.0]},
            "properties": {"label": "x", "score": score, "type": kind, "citycode": code},
        }
        body = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
        return Reply(200, body, {"Content-Type": "application/json"})

    local_server.route(
        "/search/", answer(0.2, "housenumber", "63430"), answer(0.9, "municipality", "78440")
    )
    monkeypatch.setattr(settings, "ban_url", local_server.url)
    frame = pd.DataFrame(
        {
            "nom": ["Pôle Thiernois", "Pôle des Mureaux"],
            "adresse": ["1 place de la Mairie", "2 rue Inconnue"],
            "code_insee": ["63430", "78440"],
        }
    )
    with pytest.warns(EntityWarning) as caught:
        gdf = geo.load_ptce(frame)
    assert gdf["precision_siege"].tolist() == ["mairie", "mairie"]
    text = "\n".join(str(w.message) for w in caught if "approximate" in str(w.message))
    assert re.search(r"index 0 .*town hall of 63430 \(BAN score 0\.20 < 0\.5\)", text)
    assert re.search(r"index 1 .*town hall of 78440 \(BAN result type 'municipality'\)", text)


def test_ptce_departement_only_is_placed_inside_its_departement(tmp_path):
    # As the shipped-data build does (geo.reference.placement): a point inside the département.
    path = tmp_path / "dep.csv"
    path.write_text("nom,departement,commune\nPTCE Oise Ouest,60,\nAutre,78,Les Mureaux\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", EntityWarning)  # located: nothing to warn about
        gdf = geo.load_ptce(path)
    assert gdf["precision"].tolist() == ["departement", "siege"]
    oise = shapely.union_all(geo.load_communes(departements="60").geometry.values.to_numpy())
    assert oise.contains(gdf.geometry.iloc[0])
    assert gdf["precision_siege"].iloc[0] == "point-sur-surface"
    assert gdf["region"].iloc[0] == "32"


# --- shipped data -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loader", "name", "columns"),
    [
        (geo.load_territories, "territories.geojson", table_columns("territories")),
        (geo.load_ptce, "ptce.geojson", table_columns("ptce")),
    ],
)
def test_shipped_data_loads(loader, name, columns):
    if not (ROOT / "data" / name).is_file():
        pytest.skip(f"data/{name} is not built yet in this checkout")
    gdf = loader()
    assert gdf.crs == "EPSG:4326"
    assert list(gdf.columns[: len(columns)]) == columns
    assert gdf["id"].is_unique
    assert len(gdf) > 20
    located = gdf[gdf.geometry.notna()]
    assert located.geometry.is_valid.all()


def test_shipped_data_missing(monkeypatch, tmp_path):
    from geo.loading import shipped_tables

    monkeypatch.setattr(shipped_tables, "data_dir", lambda: tmp_path)
    with pytest.raises(DataSourceError, match=r"territories.geojson is missing.*path="):
        geo.load_territories()


def test_ambiguous_and_unknown_told_apart_by_type_not_text():
    # A name whose text says "is ambiguous" is still only unknown.
    frame = pd.DataFrame({"nom": ["T"], "commune": ["Ville is ambiguous"]})
    with pytest.raises(UnknownCommuneError) as info:
        geo.load_territories(frame)
    assert not isinstance(info.value, AmbiguousCommuneError)
    with pytest.raises(AmbiguousCommuneError, match="Saint-Denis"):
        geo.load_territories(pd.DataFrame({"nom": ["T"], "commune": ["Saint-Denis"]}))
