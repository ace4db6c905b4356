"""The bottom module of COG reference tables and the one cache registry."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

import geo.settings
from geo.reference import cog, commune_index, communes, lookup, sources
from geo.reference.sources import OutdatedCodeWarning, read_boundary_file


def test_reference_tables() -> None:
    deps = cog.departements()
    assert deps.set_index("code").at["974", "nom"] == "La Réunion"
    assert deps.set_index("code").at["974", "region"] == "04"
    assert cog.regions().set_index("code").at["11", "nom"] == "Île-de-France"
    assert cog.epcis().set_index("code").at["200058519", "type"] == "CA"
    lookup_table = cog.cog_lookup()
    assert lookup_table.at["78440", "nom"] == "Les Mureaux"
    assert lookup_table.at["78158", "type"] == "COM"  # commune and chef-lieu of its déléguées
    attributes = cog.commune_attributes()
    assert list(attributes.columns) == cog.ATTRIBUTE_COLUMNS
    assert set(attributes["type"]) == set(cog.TYPES)


def test_codes_in_any_case_and_names_with_or_without_accents() -> None:
    assert cog.departement_code("2a") == "2A"
    assert cog.departement_code("yvelines") == "78"
    assert cog.departement_code("Réunion") == cog.departement_code("reunion") == "974"
    assert cog.region_code("La Réunion") == cog.region_code("Reunion") == "04"
    assert cog.region_code("hauts de france") == "32"


def test_attributes_are_the_ones_of_the_boundary_table() -> None:
    table = communes.load_communes(departements="78", types=("COM", "ARM"))
    attributes = cog.cog_lookup()
    joined = attributes.loc[table["code_insee"]]
    assert list(joined["nom"]) == list(table["nom"])
    assert list(joined["epci_siren"].fillna("")) == list(table["epci_siren"].fillna(""))


def test_one_clear_empties_every_memory_cache() -> None:
    lookup.find_commune("78440")
    communes.load_communes()  # all of France: kept in memory
    first_index = commune_index.commune_index()
    first_lookup = cog.cog_lookup()
    assert communes._MEMORY
    cog.clear()
    assert not communes._MEMORY
    assert cog.cog_lookup() is not first_lookup
    assert commune_index.commune_index() is not first_index


def test_clear_cache_also_clears_memory(fresh_cache) -> None:
    communes.load_communes(codes="78440")
    first = cog.cog_lookup()
    assert communes.clear_cache() == 2
    assert cog.cog_lookup() is not first


def test_reference_tables_do_not_follow_the_download_vintage(monkeypatch) -> None:
    first = cog.cog_lookup()
    monkeypatch.setattr(geo.settings, "vintage", "2024")
    assert cog.cog_lookup() is first  # the shipped COG is 2025 whatever the vintage
    assert sources.cog_lookup is cog.cog_lookup


def test_outdated_code_warning_names_the_cog_of_the_attributes(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(geo.settings, "vintage", "2024")
    square = shapely.box(1.9, 48.9, 1.95, 48.95)
    features = gpd.GeoDataFrame(
        {"code": ["78440", "78999"], "nom": ["Les Mureaux", "Nulle-Part"]},
        geometry=[square, square.buffer(0.01)],
        crs="EPSG:4326",
    )
    path = tmp_path / "old.geojson"
    path.write_text(json.dumps(features.__geo_interface__))
    with pytest.warns(OutdatedCodeWarning) as record:
        read_boundary_file(path)
    message = str(record[0].message)
    assert "unknown to the COG 2025" in message and "older than the COG 2025" in message
    assert "2024" not in message


def test_misspelt_setting_is_refused() -> None:
    from geo.settings import UnknownSettingError

    with pytest.raises(UnknownSettingError, match="did you mean 'offline'"):
        geo.settings.ofline = True  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        geo.settings.cache_directory = "/tmp"  # type: ignore[attr-defined]
    assert not hasattr(geo.settings, "ofline")
    geo.settings.offline = True  # the documented way still works
    assert geo.settings.offline is True
    geo.settings.offline = False


def test_bad_vintage_is_an_argument_error(monkeypatch) -> None:
    from geo.errors import ArgumentError

    monkeypatch.setattr(geo.settings, "vintage", "../x")
    with pytest.raises(ArgumentError, match="four-digit"):
        geo.settings.checked_vintage()
