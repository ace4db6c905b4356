"""The one table of fields in geo.schema and the lists generated from it."""

from __future__ import annotations

import pytest

from geo import schema
from geo.schema import FIELDS, Field, field_names, table_columns


def test_a_shown_field_must_be_public():
    with pytest.raises(ValueError, match="shown on maps but not public"):
        Field("notes", "text", public=False, shown=True, derived=False, required=False)


@pytest.mark.parametrize("table", ["territories", "ptce"])
def test_lists_are_generated_from_the_records(table):
    records = FIELDS[table]
    names = [f.name for f in records]
    assert len(set(names)) == len(names)
    assert field_names(table) == names
    assert table_columns(table) == [*names, "geometry"]
    # each filter keeps exactly the records with that flag, in column order
    for flag in ("public", "shown", "derived", "required"):
        kept = field_names(table, **{flag: True})
        left = field_names(table, **{flag: False})
        assert kept == [f.name for f in records if getattr(f, flag)]
        assert sorted(kept + left) == sorted(names)
    assert set(field_names(table, shown=True)) <= set(field_names(table, public=True))
    assert field_names(table, public=True, derived=False) == [
        f.name for f in records if f.public and not f.derived
    ]


def test_internal_and_required_fields():
    assert field_names("territories", public=False) == ["confiance", "notes"]
    assert field_names("ptce", public=False) == ["alias", "confiance", "notes"]
    assert field_names("territories", required=True) == ["id", "nom", "statut"]
    assert field_names("territories", type="int") == [
        "population",
        "population_communes",
        "population_citee",
    ]


def test_no_other_field_list_is_exported():
    lists = [
        name
        for name, value in vars(schema).items()
        if isinstance(value, (list, tuple)) and name.endswith(("FIELDS", "COLUMNS"))
    ]
    assert lists == []
