"""Shipped data: the tables in data/, the GeoJSON built from them, the quality report."""

from __future__ import annotations

import csv
import json
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import geo.settings
from geo import datasets
from geo.communes import MissingGeometryWarning, commune_attributes, load_communes
from geo.crs import check_lonlat
from geo.errors import DataSourceError, SchemaError

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, session_cache: Path):
    """One build of the committed tables into a temporary folder, plus the frames."""
    out = tmp_path_factory.mktemp("built")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(geo.settings, "cache_dir", session_cache)
        paths = datasets.build_data(DATA, out)
        frames = datasets.build_frames(DATA)
    return paths, frames


@pytest.fixture(scope="module")
def features(built) -> dict[str, dict[str, dict]]:
    paths, _ = built
    result = {}
    for key, path in paths.items():
        collection = json.loads(path.read_text(encoding="utf-8"))
        result[key] = {f["properties"]["id"]: f for f in collection["features"]}
    return result


@pytest.fixture()
def tables(tmp_path: Path) -> Path:
    """A writable copy of the two committed tables."""
    for name in (datasets.TERRITORIES_CSV, datasets.PTCE_CSV):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _line_of(rows: list[dict[str, str]], row_id: str) -> int:
    return 2 + [r["id"] for r in rows].index(row_id)


# --- committed files ----------------------------------------------------------


def test_committed_geojson_is_a_fresh_build(built):
    paths, _ = built
    for path in paths.values():
        committed = DATA / path.name
        assert committed.is_file(), f"{committed} missing: run `python -m geo data build`"
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed.name} differs from a fresh build of the tables: "
            "run `python -m geo data build` and commit the result"
        )


def test_rebuild_is_byte_identical(built, tmp_path):
    paths, _ = built
    again = datasets.build_data(DATA, tmp_path)
    for key, path in paths.items():
        assert again[key].read_bytes() == path.read_bytes()


def test_geojson_layout(built, features):
    paths, (territories, ptce) = built
    for key, path in paths.items():
        text = path.read_text(encoding="utf-8")
        assert text.startswith('{"type":"FeatureCollection","features":[\n')
        ids = list(features[key])
        assert ids == sorted(ids)
    first = next(iter(features["territories"].values()))
    assert list(first["properties"]) == datasets.TERRITORY_PROPERTIES
    first = next(iter(features["ptce"].values()))
    assert list(first["properties"]) == datasets.PTCE_PROPERTIES
    assert sum(p.stat().st_size for p in paths.values()) < datasets.MAX_GEOJSON_BYTES
    # readable by geopandas, with the schema's columns
    loaded = gpd.read_file(paths["territories"])
    assert loaded.crs.to_epsg() == 4326
    assert list(loaded.columns[:-1]) == datasets.TERRITORY_PROPERTIES
    assert len(loaded) == len(territories)
    assert len(gpd.read_file(paths["ptce"])) == len(ptce)


def _coordinates(geometry: dict) -> list[list[float]]:
    if geometry["type"] == "Point":
        return [geometry["coordinates"]]
    return [xy for polygon in geometry["coordinates"] for ring in polygon for xy in ring]


def test_coordinates_rounded_and_in_their_zone(features):
    for collection in features.values():
        for fid, feature in collection.items():
            if feature["geometry"] is None:
                continue
            for x, y in _coordinates(feature["geometry"]):
                assert round(x, 5) == x and round(y, 5) == y, fid
            shape = shapely.geometry.shape(feature["geometry"])
            point = shapely.point_on_surface(shape)
            assert check_lonlat(point.x, point.y, fid) is None
            assert feature["properties"]["zone"], fid


def test_territory_geometries(built):
    _, (territories, _) = built
    located = territories[territories.geometry.notna()]
    assert (located.geom_type == "MultiPolygon").all()
    assert located.geometry.is_valid.all()
    unknown = territories["precision"] == "inconnu"
    assert territories.geometry.isna().equals(unknown)
    assert territories.loc[unknown, "population"].isna().all()
    assert territories.loc[~unknown, "population"].gt(0).all()


# --- contents versus the reference tables ---------------------------------------


def test_every_reference_territory_is_present_with_its_sources(shared_reference, built):
    _, (territories, _) = built
    by_id = territories.set_index("id")
    for name, statut in (("tz_territories.csv", "TH"), ("tz_emergents.csv", "PE")):
        reference = pd.read_csv(shared_reference / name, dtype=str, keep_default_na=False)
        assert (reference["status"] == statut).all()
        for ref in reference.itertuples():
            assert ref.id in by_id.index, f"{ref.id} ({name}) missing from the data"
            row = by_id.loc[ref.id]
            assert row["statut"] == statut
            sources = row["sources"].split(" | ")
            for url in ref.source_urls.split(" ; "):
                assert url.strip() in sources, f"{ref.id}: source {url} lost"
    th = territories[territories["statut"] == "TH"]
    assert len(th) == len(pd.read_csv(shared_reference / "tz_territories.csv"))


def test_every_reference_ptce_is_present_with_its_sources(shared_reference, built):
    _, (_, ptce) = built
    by_id = ptce.set_index("id")
    reference = pd.read_csv(shared_reference / "ptce.csv", dtype=str, keep_default_na=False)
    assert set(reference["id"]) == set(by_id.index)
    for ref in reference.itertuples():
        row = by_id.loc[ref.id]
        for item in ref.sources.split(" | "):
            assert item.strip() in row["sources"].split(" | "), f"{ref.id}: {item} lost"
        assert row["siege_insee"] == ref.seat_insee
        assert row["codes_insee"] == ref.area_communes


def test_seed_pairs_present_and_located(shared_reference, built):
    _, (territories, ptce) = built
    t_by_id, p_by_id = territories.set_index("id"), ptce.set_index("id")
    pairs = pd.read_csv(shared_reference / "seed_pairs.csv", dtype=str, keep_default_na=False)
    for pair in pairs.itertuples():
        tz_id = pair.tz_id or "sud-oise-villers-saint-paul"
        territory = t_by_id.loc[tz_id]
        assert territory["statut"] == pair.statut_tz
        assert territory["precision"] != "inconnu"
        assert territory.geometry is not None, tz_id
        assert territory["sources"], tz_id
        item = p_by_id.loc[pair.ptce_id]
        assert item.geometry is not None, pair.ptce_id
        if item["siege_insee"]:
            assert item["precision_siege"] == "mairie"
    sud_oise = t_by_id.loc["sud-oise-villers-saint-paul"]
    assert sud_oise["codes_insee"] == "60684"
    assert sud_oise["communes"] == "Villers-Saint-Paul"
    assert "seed_pairs" in sud_oise["notes"]
    assert datasets.NO_SOURCE_MARKER in sud_oise["sources"]


def test_perimeters_follow_the_official_boundaries(built):
    _, (territories, ptce) = built
    by_id = territories.set_index("id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingGeometryWarning)
        communes = load_communes(types=("COM", "ARM")).set_index("code_insee")
    # Paris 13e: the arrondissement, not the whole of Paris.
    paris13 = by_id.loc["paris-13"]
    arm = communes.loc["75113"]
    assert paris13["codes_insee"] == "75113"
    assert paris13["population"] == arm["population"]
    assert paris13.geometry.area == pytest.approx(arm.geometry.area, rel=1e-3)
    # Cœur de Savoie: known at the EPCI level only -> every member commune.
    savoie = by_id.loc["coeur-de-savoie-val-gelon"]
    members = communes[(communes["epci_siren"] == "200041010") & (communes["type"] == "COM")]
    assert savoie["precision"] == "epci"
    assert savoie["codes_insee"].split(";") == sorted(members.index)
    assert savoie["population"] == members["population"].sum()
    union = shapely.union_all(members.geometry.values.to_numpy())
    assert savoie.geometry.symmetric_difference(union).area < 1e-4 * union.area
    # A PTCE seat is the town hall of its commune.
    seat = ptce.set_index("id").loc["vivre-les-mureaux"]
    mureaux = communes.loc["78440"]
    assert seat.geometry.x == pytest.approx(mureaux["mairie_lon"], abs=1e-5)
    assert seat.geometry.y == pytest.approx(mureaux["mairie_lat"], abs=1e-5)
    assert seat.geometry.within(mureaux.geometry)


def test_ptce_points_and_precision(built):
    _, (_, ptce) = built
    located = ptce.geometry.notna()
    assert (ptce.loc[located].geom_type == "Point").all()
    assert (ptce.loc[~located, "precision_siege"] == "inconnu").all()
    assert (ptce.loc[located, "precision_siege"] != "inconnu").all()
    with_seat = ptce["siege_insee"] != ""
    assert located[with_seat].all()
    assert set(ptce["precision"]) <= set(datasets.PTCE_PRECISIONS)
    # a PTCE known at département level gets a point inside its département
    communes = load_communes(types=("COM",), departements="60")
    oise_ouest = ptce.set_index("id").loc["oise-ouest"]
    assert oise_ouest["precision"] == "departement"
    assert shapely.union_all(communes.geometry.values.to_numpy()).contains(oise_ouest.geometry)


# --- report ----------------------------------------------------------------------


def test_report_numbers_are_consistent(built):
    _, frames = built
    territories, ptce = frames
    numbers = datasets.report_numbers(frames=frames)
    t, p = numbers["territories"], numbers["ptce"]
    assert t["total"] == len(territories) and p["total"] == len(ptce)
    for key in ("by_statut", "by_precision", "by_confiance"):
        assert sum(t[key].values()) == t["total"], key
    for key in ("by_precision", "by_precision_siege", "by_confiance"):
        assert sum(p[key].values()) == p["total"], key
    assert {i["id"] for i in t["unlocated"]} == set(
        territories.loc[territories.geometry.isna(), "id"]
    )
    assert {i["id"] for i in p["unlocated"]} == set(ptce.loc[ptce.geometry.isna(), "id"])
    assert len(t["infra_communal"]) == t["by_precision"]["infra-communal"]
    assert len(t["epci"]) == t["by_precision"]["epci"]
    marked = set(ptce.loc[ptce["sources"].str.contains(datasets.NO_SOURCE_MARKER), "id"])
    assert marked and marked <= {i["id"] for i in p["without_public_source"]}
    assert "sud-oise-villers-saint-paul" in {i["id"] for i in t["without_public_source"]}
    pe = set(territories.loc[territories["statut"] == "PE", "id"])
    assert {i["id"] for i in t["pe_unknown_status"]} <= pe
    assert t["by_statut"]["PE"] == len(pe)
    placed = (ptce["precision"] == "departement") & ptce.geometry.notna()
    assert {i["id"] for i in p["departement_only"]} == set(ptce.loc[placed, "id"])


def test_data_report_in_french(built):
    _, frames = built
    numbers = datasets.report_numbers(frames=frames)
    text = datasets.data_report(DATA)
    assert f"Territoires TZCLD : {numbers['territories']['total']}" in text
    assert f"PTCE : {numbers['ptce']['total']}" in text
    assert "sans source publique" in text
    for item in numbers["territories"]["unlocated"] + numbers["ptce"]["without_public_source"]:
        assert f"- {item['id']} : {item['nom']}" in text


def test_pe_marked_as_checked_leaves_the_unknown_list(tables):
    rows = _rows(tables / datasets.TERRITORIES_CSV)
    row = next(r for r in rows if r["id"] == "la-palme")
    row["notes"] = "Statut actuel vérifié : toujours projet émergent (exemple)."
    _write_rows(tables / datasets.TERRITORIES_CSV, rows)
    numbers = datasets.report_numbers(tables)
    unknown = {i["id"] for i in numbers["territories"]["pe_unknown_status"]}
    assert "la-palme" not in unknown
    assert "argeles-sur-mer" in unknown


# --- validation ------------------------------------------------------------------


def test_csv_columns_are_the_schema_minus_derived_fields():
    from geo.schema import PTCE_FIELDS, TERRITORY_FIELDS

    assert datasets.TERRITORY_CSV_COLUMNS == [
        f for f in TERRITORY_FIELDS if f not in ("region", "population", "zone")
    ]
    assert datasets.PTCE_CSV_COLUMNS == [
        f for f in PTCE_FIELDS if f not in ("region", "precision_siege", "zone")
    ]
    for name, columns in (
        (datasets.TERRITORIES_CSV, datasets.TERRITORY_CSV_COLUMNS),
        (datasets.PTCE_CSV, datasets.PTCE_CSV_COLUMNS),
    ):
        with open(DATA / name, encoding="utf-8", newline="") as handle:
            assert next(csv.reader(handle)) == columns, name


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_tables_saved_by_a_spreadsheet_are_read(tables, encoding):
    expected = datasets.read_tables(tables)[1]
    path = tables / datasets.PTCE_CSV
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    _, ptce = datasets.read_tables(tables)
    pd.testing.assert_frame_equal(ptce, expected)
    assert ptce["nom"].str.contains("é").any()


def test_undecodable_table_names_the_file(tables):
    path = tables / datasets.PTCE_CSV
    path.write_bytes(b"\xff\xfe" + b"\x00\xd8" * 3)  # UTF-16 mark, lone surrogates
    with pytest.raises(SchemaError, match=r"cannot decode .*ptce\.csv"):
        datasets.read_tables(tables)


def test_overlong_cell_is_a_schema_error_with_its_line(tables):
    path = tables / datasets.PTCE_CSV
    rows = _rows(path)
    text = path.read_text(encoding="utf-8")
    line = 2 + len(rows)
    path.write_text(text + 'x,"' + "a" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=rf"ptce\.csv: line {line} cannot be read as CSV"):
        datasets.read_tables(tables)


def test_duplicate_id_names_both_lines(tables):
    path = tables / datasets.TERRITORIES_CSV
    rows = _rows(path)
    first = _line_of(rows, "jouques")
    rows.append(dict(rows[first - 2]))
    _write_rows(path, rows)
    with pytest.raises(SchemaError, match=rf"duplicate id \(lines {first}, {len(rows) + 1}\)"):
        datasets.build_data(tables)
    assert not (tables / datasets.TERRITORIES_GEOJSON).exists()


def test_unknown_code_names_the_row(tables):
    path = tables / datasets.PTCE_CSV
    rows = _rows(path)
    row = next(r for r in rows if r["id"] == "auton-homme")
    row["siege_insee"] = "59999"
    _write_rows(path, rows)
    line = _line_of(rows, "auton-homme")
    with pytest.raises(SchemaError, match=rf"line {line} \(id 'auton-homme'\).*'59999'"):
        datasets.read_tables(tables)


def test_delegated_commune_code_points_to_its_parent(tables):
    attributes = commune_attributes()
    com_codes = set(attributes.loc[attributes["type"] == "COM", "code_insee"])
    delegated = attributes[
        (attributes["type"] == "COMD") & ~attributes["code_insee"].isin(com_codes)
    ].iloc[0]
    path = tables / datasets.TERRITORIES_CSV
    rows = _rows(path)
    row = next(r for r in rows if r["id"] == "colombelles")
    row.update(codes_insee=delegated["code_insee"], communes="", departement="")
    _write_rows(path, rows)
    with pytest.raises(SchemaError, match=f"use the code {delegated['parent']}"):
        datasets.read_tables(tables)


def test_all_problems_are_reported_at_once(tables):
    path = tables / datasets.TERRITORIES_CSV
    rows = _rows(path)
    rows[0]["statut"] = "XX"
    rows[1]["precision"] = "quartier"
    rows[2]["communes"] = "Lyon"
    rows[3]["epci_siren"] = "123456789"
    _write_rows(path, rows)
    with pytest.raises(SchemaError) as info:
        datasets.read_tables(tables)
    problems = info.value.problems
    assert len(problems) == 4
    for text in ("statut 'XX'", "precision 'quartier'", "name 'Lyon'", "'123456789'"):
        assert any(text in p for p in problems), text


def test_missing_sources_are_reported_not_rejected(tables):
    path = tables / datasets.PTCE_CSV
    rows = _rows(path)
    row = next(r for r in rows if r["id"] == "phares")
    row["sources"] = ""
    _write_rows(path, rows)
    numbers = datasets.report_numbers(tables)
    missing = {i["id"]: i["raison"] for i in numbers["ptce"]["without_public_source"]}
    assert missing["phares"] == "aucune source"


def test_missing_column_and_missing_table(tables):
    path = tables / datasets.PTCE_CSV
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=["confiance"])
    frame.to_csv(path, index=False)
    with pytest.raises(SchemaError, match="confiance"):
        datasets.read_tables(tables)
    path.unlink()
    with pytest.raises(DataSourceError, match=r"ptce\.csv"):
        datasets.read_tables(tables)


# --- one-off import ----------------------------------------------------------------


def test_import_reference(shared_reference, tmp_path):
    paths = datasets.import_reference(shared_reference, tmp_path)
    territories = _rows(paths["territories"])
    ptce = _rows(paths["ptce"])
    reference_th = _rows(shared_reference / "tz_territories.csv")
    reference_pe = _rows(shared_reference / "tz_emergents.csv")
    assert len(territories) == len(reference_th) + len(reference_pe) + 1
    assert len(ptce) == len(_rows(shared_reference / "ptce.csv"))
    assert list(territories[0]) == datasets.TERRITORY_CSV_COLUMNS
    assert list(ptce[0]) == datasets.PTCE_CSV_COLUMNS
    by_id = {r["id"]: r for r in territories}
    assert by_id["sud-oise-villers-saint-paul"]["statut"] == "PE"
    assert by_id["paris-13"]["precision"] == "infra-communal"
    assert by_id["colombelles"]["precision"] == "communes"
    assert by_id["trieves"]["precision"] == "epci"
    assert by_id["monts-et-barrages"]["precision"] == "inconnu"
    datasets.read_tables(tmp_path)  # the imported tables are valid
    with pytest.raises(FileExistsError, match="overwrite=True"):
        datasets.import_reference(shared_reference, tmp_path)
