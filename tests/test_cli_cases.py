"""Command-line cases of issue 22: usage errors, short région names, formats, offline, progress."""

from __future__ import annotations

import csv
import io

import pytest

import geo
from geo.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_output_in_a_missing_folder_is_a_usage_error(tmp_path, capsys):
    target = tmp_path / "absent" / "x.csv"
    code, out, err = run(capsys, "--quiet", "opportunities", "--out", str(target))
    assert code == 2 and out == ""
    assert (
        err
        == f"error: --out {target}: the folder {target.parent} does not exist; create it first\n"
    )
    assert not target.parent.exists()  # never created
    (tmp_path / "file").write_text("x")
    code, _, err = run(capsys, "--quiet", "map", "--static", str(tmp_path / "file" / "c.pdf"))
    assert code == 2 and "is not a folder" in err


def test_map_with_two_focus_options_is_one_sentence(capsys):
    code, _, err = run(capsys, "--quiet", "map", "--region", "93", "--territory", "le-port")
    assert code == 2
    assert err.startswith("error: --region and --territory both given")
    assert "{" not in err and "kwargs" not in err


@pytest.mark.parametrize("short", ["PACA", "paca", "Région Sud"])
def test_region_short_forms(capsys, short):
    code, out, _ = run(capsys, "--quiet", "synergies", "--region", short)
    assert code == 0
    assert "Provence-Alpes-Côte d'Azur" in out and "Île-de-France" not in out


def test_region_short_forms_in_the_library():
    assert geo.region_code("IDF") == "11" and geo.region_code("aura") == "84"
    with pytest.raises(geo.ArgumentError, match="short form"):
        geo.load_territories().pipe(
            lambda t: geo.synergy_map(t, geo.load_ptce(), region="XYZ", tiles=False)
        )


def test_timeline_lists_every_format_it_writes(tmp_path, capsys):
    code, _, err = run(capsys, "--quiet", "timeline", "--out", str(tmp_path / "x.gif"))
    assert code == 2
    for ext in (".csv", ".xlsx", ".svg", ".png", ".pdf"):
        assert ext in err
    code, _, _ = run(capsys, "--quiet", "timeline", "--out", str(tmp_path / "x.pdf"))
    assert code == 0 and (tmp_path / "x.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "x.csv").is_file()


def test_map_offline_without_assets_writes_a_cdn_page(tmp_path, capsys):
    target = tmp_path / "carte.html"
    code, out, err = run(capsys, "--quiet", "map", "--offline", "--out", str(target))
    assert code == 0
    assert "note: no --assets" in err and "self-contained" not in out
    page = target.read_text(encoding="utf-8")
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in page


def test_map_shows_progress_steps_on_a_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(geo.settings, "progress", True)  # as on a terminal
    code, _, err = run(capsys, "map", "--out", str(tmp_path / "c.html"))
    assert code == 0
    assert "carte" in err and "territoires" in err and "PTCE" in err


@pytest.mark.parametrize("command", ["synergies", "opportunities", "near"])
def test_csv_for_french_spreadsheets_on_request(tmp_path, capsys, command):
    target = tmp_path / "t.csv"
    args = [command, "Les Mureaux", "--radius-km", "40"] if command == "near" else [command]
    code, _, _ = run(capsys, "--quiet", *args, "--out", str(target), "--csv-fr")
    assert code == 0
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    cells = [row[header.index("distance_km")] for row in rows[1:]]
    assert any("," in c for c in cells)  # decimal comma
    assert not any("." in c for c in cells)
    code, _, _ = run(capsys, "--quiet", *args, "--out", str(target))
    assert not target.read_bytes().startswith(b"\xef\xbb\xbf")  # plain CSV by default


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["synergies"], "Non comptés : 5 projets émergents bloqués ou arrêtés"),
        (["opportunities", "--departement", "68"], "Non compté : 1 projet émergent bloqué"),
        (["opportunities", "--region", "Grand Est"], "Non comptés : 5 projets émergents"),
        (["synergies", "--region", "Bretagne"], None),  # none blocked there: nothing said
    ],
)
def test_summaries_say_which_blocked_pe_they_leave_out(capsys, argv, said):
    code, out, _ = run(capsys, "--quiet", *argv)
    assert code == 0
    if said is None:
        assert "Non compté" not in out
    else:
        assert said in out


def test_timeline_still_counts_a_region(capsys):
    code, out, _ = run(capsys, "--quiet", "timeline", "--region", "Grand Est")
    assert code == 0 and "2016" in out
