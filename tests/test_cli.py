"""Every CLI command, through the entry point: output, files, exit codes."""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest

from geo import settings
from geo.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_commands_and_examples(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("communes", "data", "synergies", "map"):
        assert command in out
    assert "python -m geo map" in out


def test_usage_error_exits_2(capsys):
    code, _, err = run(capsys, "synergies", "--radius-km", "beaucoup")
    assert code == 2
    assert "expected kilometres" in err
    assert run(capsys, "nothing-like-this")[0] == 2


def test_communes_summary(capsys):
    code, out, _ = run(capsys, "communes", "summary", "--departement", "78")
    assert code == 0
    assert out.startswith("259 communes")


def test_communes_find(capsys):
    code, out, _ = run(capsys, "communes", "find", "Villers St Paul", "Paris 13e", "2A004")
    assert code == 0
    assert "60684" in out and "75113" in out and "Ajaccio" in out


def test_communes_find_unknown_is_one_line_exit_1(capsys):
    code, out, err = run(capsys, "communes", "find", "Muraux")
    assert out == ""
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "Les Mureaux" in err and "Traceback" not in err


def test_communes_fetch_offline_fails_cleanly(capsys):
    code, _, err = run(capsys, "--offline", "communes", "fetch", "--source", "etalab")
    assert code == 1
    assert "offline" in err.lower()
    assert settings.offline is False  # main() restores the setting it changed


def test_communes_cache_info_and_clear(capsys, fresh_cache):
    # one département from an empty cache converts only its rows, writes nothing
    assert run(capsys, "communes", "summary", "--departement", "974")[0] == 0
    assert run(capsys, "communes", "cache", "info")[1].endswith("(empty)\n")
    assert run(capsys, "communes", "summary")[0] == 0  # all of France: converted and cached
    code, out, _ = run(capsys, "communes", "cache", "info")
    assert code == 0 and "communes-embedded" in out and " ok" in out
    code, out, _ = run(capsys, "communes", "cache", "clear")
    assert code == 0 and out.startswith("2 files removed")
    assert not list(fresh_cache.iterdir())


def test_data_build_into_a_folder_and_report(capsys, tmp_path):
    code, out, _ = run(capsys, "data", "build", "--out", str(tmp_path))
    assert code == 0
    assert (tmp_path / "territories.geojson").is_file()
    assert (tmp_path / "ptce.geojson").is_file()
    code, out, _ = run(capsys, "data", "report")
    assert code == 0
    assert "TH" in out and "PTCE" in out


def test_synergies_writes_every_format(capsys, tmp_path):
    for ext in ("csv", "xlsx", "geojson", "parquet"):
        out_file = tmp_path / f"synergies.{ext}"
        code, out, _ = run(capsys, "synergies", "--radius-km", "20", "--out", str(out_file))
        assert code == 0, out
        assert out_file.is_file()
    table = pd.read_csv(tmp_path / "synergies.csv", dtype=str)
    assert {"territory_id", "ptce_id", "relation", "distance_km"} <= set(table.columns)
    assert "France" in out


def test_synergies_region_filter(capsys):
    code, out, _ = run(capsys, "synergies", "--region", "Hauts-de-France")
    assert code == 0
    assert "paires territoire–PTCE" in out
    assert "Hauts-de-France" in out and "France  " not in out.replace("Hauts-de-France", "")
    code, _, err = run(capsys, "synergies", "--region", "Atlantide")
    assert code == 1 and "Atlantide" in err


def test_synergies_with_a_bad_user_file(capsys, tmp_path):
    bad = tmp_path / "t.csv"
    bad.write_text("nom;commune\nA;Colombelles\nB;Muraux\n", encoding="utf-8")
    code, _, err = run(capsys, "synergies", "--territories", str(bad))
    assert code == 1
    assert "row 3" in err and "Muraux" in err


def test_map_writes_html(capsys, tmp_path):
    out_file = tmp_path / "carte.html"
    code, out, _ = run(capsys, "map", "--territory", "le-port", "--out", str(out_file))
    assert code == 0, out
    html = out_file.read_text(encoding="utf-8")
    assert "Le Port" in html and "leaflet" in html.lower()


def test_python_dash_m_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "geo", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "0.1.0" in done.stdout


@pytest.mark.parametrize("argv", [["map", "--territory", "nulle-part"]])
def test_map_unknown_territory_exit_1(capsys, tmp_path, argv):
    code, _, err = run(capsys, *argv, "--out", str(tmp_path / "x.html"))
    assert code == 1
    assert "nulle-part" in err


def test_assets_fetch_downloads_every_asset(capsys, tmp_path, local_server, monkeypatch):
    from conftest import Reply

    from geo.publish import assets as _assets

    urls = _assets.default_assets()  # the map's own and those of folium's common layers
    assert set(_assets.MAP_ASSETS) < set(urls)
    for url in urls:
        local_server.route("/m/" + url.split("://", 1)[1], Reply(200, f"/* {url} */".encode()))
    monkeypatch.setattr(settings, "assets_mirror", local_server.url + "/m")
    code, out, _ = run(capsys, "assets", "fetch", str(tmp_path / "assets"))
    assert code == 0, out
    assert len(local_server.requests) == len(urls)
    for url in urls:
        assert _assets.asset_path(tmp_path / "assets", url).is_file()


@pytest.mark.parametrize("radius", ["-5", "nan", "inf", "loin"])
def test_bad_radius_is_a_usage_error(capsys, radius):
    code, _, err = run(capsys, "synergies", "--radius-km", radius)
    assert code == 2
    assert "kilometres" in err


def test_unwritable_output_is_one_line(capsys, tmp_path):
    folder = tmp_path / "synergies.csv"
    folder.mkdir()
    code, _, err = run(capsys, "synergies", "--out", str(folder))
    assert code == 1
    assert err.startswith(f"error: cannot write {folder}")
    assert "Traceback" not in err


def test_names_work_for_region_and_departement_everywhere(capsys):
    assert run(capsys, "communes", "summary", "--departement", "Oise")[1].startswith("680 ")
    code, out, _ = run(capsys, "communes", "summary", "--region", "Hauts-de-France")
    assert code == 0 and out.startswith("3782 ")
    assert run(capsys, "synergies", "--departement", "Oise")[0] == 0
    code, _, err = run(capsys, "communes", "summary", "--departement", "Oisee")
    assert code == 1 and 'did you mean "Oise" (60)' in err


@pytest.mark.parametrize(
    "command", [["map"], ["synergies"], ["communes", "find"], ["data", "build"]]
)
def test_every_command_help_has_examples(capsys, command):
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    assert "examples:" in out and "python -m geo " + command[0] in out


def test_unknown_territory_suggests_the_closest_ids(capsys, tmp_path):
    code, _, err = run(
        capsys, "map", "--territory", "les-muraux", "--out", str(tmp_path / "x.html")
    )
    assert code == 1
    assert "did you mean" in err and "'les-mureaux'" in err
    assert not (tmp_path / "x.html").exists()


def test_data_ids_lists_the_ids(capsys):
    code, out, _ = run(capsys, "data", "ids")
    assert code == 0
    ids = [line.split()[0] for line in out.splitlines()]
    assert "les-mureaux" in ids and "le-port" in ids
    assert len(ids) == len(set(ids)) > 50
    code, out, _ = run(capsys, "data", "ids", "--kind", "ptce")
    assert code == 0 and "vivre-les-mureaux" in out.split()


@pytest.mark.parametrize("value", ["Yvelines", "yvelines", "Seine-Saint-Denis"])
def test_departement_code_or_name_for_map(capsys, tmp_path, value):
    out_file = tmp_path / "m.html"
    code, _, err = run(capsys, "map", "--departement", value, "--out", str(out_file))
    assert code == 0, err
    assert out_file.is_file()


# the random element ids of a map page (folium's, and the data block's)
_RANDOM_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-z])|(?<=geo-data-)[0-9a-f]{12}(?![0-9a-z])")
_AREA_COMMANDS = {
    "synergies": ["synergies"],
    "opportunities": ["opportunities"],
    "timeline": ["timeline"],
    "map": ["map", "--no-tiles", "--out", "{out}/carte.html"],
    "umap": ["map", "--umap", "{out}/carte.umap"],
}


@pytest.mark.parametrize("command", sorted(_AREA_COMMANDS))
def test_departement_in_any_case_or_by_name_is_the_same_everywhere(capsys, tmp_path, command):
    # The shipped data have one territory in Haute-Corse (2B) and nothing in Corse-du-Sud.
    outputs = {}
    for value in ("2b", "2B", "Haute-Corse"):
        folder = tmp_path / value
        folder.mkdir()  # the command line writes only into an existing folder
        argv = [a.format(out=folder) for a in _AREA_COMMANDS[command]]
        code, out, err = run(capsys, *argv, "--departement", value)
        assert code == 0, (value, err)
        files = {p.name: _RANDOM_ID.sub("ID", p.read_text()) for p in folder.glob("*")}
        outputs[value] = (out.replace(str(folder), "OUT"), files)
    assert outputs["2b"] == outputs["2B"] == outputs["Haute-Corse"]
    for value in ("2a", "2A", "Corse-du-Sud"):
        folder = tmp_path / value
        folder.mkdir()
        argv = [a.format(out=folder) for a in _AREA_COMMANDS[command]]
        code, out, err = run(capsys, *argv, "--departement", value)
        # an area without any territory or PTCE: one clear error, no empty table, no file
        assert code == 1 and out == "", (value, out)
        assert err.strip() == "error: no territory or PTCE in département 2A (Corse-du-Sud)"
        assert not any(folder.iterdir())


def test_communes_summary_lists_communes_without_boundary(capsys):
    code, out, _ = run(capsys, "communes", "summary", "--departement", "15")
    assert code == 0
    assert "without boundary in this source: 15031 Celles" in out


def _on_a_terminal(*argv: str) -> str:
    """Run ``python -m geo`` with stderr on a pseudo-terminal; return what it showed there."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    main_fd, child_fd = pty.openpty()
    # 24 rows, 100 columns: tqdm draws nothing on a terminal of width 0
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    with subprocess.Popen(
        [sys.executable, "-m", "geo", *argv],
        stdout=subprocess.DEVNULL,
        stderr=child_fd,
        stdin=subprocess.DEVNULL,
    ) as child:
        os.close(child_fd)
        chunks = []
        while True:
            try:
                data = os.read(main_fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        child.wait(timeout=300)
    os.close(main_fd)
    return b"".join(chunks).decode("utf-8", "replace")


def test_progress_on_a_terminal_and_quiet_flag():
    shown = _on_a_terminal("synergies", "--departement", "78")
    assert "synergies" in shown and "étape" in shown
    assert "étape" not in _on_a_terminal("synergies", "--departement", "78", "--quiet")


def test_progress_never_in_a_pipe():
    done = subprocess.run(
        [sys.executable, "-m", "geo", "synergies", "--departement", "78"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert "étape" not in done.stderr
