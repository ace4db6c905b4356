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
from geo.crs import check_lonlat
from geo.errors import DataSourceError, SchemaError
from geo.reference.communes import MissingGeometryWarning, commune_attributes, load_communes
from geo.reference.qpv import qpv_list
from geo.schema import PTCE_PRECISIONS, TERRITORY_PRECISIONS, field_names
from geo.shipped.build import MAX_GEOJSON_BYTES, build_data, build_frames
from geo.shipped.layers import QPV_NOT_DRAWN
from geo.shipped.report import data_report, qpv_summary, report_numbers
from geo.shipped.tables import NO_SOURCE_MARKER, PTCE_CSV, TERRITORIES_CSV, TERRITORIES_GEOJSON
from geo.shipped.validate import read_tables
from scripts.import_reference import import_reference
from tests.conftest import Reply

DATA = Path(__file__).resolve().parent.parent / "data"


def _additions(reference: Path) -> Path:
    path = reference / "additions-2026-12"
    if not path.is_dir():
        pytest.skip(f"researched additions not found at {path}")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, session_cache: Path):
    """One build of the committed tables into a temporary folder, plus the frames."""
    out = tmp_path_factory.mktemp("built")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(geo.settings, "cache_dir", session_cache)
        paths = build_data(DATA, out)
        frames = build_frames(DATA)
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
    for name in (TERRITORIES_CSV, PTCE_CSV):
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
    again = build_data(DATA, tmp_path)
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
    assert list(first["properties"]) == field_names("territories")
    first = next(iter(features["ptce"].values()))
    assert list(first["properties"]) == field_names("ptce")
    assert sum(p.stat().st_size for p in paths.values()) < MAX_GEOJSON_BYTES
    # readable by geopandas, with the schema's columns
    loaded = gpd.read_file(paths["territories"])
    assert loaded.crs.to_epsg() == 4326
    assert list(loaded.columns[:-1]) == field_names("territories")
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
    additions = pd.read_csv(_additions(shared_reference) / "tz_additions.csv", dtype=str)
    expected = len(pd.read_csv(shared_reference / "tz_territories.csv"))
    assert len(th) == expected + (additions["statut"] == "TH").sum()


def test_every_reference_ptce_is_present_with_its_sources(shared_reference, built):
    _, (_, ptce) = built
    by_id = ptce.set_index("id")
    reference = pd.read_csv(shared_reference / "ptce.csv", dtype=str, keep_default_na=False)
    added = pd.read_csv(_additions(shared_reference) / "ptce_additions.csv", dtype=str)
    assert set(reference["id"]) | set(added["id"]) == set(by_id.index)
    fixed = set(pd.read_csv(_additions(shared_reference) / "ptce_seat_fixes.csv", dtype=str)["id"])
    for ref in reference.itertuples():
        row = by_id.loc[ref.id]
        for item in ref.sources.split(" | "):
            url, _, remark = item.strip().partition(" ")
            if url.startswith(("http://", "https://")):
                # the URL stays a public source; a remark beside it moves to notes
                assert url in row["sources"].split(" | "), f"{ref.id}: {url} lost"
                assert remark.strip() in row["notes"], f"{ref.id}: {remark} lost"
            else:
                assert item.strip() in row["notes"], f"{ref.id}: {item} lost"
        assert row["siege_insee"] == ref.seat_insee
        if ref.id not in fixed:
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
        assert territory["sources"] or NO_SOURCE_MARKER in territory["notes"], tz_id
        item = p_by_id.loc[pair.ptce_id]
        assert item.geometry is not None, pair.ptce_id
        if item["siege_insee"]:
            assert item["precision_siege"] == "mairie"
    sud_oise = t_by_id.loc["sud-oise-villers-saint-paul"]
    assert sud_oise["codes_insee"] == "60684"
    assert sud_oise["communes"] == "Villers-Saint-Paul"
    assert "seed_pairs" in sud_oise["notes"]
    assert NO_SOURCE_MARKER in sud_oise["notes"]
    assert sud_oise["sources"] == ""


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
    # A quartier: its arrondissement's population is an upper bound, never its population.
    assert paris13["population_communes"] == arm["population"]
    assert pd.isna(paris13["population"])
    assert paris13["population_source"] == "inconnue"
    assert paris13.geometry.area == pytest.approx(arm.geometry.area, rel=1e-3)
    # Cœur de Savoie: known at the EPCI level only -> every member commune.
    savoie = by_id.loc["coeur-de-savoie-val-gelon"]
    members = communes[(communes["epci_siren"] == "200041010") & (communes["type"] == "COM")]
    assert savoie["precision"] == "epci"
    assert savoie["codes_insee"].split(";") == sorted(members.index)
    assert savoie["population_communes"] == members["population"].sum()
    # The source names the Val Gelon, a part of the CC: the CC's population is not its own.
    assert pd.isna(savoie["population"])
    assert savoie["precision_note"].startswith("Périmètre approché")
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
    assert set(ptce["precision"]) <= set(PTCE_PRECISIONS)
    # a PTCE known at département level gets a point inside its département
    communes = load_communes(types=("COM",), departements="60")
    oise_ouest = ptce.set_index("id").loc["oise-ouest"]
    assert oise_ouest["precision"] == "departement"
    assert shapely.union_all(communes.geometry.values.to_numpy()).contains(oise_ouest.geometry)


# --- report ----------------------------------------------------------------------


def test_report_numbers_are_consistent(built):
    _, frames = built
    territories, ptce = frames
    numbers = report_numbers(frames=frames)
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
    marked = set(ptce.loc[ptce["notes"].str.contains(NO_SOURCE_MARKER), "id"])
    assert marked and marked <= {i["id"] for i in p["without_public_source"]}
    assert not ptce["sources"].str.contains(NO_SOURCE_MARKER).any()
    assert "sud-oise-villers-saint-paul" in {i["id"] for i in t["without_public_source"]}
    pe = set(territories.loc[territories["statut"] == "PE", "id"])
    assert {i["id"] for i in t["pe_unknown_status"]} <= pe
    assert t["by_statut"]["PE"] == len(pe)
    placed = (ptce["precision"] == "departement") & ptce.geometry.notna()
    assert {i["id"] for i in p["departement_only"]} == set(ptce.loc[placed, "id"])


def test_data_report_in_french(built):
    _, frames = built
    numbers = report_numbers(frames=frames)
    text = data_report(DATA)
    assert f"Territoires TZCLD : {numbers['territories']['total']}" in text
    assert f"PTCE : {numbers['ptce']['total']}" in text
    assert "sans source publique" in text
    for item in numbers["territories"]["unlocated"] + numbers["ptce"]["without_public_source"]:
        assert f"- {item['id']} : {item['nom']}" in text


def test_pe_marked_as_checked_leaves_the_unknown_list(tables):
    rows = _rows(tables / TERRITORIES_CSV)
    row = next(r for r in rows if r["id"] == "la-palme")
    row["notes"] = "Statut actuel vérifié : toujours projet émergent (exemple)."
    _write_rows(tables / TERRITORIES_CSV, rows)
    numbers = report_numbers(tables)
    unknown = {i["id"] for i in numbers["territories"]["pe_unknown_status"]}
    assert "la-palme" not in unknown
    assert "argeles-sur-mer" in unknown


# --- validation ------------------------------------------------------------------


def test_csv_columns_are_the_schema_minus_derived_fields():
    assert field_names("territories", derived=True) == [
        "region",
        "date_precision",
        "population",
        "population_source",
        "population_communes",
        "zone",
    ]
    assert field_names("ptce", derived=True) == ["region", "precision_siege", "zone"]
    for name, table in ((TERRITORIES_CSV, "territories"), (PTCE_CSV, "ptce")):
        columns = field_names(table, derived=False)
        derived = field_names(table, derived=True)
        assert columns == [f for f in field_names(table) if f not in derived]
        with open(DATA / name, encoding="utf-8", newline="") as handle:
            assert next(csv.reader(handle)) == columns, name


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_tables_saved_by_a_spreadsheet_are_read(tables, encoding):
    expected = read_tables(tables)[1]
    path = tables / PTCE_CSV
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    _, ptce = read_tables(tables)
    pd.testing.assert_frame_equal(ptce, expected)
    assert ptce["nom"].str.contains("é").any()


def test_undecodable_table_names_the_file(tables):
    path = tables / PTCE_CSV
    path.write_bytes(b"\xff\xfe" + b"\x00\xd8" * 3)  # UTF-16 mark, lone surrogates
    with pytest.raises(SchemaError, match=r"cannot decode .*ptce\.csv"):
        read_tables(tables)


def test_overlong_cell_is_a_schema_error_with_its_line(tables):
    path = tables / PTCE_CSV
    rows = _rows(path)
    text = path.read_text(encoding="utf-8")
    line = 2 + len(rows)
    path.write_text(text + 'x,"' + "a" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=rf"ptce\.csv: line {line} cannot be read as CSV"):
        read_tables(tables)


def test_duplicate_id_names_both_lines(tables):
    path = tables / TERRITORIES_CSV
    rows = _rows(path)
    first = _line_of(rows, "jouques")
    rows.append(dict(rows[first - 2]))
    _write_rows(path, rows)
    with pytest.raises(SchemaError, match=rf"duplicate id \(lines {first}, {len(rows) + 1}\)"):
        build_data(tables)
    assert not (tables / TERRITORIES_GEOJSON).exists()


def test_unknown_code_names_the_row(tables):
    path = tables / PTCE_CSV
    rows = _rows(path)
    row = next(r for r in rows if r["id"] == "auton-homme")
    row["siege_insee"] = "59999"
    _write_rows(path, rows)
    line = _line_of(rows, "auton-homme")
    with pytest.raises(SchemaError, match=rf"line {line} \(id 'auton-homme'\).*'59999'"):
        read_tables(tables)


def test_delegated_commune_code_points_to_its_parent(tables):
    attributes = commune_attributes()
    com_codes = set(attributes.loc[attributes["type"] == "COM", "code_insee"])
    delegated = attributes[
        (attributes["type"] == "COMD") & ~attributes["code_insee"].isin(com_codes)
    ].iloc[0]
    path = tables / TERRITORIES_CSV
    rows = _rows(path)
    row = next(r for r in rows if r["id"] == "colombelles")
    row.update(codes_insee=delegated["code_insee"], communes="", departement="")
    _write_rows(path, rows)
    with pytest.raises(SchemaError, match=f"use the code {delegated['parent']}"):
        read_tables(tables)


def test_all_problems_are_reported_at_once(tables):
    path = tables / TERRITORIES_CSV
    rows = _rows(path)
    rows[0]["statut"] = "XX"
    rows[1]["precision"] = "quartier"
    rows[2]["communes"] = "Lyon"
    rows[3]["epci_siren"] = "123456789"
    _write_rows(path, rows)
    with pytest.raises(SchemaError) as info:
        read_tables(tables)
    problems = info.value.problems
    assert len(problems) == 4
    for text in ("statut 'XX'", "precision 'quartier'", "name 'Lyon'", "'123456789'"):
        assert any(text in p for p in problems), text


def test_missing_sources_are_reported_not_rejected(tables):
    path = tables / PTCE_CSV
    rows = _rows(path)
    row = next(r for r in rows if r["id"] == "phares")
    row["sources"] = ""
    _write_rows(path, rows)
    numbers = report_numbers(tables)
    missing = {i["id"]: i["raison"] for i in numbers["ptce"]["without_public_source"]}
    assert missing["phares"] == "aucune source"


def test_missing_column_and_missing_table(tables):
    path = tables / PTCE_CSV
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=["confiance"])
    frame.to_csv(path, index=False)
    with pytest.raises(SchemaError, match="confiance"):
        read_tables(tables)
    path.unlink()
    with pytest.raises(DataSourceError, match=r"ptce\.csv"):
        read_tables(tables)


# --- one-off import (scripts/import_reference.py) -----------------------------------


def test_the_importer_is_not_part_of_the_package():
    modules = sorted((Path(geo.__file__).parent / "shipped").glob("*.py"))
    assert len(modules) >= 7, modules  # build, diff, layers, referential, report, tables, validate
    for module in modules:
        source = module.read_text(encoding="utf-8")
        assert "_TERRITORY_DECISIONS" not in source, module
        assert "import_reference" not in source.replace("scripts/import_reference.py", ""), module


def test_import_reference(shared_reference, tmp_path):
    paths = import_reference(shared_reference, tmp_path)
    territories = _rows(paths["territories"])
    ptce = _rows(paths["ptce"])
    reference_th = _rows(shared_reference / "tz_territories.csv")
    reference_pe = _rows(shared_reference / "tz_emergents.csv")
    assert len(territories) == len(reference_th) + len(reference_pe) + 1
    assert len(ptce) == len(_rows(shared_reference / "ptce.csv"))
    assert list(territories[0]) == field_names("territories", derived=False)
    assert list(ptce[0]) == field_names("ptce", derived=False)
    by_id = {r["id"]: r for r in territories}
    assert by_id["sud-oise-villers-saint-paul"]["statut"] == "PE"
    assert by_id["paris-13"]["precision"] == "infra-communal"
    assert by_id["colombelles"]["precision"] == "communes"
    assert by_id["trieves"]["precision"] == "epci"
    assert by_id["monts-et-barrages"]["precision"] == "inconnu"
    read_tables(tmp_path)  # the imported tables are valid
    with pytest.raises(FileExistsError, match="overwrite=True"):
        import_reference(shared_reference, tmp_path)


# --- QPV codes ----------------------------------------------------------------------


def test_qpv_matches_are_applied_with_their_reason(shared_reference, built):
    _, (territories, _) = built
    by_id = territories.set_index("id")
    matches = pd.read_csv(_additions(shared_reference) / "qpv_matches.csv", dtype=str)
    for tz_id, group in matches.groupby("tz_id"):
        row = by_id.loc[tz_id]
        assert row["qpv_codes"].split(";") == group["qpv_code"].tolist(), tz_id
        for match in group.itertuples():
            assert match.note in row["notes"], f"{tz_id}: reason of {match.qpv_code} lost"
            assert f"confiance {match.confidence}" in row["notes"]
        if (group["confidence"] == "low").any():
            assert "confiance faible" in row["notes"], f"{tz_id}: low match without a note"
    with_codes = territories[territories["qpv_codes"] != ""]
    assert set(with_codes["id"]) == set(matches["tz_id"])
    # built without the QPV boundaries: the communes, and notes say so
    assert (with_codes["precision"] == "infra-communal").all()
    assert with_codes["notes"].str.contains(QPV_NOT_DRAWN, regex=False).all()
    assert (
        not territories.loc[territories["qpv_codes"] == "", "notes"]
        .str.contains("Contour QPV")
        .any()
    )


def _set(tables: Path, row_id: str, **values: str) -> int:
    path = tables / TERRITORIES_CSV
    rows = _rows(path)
    next(r for r in rows if r["id"] == row_id).update(values)
    _write_rows(path, rows)
    return _line_of(rows, row_id)


def test_unknown_qpv_code_names_the_row(tables):
    line = _set(tables, "paris-13", qpv_codes="QN07504M;QN07599Z")
    with pytest.raises(SchemaError) as info:
        read_tables(tables)
    (problem,) = info.value.problems
    assert f"line {line} (id 'paris-13')" in problem
    assert "unknown QPV code 'QN07599Z'" in problem and "qpv2024_communes.csv" in problem


def test_qpv_code_of_another_commune_names_the_row(tables):
    qpv = qpv_list()
    mureaux = qpv.loc[qpv["insee_com"] == "78440"].iloc[0]
    line = _set(tables, "bagnolet", qpv_codes=f"QN09308M;{mureaux['code_qp']}")
    with pytest.raises(SchemaError) as info:
        read_tables(tables)
    (problem,) = info.value.problems
    assert f"line {line} (id 'bagnolet')" in problem
    assert f"QPV {mureaux['code_qp']} ({mureaux['nom_qp']}) lies in commune(s) 78440" in problem
    assert "'93006'" in problem


def test_qpv_code_checks_format_precision_and_arrondissements(tables):
    # Paris 18e (75118) matches the QPV of Paris (75056) in the ANCT list: valid.
    read_tables(tables)
    lines = {
        _set(tables, "colombelles", qpv_codes="QN14001M"): "precision is 'communes'",
        _set(tables, "antony", qpv_codes="X123"): "'X123' is not a QPV code",
        _set(tables, "reze", precision="qpv"): "precision 'qpv' is set by the build",
    }
    with pytest.raises(SchemaError) as info:
        read_tables(tables)
    problems = info.value.problems
    for line, text in lines.items():
        assert any(f"line {line} " in p and text in p for p in problems), text


# --- researched additions ------------------------------------------------------------


def test_researched_additions_are_applied(shared_reference, built):
    _, (territories, ptce) = built
    t, p = territories.set_index("id"), ptce.set_index("id")
    folder = _additions(shared_reference)
    for add in pd.read_csv(folder / "tz_additions.csv", dtype=str).fillna("").itertuples():
        row = t.loc[add.id]
        assert (row["statut"], row["confiance"]) == (add.statut, add.confiance)
        assert row["codes_insee"] == add.codes_insee
        for url in add.sources.split(" | "):
            assert url.split(" ")[0] in row["sources"].split(" | ")
    assert t.loc["le-teil", "date_habilitation"] == "2021-12-23"
    for add in pd.read_csv(folder / "ptce_additions.csv", dtype=str).fillna("").itertuples():
        row = p.loc[add.id]
        assert (row["confiance"], row["precision"]) == (add.confiance, add.precision)
        assert add.sources in row["sources"]
    # Alsace: the medium sources verify the status; the low ones only make it probable.
    fixes = pd.read_csv(folder / "tz_fixes.csv", dtype=str).fillna("")
    numbers = report_numbers(frames=(territories, ptce))
    unknown = {i["id"] for i in numbers["territories"]["pe_unknown_status"]}
    alsace = fixes[fixes["source"].str.contains("rue89strasbourg")]
    assert len(alsace) == 5
    for fix in alsace.itertuples():
        notes = t.loc[fix.id, "notes"]
        if fix.confidence == "medium":
            assert "Statut actuel vérifié : projet bloqué" in notes and fix.id not in unknown
        else:
            assert "Statut probable, non vérifié (confiance low)" in notes
            assert fix.id in unknown
    for tid in ("le-port", "riviere-pilote", "semur-en-auxois"):
        assert "Date probable (confiance low" in t.loc[tid, "notes"]
    # a seat deduced from a name only (no source) is not applied
    assert p.loc["gouttes-dor", "siege_insee"] == ""
    assert (p.loc["brienov", "departement"], p.loc["brienov", "precision"]) == (
        "77",
        "departement",
    )


# --- public and internal fields ---------------------------------------------------------


def test_public_fields_hold_no_internal_remark(built):
    _, (territories, ptce) = built
    numbers = report_numbers(frames=(territories, ptce))
    assert numbers["territories"]["internal_remarks"] == []
    assert numbers["ptce"]["internal_remarks"] == []
    for frame in (territories, ptce):
        for sources in frame["sources"]:
            for item in sources.split(" | ") if sources else []:
                assert item.startswith(("http://", "https://")) and " " not in item, item
    mady = ptce.set_index("id").loc["mady-and-co"]
    assert (mady["nom"], mady["alias"]) == ("Mady & Co", "Maddy and co")
    assert "alias" in field_names("ptce", public=False)


def test_report_lists_internal_remarks_in_public_fields(tables):
    path = tables / PTCE_CSV
    rows = _rows(path)
    row = next(r for r in rows if r["id"] == "phares")
    row["nom"] += " (orthographié « Phare » dans le document de référence)"
    row["sources"] += " | contact par courriel"
    _write_rows(path, rows)
    _set(tables, "jouques", sous_zone=f"{NO_SOURCE_MARKER} (à vérifier)")
    numbers = report_numbers(tables)
    listed = {i["id"]: i["champs"] for i in numbers["ptce"]["internal_remarks"]}
    assert listed == {"phares": "nom, sources"}
    assert [i["id"] for i in numbers["territories"]["internal_remarks"]] == ["jouques"]
    text = data_report(tables)
    assert "- phares : " in text and "champs : nom, sources" in text


def test_report_counts(shared_reference, built):
    _, frames = built
    territories, _ = frames
    folder = _additions(shared_reference)
    reference_th = len(pd.read_csv(shared_reference / "tz_territories.csv"))
    added = pd.read_csv(folder / "tz_additions.csv", dtype=str)
    qpv_rows = pd.read_csv(folder / "qpv_matches.csv", dtype=str)["tz_id"].nunique()
    numbers = report_numbers(frames=frames)["territories"]
    th = reference_th + int((added["statut"] == "TH").sum())
    assert numbers["by_statut"]["TH"] == th
    assert numbers["by_statut"]["PE"] == len(territories) - th
    assert len(numbers["with_qpv_codes"]) == qpv_rows
    assert numbers["qpv_drawn"] == 0
    assert list(numbers["by_precision"]) == list(TERRITORY_PRECISIONS)
    for precision, n in numbers["by_precision"].items():
        assert n == (territories["precision"] == precision).sum()
    text = data_report(DATA)
    assert f"TH {th}, PE {len(territories) - th}" in text
    precisions = ", ".join(f"{k} {v}" for k, v in numbers["by_precision"].items())
    assert f"par précision du périmètre : {precisions}" in text
    assert f"avec codes QPV : {qpv_rows} (contours QPV tracés : 0)" in text
    assert f"{qpv_rows} approchés par la commune entière" in text
    assert "--qpv FICHIER_OU_URL" in text


# --- real quartier perimeters: data build --qpv ------------------------------------------


def _qp2024_feature(code: str, name: str, communes: str, geometry) -> dict:
    """A feature with the properties of the ANCT QP2024 national file."""
    return {
        "type": "Feature",
        "geometry": json.loads(shapely.to_geojson(geometry)),
        "properties": {
            "code_qp": code,
            "lib_qp": name,
            "insee_reg": "",
            "lib_reg": "",
            "insee_dep": code[2:5].lstrip("0"),
            "lib_dep": "",
            "insee_com": communes,
            "lib_com": "",
            "siren_epci": "",
        },
    }


@pytest.fixture(scope="module")
def qpv_document():
    """QPV in the real format: two inside Strasbourg, one across Lyon 8e and Vénissieux.

    QN06713I (Elsau, the QPV of ``strasbourg-elsau-montagne-verte``) is left
    out on purpose: that territory must fall back to its commune.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingGeometryWarning)
        communes = load_communes(types=("COM", "ARM")).set_index("code_insee")
    strasbourg = communes.at["67482", "geometry"]
    inner = strasbourg.buffer(-0.01)
    a = shapely.point_on_surface(inner)
    squares = [shapely.box(a.x, a.y, a.x + 0.004, a.y + 0.004)]
    squares.append(shapely.affinity.translate(squares[0], 0.006, 0))
    assert all(s.within(strasbourg) for s in squares) and not squares[0].intersects(squares[1])
    border = communes.at["69388", "geometry"].boundary.intersection(
        communes.at["69259", "geometry"].boundary
    )
    mid = border.interpolate(0.5, normalized=True)
    across = shapely.box(mid.x - 0.004, mid.y - 0.004, mid.x + 0.004, mid.y + 0.004)
    features = [
        _qp2024_feature("QN06719I", "Port Du Rhin", "67482", squares[0]),
        _qp2024_feature("QN06718I", "Ampère", "67482", squares[1]),
        _qp2024_feature("QN06932M", "Etats-Unis - Langlet Santy", "69123, 69259", across),
    ]
    document = {"type": "FeatureCollection", "name": "QP2024", "features": features}
    document["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    return document, squares, across, communes


@pytest.fixture(scope="module")
def qpv_built(qpv_document, tmp_path_factory, session_cache):
    from tests.conftest import LocalServer

    document, *_ = qpv_document
    server = LocalServer()
    server.route("/QP2024.geojson", Reply(200, json.dumps(document).encode()))
    out = tmp_path_factory.mktemp("qpv-built")
    cache = tmp_path_factory.mktemp("qpv-cache")
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(geo.settings, "cache_dir", cache)
            url = server.url + "/QP2024.geojson"
            paths = build_data(DATA, out, qpv=url)
    finally:
        server.close()
    territories = gpd.read_file(paths["territories"]).set_index("id")
    return paths, territories


def test_build_with_qpv_draws_the_union_of_the_qpv(qpv_document, qpv_built):
    _, squares, _, communes = qpv_document
    _, territories = qpv_built
    row = territories.loc["strasbourg-port-du-rhin-ampere"]
    assert row["precision"] == "qpv"
    union = shapely.union_all(squares)
    assert row.geometry.symmetric_difference(union).area < 1e-2 * union.area  # 1e-5 grid
    assert row.geometry.area < 0.01 * communes.at["67482", "geometry"].area
    assert "Contour : union des QPV 2024 QN06719I, QN06718I (contours de l'ANCT)." in row["notes"]
    assert row["codes_insee"] == "67482"  # the communes stay listed for the analysis
    # the other territories are as in the shipped file
    shipped = gpd.read_file(DATA / TERRITORIES_GEOJSON).set_index("id")
    same = territories.index.difference(["strasbourg-port-du-rhin-ampere", "lyon-8-plaine-santy"])
    assert shipped.loc[same].geometry.to_wkt().equals(territories.loc[same].geometry.to_wkt())


def test_build_with_qpv_falls_back_to_the_commune_with_the_reason(qpv_document, qpv_built):
    _, _, _, communes = qpv_document
    paths, territories = qpv_built
    row = territories.loc["strasbourg-elsau-montagne-verte"]
    assert row["precision"] == "infra-communal"
    assert "Contour QPV non tracé : QN06713I absent(s) du fichier" in row["notes"]
    commune = communes.at["67482", "geometry"]
    assert row.geometry.symmetric_difference(commune).area < 1e-3 * commune.area
    summary = qpv_summary(paths["territories"])
    assert summary.splitlines()[0].startswith("QPV : 33 territoires avec codes QPV ; 2 tracés")
    assert "  - strasbourg-elsau-montagne-verte : QN06713I absent(s)" in summary
    assert "Construit sans les contours" not in summary


def test_qpv_perimeter_gives_a_real_overlap_share(qpv_document, qpv_built):
    from geo.analysis.synergies import synergies

    _, _, across, communes = qpv_document
    _, territories = qpv_built
    lyon8 = communes.at["69388", "geometry"]
    ptce = gpd.GeoDataFrame(
        {"id": ["ptce-lyon-8"], "nom": ["PTCE du 8e"], "codes_insee": ["69388"]},
        geometry=[lyon8],
        crs=4326,
    )
    shipped = gpd.read_file(DATA / TERRITORIES_GEOJSON)
    before = synergies(shipped[shipped["id"] == "lyon-8-plaine-santy"], ptce)
    qpv_row = territories.loc[["lyon-8-plaine-santy"]].reset_index()
    assert qpv_row.at[0, "precision"] == "qpv"
    after = synergies(qpv_row, ptce)
    assert before.at[0, "overlap_share_pct"] == pytest.approx(100, abs=0.1)  # 1e-5 grid
    assert after.at[0, "relation"] == "overlap"
    assert 20 < after.at[0, "overlap_share_pct"] < 80  # the QPV crosses into Vénissieux
    assert not after.at[0, "approximate"] and before.at[0, "approximate"]
    expected = 100 * across.intersection(lyon8).area / across.area
    assert after.at[0, "overlap_share_pct"] == pytest.approx(expected, abs=2)


def test_cli_data_build_with_a_qpv_file_and_offline_url(qpv_document, tmp_path, capsys):
    from geo.cli import main

    document, *_ = qpv_document
    source = tmp_path / "QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson"
    source.write_text(json.dumps(document), encoding="utf-8")
    before = source.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    assert main(["data", "build", "--qpv", str(source), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "QPV : 33 territoires avec codes QPV ; 2 tracés d'après leurs contours" in printed
    assert "strasbourg-elsau-montagne-verte : QN06713I absent(s)" in printed
    assert source.read_bytes() == before  # the user's file is never modified

    written = (out / TERRITORIES_GEOJSON).read_bytes()
    url = "http://127.0.0.1:9/QP2024.geojson"
    code = main(["--offline", "data", "build", "--qpv", url, "--out", str(out)])
    assert code == 1
    assert "offline" in capsys.readouterr().err
    assert (out / TERRITORIES_GEOJSON).read_bytes() == written  # nothing written


def test_readme_qpv_example_runs_against_a_local_copy(qpv_document, local_server, monkeypatch):
    import re

    readme = (DATA.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Data: sources, vintages, licences", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"```python\n(.+?)\n```", section, flags=re.S)[0]
    (url,) = re.findall(r'url = "(https://[^"]+)"', code)
    assert url.endswith(geo.settings.qpv_url.rsplit("/", 1)[1])  # the documented default
    path = "/api/1/datasets/r/" + url.rsplit("/", 1)[1]
    document, *_ = qpv_document
    local_server.route(path, Reply(200, json.dumps(document).encode()))
    namespace: dict = {}
    exec(compile(code.replace(url, local_server.url + path), "README.md", "exec"), namespace)
    table = namespace["table"]
    row = table[table["territory_id"] == "strasbourg-port-du-rhin-ampere"]
    assert (row["territory_precision"] == "qpv").all() and len(row)
