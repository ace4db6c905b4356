"""Hostile or broken inputs: users' tables, cache files, terminal messages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

import geo
import geo.settings
from geo.errors import CRSError, GeoError, SchemaError
from tests.conftest import ROOT

HEADER = "id,nom,communes\n"
ROW = "t1,Les Mureaux,78440\n"


def _csv(tmp_path: Path, content: str | bytes, name: str = "t.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- tables -----------------------------------------------------------------------------


def test_csv_unclosed_quote_names_file_and_row(tmp_path):
    closed = _csv(tmp_path, HEADER + 't1,"Les Mureaux",78440\nt2,"Ville ""V""\nen deux",78646\n')
    assert list(geo.load_territories(closed)["id"]) == ["t1", "t2"]  # quotes closed: fine
    path = _csv(tmp_path, HEADER + 't1,"Les Mureaux,78440\nt2,Versailles,78646\nt3,Poissy,78498\n')
    with pytest.raises(SchemaError, match=r"t\.csv row 2: a quote .* never closed") as info:
        geo.load_territories(path)
    assert info.value.problems == ["row 2: unclosed quote"]


def test_csv_header_only(tmp_path):
    path = _csv(tmp_path, HEADER)
    with pytest.raises(
        SchemaError, match=r"t\.csv has a header row \('id', 'nom', 'communes'\) but no data rows"
    ):
        geo.load_territories(path)


def test_csv_nul_bytes_name_the_line(tmp_path):
    path = _csv(tmp_path, (HEADER + ROW + "t2,Versail\x00les,78646\n").encode())
    with pytest.raises(SchemaError, match=r"t\.csv line 3 holds a NUL byte"):
        geo.load_territories(path)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_csv_utf16_without_byte_order_mark(tmp_path, codec):
    with_mark = _csv(tmp_path, (HEADER + ROW).encode("utf-16"), name="bom.csv")
    assert list(geo.load_territories(with_mark)["id"]) == ["t1"]  # with its mark: fine
    path = _csv(tmp_path, (HEADER + ROW).encode(codec))
    kind = codec.replace("utf-16-", "UTF-16 ").upper()
    with pytest.raises(
        SchemaError, match=rf"t\.csv looks like {kind} text without a byte order mark"
    ):
        geo.load_territories(path)


def test_binary_file_named_csv(tmp_path):
    path = _csv(tmp_path, bytes(range(256)) * 8)
    with pytest.raises(SchemaError, match=r"t\.csv is binary data, not a CSV table"):
        geo.load_territories(path)


@pytest.mark.parametrize(
    ("head", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "a JPEG image"),
        (b"GIF89a\x01\x00\x01\x00", "a GIF image"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive"),
        (b"%PDF-1.7\n", "a PDF document"),
    ],
)
def test_image_or_archive_renamed_csv(tmp_path, head, what):
    path = _csv(tmp_path, head + b"\x00" * 64, name="photo.csv")
    with pytest.raises(SchemaError, match=rf"photo\.csv is {what}, not a CSV table"):
        geo.load_territories(path)


def test_csv_cells_longer_than_the_csv_module_limit_load(tmp_path):
    notes = "x" * 200_000
    path = _csv(tmp_path, "id,nom,communes,notes\n" + f"t1,Les Mureaux,78440,{notes}\n")
    table = geo.load_territories(path)
    assert table.loc[0, "notes"] == notes


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


TABLE = [["id", "nom", "communes"], ["t1", "Les Mureaux", "78440"]]


def test_xlsx_table_not_on_the_first_sheet_says_sheet(tmp_path):
    path = _workbook(
        tmp_path / "t.xlsx",
        {"Lisez-moi": [["Ce classeur liste nos territoires"]], "Territoires": TABLE},
    )
    with pytest.raises(SchemaError, match=r"first sheet, 'Lisez-moi'.*pass sheet='Territoires'"):
        geo.load_territories(path)
    assert list(geo.load_territories(path, sheet="Territoires")["id"]) == ["t1"]
    empty_first = _workbook(tmp_path / "e.xlsx", {"Vide": [], "Territoires": TABLE})
    with pytest.raises(
        SchemaError, match=r"the first sheet, 'Vide', is empty.*sheet='Territoires'"
    ):
        geo.load_territories(empty_first)


def test_empty_feature_collection(tmp_path):
    path = tmp_path / "t.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(SchemaError, match=r"t\.geojson holds no features"):
        geo.load_territories(path)


def test_absurd_coordinates_get_a_readable_message(tmp_path):
    features = [
        {
            "type": "Feature",
            "properties": {"id": f"t{i}", "nom": "A"},
            "geometry": {"type": "Point", "coordinates": xy},
        }
        for i, xy in enumerate([[1.9, 48.99], [1e308, 1e308]], start=1)
    ]
    path = tmp_path / "t.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with pytest.raises(
        CRSError, match=r"t\.geojson has coordinates no map can place \(1e\+308 in feature 2\)"
    ) as info:
        geo.load_territories(path)
    assert len(str(info.value)) < 400


# --- messages on the terminal --------------------------------------------------------------

ESC_RED = "\x1b[31m"
CLEAR = "\x1b[2J"


def test_error_messages_show_control_characters_as_escapes(tmp_path):
    path = _csv(
        tmp_path,
        "id,nom,communes,latitude,longitude\n"
        f"t1,A,Mure{ESC_RED}aux,,\n"
        f"t2,B,,4{CLEAR}8\u202e,1.9\n",
    )
    with pytest.raises(GeoError) as info:
        geo.load_territories(path)
    message = str(info.value)
    assert "\x1b" not in message and "\u202e" not in message
    assert r"Mure\x1b[31maux" in message and r"4\x1b[2J8\u202e" in message
    assert all("\x1b" not in p for p in info.value.problems)
    assert any(r"\x1b[31m" in p for p in info.value.problems)


def _cli(capsys, *args: str) -> tuple[int, bytes]:
    from geo.cli import main

    capsys.readouterr()
    code = main(["--offline", *args])
    return code, capsys.readouterr().err.encode("utf-8")


def test_cli_errors_and_warnings_send_no_control_characters(tmp_path, capsys):
    bad = _csv(tmp_path, f"id,nom,communes\nt{ESC_RED}1,A,Mure{CLEAR}aux\n", name="bad.csv")
    code, stderr = _cli(capsys, "synergies", "--territories", str(bad))
    assert code == 1
    assert b"\x1b" not in stderr
    assert rb"Mure\x1b[2Jaux" in stderr

    # A row that cannot be located is a warning, not an error: the same rule holds.
    lost = _csv(tmp_path, f"id,nom,communes\nt{ESC_RED}1,A,\nt2,B,78440\n", name="lost.csv")
    code, stderr = _cli(capsys, "synergies", "--territories", str(lost))
    assert b"\x1b" not in stderr
    assert rb"t\x1b[31m1" in stderr, stderr


# --- caches ------------------------------------------------------------------------------


def test_embedded_cache_in_another_crs_is_rebuilt(seeded_cache):
    from geo._core.files import read_checked_parquet, write_checked_parquet
    from geo.reference.communes import _embedded_cache_path, _embedded_key, load_communes

    path = _embedded_cache_path()
    table = read_checked_parquet(path, key=_embedded_key())
    # checksum and source key match, CRS does not
    write_checked_parquet(table.to_crs(2154), path, key=_embedded_key())
    part = load_communes(departements="78")
    assert part.crs == "EPSG:4326"
    assert part.total_bounds[0] > 1 and part.total_bounds[2] < 3  # degrees, not metres
    rebuilt = read_checked_parquet(path, key=_embedded_key())
    assert rebuilt.crs == "EPSG:4326"  # the file itself was rebuilt


_KILLED_WRITER = """
import sys, time
from pathlib import Path
from geo._core.files import atomic_path
from geo._core.download import scratch_file
import geo.settings

geo.settings.cache_dir = Path(sys.argv[1])
cache = Path(sys.argv[1])
with atomic_path(cache / "table.parquet") as tmp, scratch_file(".geojson.gz", "dl") as raw:
    tmp.write_bytes(b"half a file")
    raw.write_bytes(b"half a download")
    print("writing", flush=True)
    time.sleep(60)
"""


def test_a_killed_write_leaves_no_stray_temporary_file_for_the_next_run(tmp_path, monkeypatch):
    from geo._core.download import scratch_file
    from geo._core.files import atomic_path

    cache = tmp_path / "cache"
    cache.mkdir()
    writer = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(cache)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert writer.stdout.readline() == b"writing\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    strays = sorted(p.name for p in cache.iterdir())
    assert len(strays) == 2 and all(
        name.startswith((".table.parquet.", ".dl.")) for name in strays
    )

    monkeypatch.setattr(geo.settings, "cache_dir", cache)
    with atomic_path(cache / "table.parquet") as tmp:
        tmp.write_bytes(b"whole file")
    with scratch_file(".geojson.gz", "dl") as raw:
        assert [p.name for p in cache.iterdir() if p.name.startswith(".")] == [raw.name]
    assert sorted(p.name for p in cache.iterdir()) == ["table.parquet"]


def test_a_live_writers_temporary_file_is_left_alone(tmp_path):
    from geo._core.files import atomic_path, temporary_path

    with temporary_path(tmp_path / "t.parquet") as other:  # this process: alive
        with atomic_path(tmp_path / "t.parquet") as tmp:
            tmp.write_bytes(b"x")
        assert other.exists()


def test_files_are_flushed_to_disk_before_the_rename(tmp_path, monkeypatch):
    from geo._core.files import write_checked_parquet

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to name the file of a descriptor")
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def replace(src, dst, **kwargs):
        events.append(("replace", str(src)))
        return real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    gdf = gpd.GeoDataFrame({"code": ["1"]}, geometry=[shapely.Point(1, 2)], crs=4326)
    write_checked_parquet(gdf, tmp_path / "t.parquet")
    renamed = [path for kind, path in events if kind == "replace"]
    assert len(renamed) == 2  # the table and its checksum
    for path in renamed:
        position = events.index(("replace", path))
        assert ("fsync", path) in events[:position], events
