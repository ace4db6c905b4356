"""Caches checked against what produced them; bad geocoder entries reported and asked again;
an unusable cache folder or output path is one clear error naming it (not a temporary)."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import geo
import geo.settings
from geo import cli
from geo._core.files import cache_key, read_checked_parquet, write_checked_parquet
from geo.errors import DataSourceError
from geo.reference import communes as _communes
from geo.reference.geocoding import GeocodingWarning, geocode
from tests.conftest import Reply

SEGUR = "20 avenue de Ségur 75007 Paris"


def _points(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": [f"{i:05d}" for i in range(n)]},
        geometry=[shapely.Point(2, 48)] * n,
        crs=4326,
    )


def test_cache_read_checks_key_rows_and_minimum(tmp_path):
    path = tmp_path / "c.parquet"
    write_checked_parquet(_points(10), path, key="source A v1")
    assert len(read_checked_parquet(path, key="source A v1")) == 10
    assert read_checked_parquet(path, key="source A v2") is None  # another version
    assert read_checked_parquet(path, key="source A v1", min_rows=11) is None  # too few
    record = json.loads((tmp_path / "c.parquet.sha256").read_text(encoding="utf-8"))
    assert record["rows"] == 10 and record["key"] == "source A v1"
    record["rows"] = 11  # the table is not the one recorded
    (tmp_path / "c.parquet.sha256").write_text(json.dumps(record), encoding="utf-8")
    assert read_checked_parquet(path, key="source A v1") is None
    (tmp_path / "c.parquet.sha256").write_text(record["sha256"] + "\n", encoding="ascii")
    assert read_checked_parquet(path, key="source A v1") is None  # an old bare checksum


def test_consistent_but_wrong_communes_cache_is_rebuilt(seeded_cache):
    path = _communes._embedded_cache_path()
    whole = gpd.read_parquet(path)
    # Ten real rows, written with a matching checksum and the right key and schema.
    write_checked_parquet(whole.head(10), path, key=_communes._embedded_key())
    _communes._MEMORY.clear()
    table = geo.load_communes()
    assert len(table) > 30_000
    assert len(gpd.read_parquet(path)) == len(whole)  # the cache was rebuilt
    assert cache_key("x").startswith("x geo ")


def test_bad_geocoder_entry_reported_and_asked_again(local_server, seeded_cache, monkeypatch):
    monkeypatch.setattr(geo.settings, "ban_url", local_server.url)
    key = f"75107|{SEGUR.lower()}"
    entry = {"lon": "x", "lat": 48.85, "score": 0.99, "result_type": "housenumber"}
    (seeded_cache / "geocode-ban-v1.json").write_text(json.dumps({key: entry}), "utf-8")
    answer = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [2.3077, 48.8496]},
                "properties": {
                    "label": SEGUR,
                    "score": 0.96,
                    "type": "housenumber",
                    "citycode": "75107",
                    "postcode": "75007",
                },
            }
        ],
    }
    local_server.route("/search/", Reply(200, json.dumps(answer).encode()))
    with pytest.warns(GeocodingWarning, match=r"1 unusable entry .*are not numbers") as record:
        result = geocode([SEGUR], citycodes="75107")
    assert key in str(record[0].message) and "asked the BAN again" in str(record[0].message)
    assert len(local_server.hits("/search/")) == 1
    assert result.iloc[0]["precision"] == "adresse"
    saved = json.loads((seeded_cache / "geocode-ban-v1.json").read_text("utf-8"))
    assert saved[key]["lon"] == 2.3077


def test_unusable_cache_folder_is_one_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "fichier"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setattr(geo.settings, "cache_dir", blocker / "cache")
    _communes._MEMORY.clear()
    with pytest.raises(DataSourceError) as info:
        geo.load_communes()
    message = str(info.value)
    assert f"the cache folder {blocker / 'cache'}" in message
    assert "TZPTCE_CACHE_DIR" in message and ".tzptce-" not in message


def test_unwritable_output_names_the_target(tmp_path, capsys):
    table = pd.DataFrame({"a": [1]})
    with pytest.raises(DataSourceError, match=r"cannot write /proc/x\.csv: ") as info:
        geo.write_table(table, "/proc/x.csv")
    assert ".tzptce-" not in str(info.value)
    long_name = tmp_path / ("n" * 250 + ".csv")
    with pytest.raises(DataSourceError, match="its name is too long") as info:
        geo.write_table(table, long_name)
    assert ".tzptce-" not in str(info.value)


def test_cli_umap_to_proc_names_the_target(capsys):
    assert cli.main(["map", "--umap", "/proc/x.umap"]) != 0
    err = capsys.readouterr().err
    assert "/proc/x.umap" in err and ".tzptce-" not in err and "Traceback" not in err


def test_cli_screenshot_offline_without_assets(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(geo.settings, "offline", True)
    out = tmp_path / "carte.html"
    code = cli.main(["map", "--out", str(out), "--screenshot", str(tmp_path / "c.png")])
    assert code == 2
    err = capsys.readouterr().err
    assert "--screenshot in offline mode" in err and "assets fetch DIR" in err
    assert not out.exists()  # refused before any work
