"""One région/département filter for the command line, the maps and the rest."""

from __future__ import annotations

import pandas as pd
import pytest

import geo
from geo.errors import ArgumentError, SchemaError
from geo.publish import maps
from geo.reference import areas
from geo.reference.areas import UnknownAreaError, in_area

ROWS = pd.DataFrame(
    {
        "id": ["reunion", "mureaux", "two", "corse", "none"],
        "region": ["04", "11", "11;32", "94", None],
        "departement": ["974", "78", "78;60", "2A", None],
    }
)


@pytest.mark.parametrize(
    ("options", "ids"),
    [
        ({"region": "Réunion"}, ["reunion"]),
        ({"region": "la reunion"}, ["reunion"]),
        ({"region": "04"}, ["reunion"]),
        ({"region": "Hauts-de-France"}, ["two"]),
        ({"departement": "Yvelines"}, ["mureaux", "two"]),
        ({"departement": "yvelines"}, ["mureaux", "two"]),
        ({"departement": "2a"}, ["corse"]),
        ({"departement": "Corse-du-Sud"}, ["corse"]),
        ({"departement": "60"}, ["two"]),
        ({"departement": ["974", "oise"]}, ["reunion", "two"]),
        ({"region": "11", "departement": "60"}, ["two"]),
        ({}, ["reunion", "mureaux", "two", "corse", "none"]),
    ],
)
def test_codes_in_any_case_and_names_with_or_without_accents(options, ids):
    assert list(ROWS["id"][in_area(ROWS, **options)]) == ids


def test_unknown_area_is_an_argument_error_with_a_suggestion():
    with pytest.raises(UnknownAreaError, match='did you mean "Yvelines"') as info:
        in_area(ROWS, departement="Yvelline")
    assert isinstance(info.value, ArgumentError) and isinstance(info.value, SchemaError)
    with pytest.raises(SchemaError, match="no 'region' column"):
        in_area(ROWS.drop(columns="region"), region="11")


def test_synergy_map_region_by_name_without_article():
    # Before: synergy_map(region="Réunion") raised SchemaError while the CLI found it.
    territories, ptce = geo.load_territories(), geo.load_ptce()
    reunion = territories[territories["departement"] == "974"]
    assert len(reunion)
    m = maps.synergy_map(territories, ptce, region="Réunion", tiles=False)
    html = m.get_root().render()
    assert all(str(n) in html for n in reunion["nom"])
    assert "Mureaux" not in html


def test_area_code() -> None:
    assert areas.area_code("Réunion", "region") == "04"
    assert areas.area_code("réunion", "departement") == "974"
    with pytest.raises(ArgumentError, match="kind"):
        areas.area_code("11", "commune")
