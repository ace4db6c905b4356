"""Inputs the loaders refuse or report, each with its own message: XLSX bombs and size limits,
UTF-8 with bad bytes, FIFOs, group headings, uncached formulas, bad geometries, progress."""

from __future__ import annotations

import json
import os
import threading
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

import geo
import geo.settings
from geo._core import tables
from geo.errors import DataSourceError, InvalidGeometryError, SchemaError

HEADER = "id,nom,communes\n"


def _workbook(path: Path, rows: list[list[object]], merge: str | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    book.save(path)
    return path


def _bomb(path: Path, inflated: int) -> Path:
    """A valid-looking XLSX whose sheet inflates to ``inflated`` bytes of one repeated cell."""
    source = _workbook(path.with_name("seed.xlsx"), [["id", "nom", "communes"]])
    with zipfile.ZipFile(source) as seed, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in seed.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info.filename, seed.read(info.filename))
                continue
            head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            with out.open(info.filename, "w", force_zip64=True) as sheet:
                sheet.write(head + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>')
                block = b"A" * (1 << 20)
                for _ in range(inflated >> 20):
                    sheet.write(block)
                sheet.write(b"</t></is></c></row></sheetData></worksheet>")
    return path


# --------------------------------------------------------------------------- XLSX limits


def test_xlsx_bomb_refused_before_inflating(tmp_path):
    path = _bomb(tmp_path / "bombe.xlsx", 512 << 20)  # half a GiB of one cell
    assert path.stat().st_size < 2 << 20
    tracemalloc.start()
    try:
        with pytest.raises(DataSourceError) as info:
            geo.load_territories(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert "bombe.xlsx refused" in message and "geo.settings.xlsx_max_bytes" in message
    assert peak < 8 << 20  # nothing inflated: a few MB at most


def test_xlsx_ratio_limit_names_part_and_setting(tmp_path, monkeypatch):
    path = _bomb(tmp_path / "dense.xlsx", 8 << 20)  # under the size limit, ratio ~1000
    with pytest.raises(DataSourceError, match=r"xl/worksheets/sheet1\.xml inflates") as info:
        geo.load_territories(path)
    assert "geo.settings.xlsx_max_ratio = 200" in str(info.value)
    monkeypatch.setattr(geo.settings, "xlsx_max_ratio", 1e6)  # raised: read, then judged
    with pytest.raises(SchemaError, match="no data rows"):
        geo.load_territories(path)


def test_xlsx_size_limit_is_the_setting(tmp_path, monkeypatch):
    path = _workbook(tmp_path / "t.xlsx", [["id", "nom", "communes"], ["t1", "Poissy", "78498"]])
    assert len(geo.load_territories(path)) == 1
    monkeypatch.setattr(geo.settings, "xlsx_max_bytes", 1000)
    with pytest.raises(DataSourceError, match=r"above geo\.settings\.xlsx_max_bytes"):
        geo.load_territories(path)


# --------------------------------------------------------------------------- decoding


def test_utf8_with_one_bad_byte_is_reported_not_reread(tmp_path):
    raw = (HEADER + "t1,Évreux,27229\nt2,Poissy,78498\n").encode() + b"t3,M\xe9ru,60395\n"
    path = tmp_path / "t.csv"
    path.write_bytes(raw)
    expected = r"t\.csv is UTF-8 text except for 1 invalid byte"
    with pytest.raises(SchemaError, match=expected) as info:
        geo.load_territories(path)
    position = raw.index(b"\xe9")
    assert f"line 4, byte {position} (b'\\xe9')" in str(info.value)
    assert path.read_bytes() == raw  # never modified


def test_windows_1252_file_still_read(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes((HEADER + "t1,Évreux,27229\n").encode("cp1252"))
    assert list(geo.load_territories(path)["nom"]) == ["Évreux"]


# --------------------------------------------------------------------------- vague cases


def test_fifo_is_named_not_file_not_found(tmp_path):
    fifo = tmp_path / "t.csv"
    os.mkfifo(fifo)
    opened = threading.Event()

    def writer():  # would unblock a reader that opened the pipe
        with open(fifo, "w") as handle:
            opened.set()
            handle.write(HEADER)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        with pytest.raises(DataSourceError, match=r"t\.csv is a named pipe \(FIFO\), not a file"):
            geo.load_territories(fifo)
        assert not opened.is_set()  # refused without opening it
    finally:
        if not opened.is_set():
            with open(fifo) as handle:
                handle.read()
        thread.join(5)


def test_xlsx_group_heading_row(tmp_path):
    rows = [
        ["Identité", None, "Localisation"],
        ["id", "nom", "communes"],
        ["t1", "Poissy", "78498"],
    ]
    path = _workbook(tmp_path / "t.xlsx", rows, merge="A1:B1")
    expected = r"t\.xlsx row 1 looks like a row of group headings"
    with pytest.raises(SchemaError, match=expected) as e:
        geo.load_territories(path)
    assert "'Identité', 'Localisation'" in str(e.value) and "delete row 1" in str(e.value)
    assert "separator" not in str(e.value)


def test_xlsx_extra_column_message_is_not_about_separators(tmp_path):
    path = _workbook(tmp_path / "t.xlsx", [["id", "nom"], ["t1", "Poissy", "78498"]])
    with pytest.raises(SchemaError, match=r"row 2 has values in 3 columns but the header names"):
        geo.load_territories(path)


def test_xlsx_formula_without_stored_value(tmp_path):
    rows = [["id", "nom", "communes"], ["t1", '=CONCAT("Pois","sy")', "78498"]]
    path = _workbook(tmp_path / "t.xlsx", rows)  # openpyxl stores no result
    with pytest.raises(SchemaError, match=r"1 formula cell without a stored result") as info:
        geo.load_territories(path)
    assert 'B2 (=CONCAT("Pois","sy"))' in str(info.value) and "LibreOffice" in str(info.value)


def _geojson(path: Path, rings: list[list[list[float]]]) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"id": f"t{i + 1}", "nom": f"T{i + 1}"},
            "geometry": {"type": "Polygon", "coordinates": [ring] if ring else []},
        }
        for i, ring in enumerate(rings)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def test_unclosed_ring_names_the_feature(tmp_path):
    closed = [[2.0, 48.0], [2.1, 48.0], [2.1, 48.1], [2.0, 48.0]]
    path = _geojson(tmp_path / "t.geojson", [closed, [*closed[:-1], [2.0, 48.1]]])
    with pytest.warns(RuntimeWarning), pytest.raises(InvalidGeometryError) as info:
        geo.load_territories(path)
    assert "feature 2 (id 't2'): a polygon ring is not closed" in str(info.value)


def test_empty_polygons_said(tmp_path):
    path = _geojson(tmp_path / "t.geojson", [[], []])
    with pytest.raises(SchemaError, match=r"its geometries are empty \(features 1, 2"):
        geo.load_territories(path)


def test_large_csv_shows_progress_and_row_count(tmp_path, monkeypatch, capsys, caplog):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + "".join(f"t{i},Poissy,78498\n" for i in range(25_000)), "utf-8")
    monkeypatch.setattr(geo.settings, "progress", True)
    monkeypatch.setattr(tables, "LARGE_FILE_BYTES", 1000)
    caplog.set_level("INFO", logger="geo")
    data = tables.read_input(path, None)
    assert len(data.frame) == 25_000
    notes = [r.getMessage() for r in caplog.records if r.name == "geo"]
    assert notes == ["t.csv : 25\u202f001 lignes lues"]  # a log record, not a print
    err = capsys.readouterr().err
    assert "lecture de t.csv" in err and "lignes lues" not in err  # the bar only
    caplog.clear()
    monkeypatch.setattr(geo.settings, "progress", False)
    tables.read_input(path, None)
    assert caplog.records == []


def test_cli_prints_the_library_notes_on_stderr(tmp_path, monkeypatch, capsys):
    from geo import cli

    path = tmp_path / "t.csv"
    path.write_text(HEADER + "".join(f"t{i},Poissy,78498\n" for i in range(300)), "utf-8")
    monkeypatch.setattr(tables, "LARGE_FILE_BYTES", 1000)
    monkeypatch.setattr(geo.settings, "progress", True)
    cli.main(["synergies", "--territories", str(path), "--departement", "78"])
    assert "t.csv : 301 lignes lues" in capsys.readouterr().err
    cli.main(["synergies", "--territories", str(path), "--departement", "78", "--quiet"])
    assert "lignes lues" not in capsys.readouterr().err
