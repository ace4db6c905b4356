"""Print maps (geo.static_map / write_static_map / map --static) and the figure writer."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

import geo
from geo.cli import main
from geo.errors import ArgumentError
from geo.publish import staticmap

pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")

TH_COLOR = np.array([0xD5, 0x5E, 0x00])  # the web map's TH colour (maps.STATUTS)
DATE = "2026-01-05"


@pytest.fixture(scope="module")
def shipped():
    return geo.load_territories(), geo.load_ptce()


@pytest.fixture(scope="module")
def national(shipped):
    return geo.static_map(*shipped, date=DATE)


@pytest.fixture(scope="module")
def national_png(national, tmp_path_factory):
    path = geo.write_static_map(national, tmp_path_factory.mktemp("png") / "carte.png")
    with Image.open(path) as image:
        return image.info, np.asarray(image.convert("RGB"))


def _panel_pixels(pixels: np.ndarray, key: str) -> np.ndarray:
    """The pixels inside one panel of staticmap.LAYOUT (figure fractions, origin bottom left)."""
    height, width = pixels.shape[:2]
    left, bottom, w, h = staticmap.LAYOUT[key]
    rows = slice(round(height * (1 - bottom - h)) + 2, round(height * (1 - bottom)) - 2)
    cols = slice(round(width * left) + 2, round(width * (left + w)) - 2)
    return pixels[rows, cols]


def _count(pixels: np.ndarray, color: np.ndarray, tolerance: int = 12) -> int:
    return int((np.abs(pixels.astype(int) - color).max(axis=-1) <= tolerance).sum())


def test_png_is_print_size_at_300_dpi(national_png, shipped):
    info, pixels = national_png
    assert pixels.shape[:2] == (round(200 / 25.4 * 300), round(190 / 25.4 * 300))  # 2362 x 2244
    assert info["dpi"] == pytest.approx((300, 300), abs=0.01)
    territories, _ = shipped
    # PE whose source says the project is blocked are not counted as active PE by default
    active = territories[territories["statut_detail"].fillna("") == ""]
    assert len(active) < len(territories)
    assert f"{len(active)} territoires" in info["Description"]


def test_territory_colour_inside_metropole_and_the_reunion_inset(national_png, shipped):
    _, pixels = national_png
    territories, _ = shipped
    assert (territories["departement"] == "974").any()  # Le Port, a TH of La Réunion
    in_metropole = _count(_panel_pixels(pixels, "metropole"), TH_COLOR)
    in_reunion = _count(_panel_pixels(pixels, "reunion"), TH_COLOR)
    in_guyane = _count(_panel_pixels(pixels, "guyane"), TH_COLOR)
    assert in_metropole > 2000  # ~50 filled squares
    assert in_reunion > 50
    assert in_guyane == 0  # no territory in Guyane: the inset shows only its own zone
    # the sea colour around the land, in every panel (a basemap, not tiles)
    for key in ("metropole", "guadeloupe", "mayotte"):
        assert _count(_panel_pixels(pixels, key), np.array([0xDF, 0xE8, 0xEE]), 2) > 10000


def test_size_and_dpi_are_honoured(shipped, tmp_path):
    fig = geo.static_map(*shipped, width_mm=100, height_mm=120, date=DATE)
    path = geo.write_static_map(fig, tmp_path / "petite.png", dpi=100)
    with Image.open(path) as image:
        assert image.size == (int(100 / 25.4 * 100), int(120 / 25.4 * 100))  # 393 x 472


def test_svg_is_the_same_bytes_twice_with_its_text_alternative(shipped, national, tmp_path):
    first = geo.write_static_map(national, tmp_path / "a.svg").read_bytes()
    again = geo.static_map(*shipped, date=DATE)
    second = geo.write_static_map(again, tmp_path / "b.svg").read_bytes()
    assert first == second
    root = ET.fromstring(first)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert root.get("role") == "img"
    assert root.find("svg:title", ns).text == "Territoires zéro chômeur et PTCE"
    assert "95 PTCE localisés sur 116" in root.find("svg:desc", ns).text
    assert b"<text" not in first  # glyphs drawn as paths: no font needed to read it


def test_pdf_is_deterministic_with_embedded_truetype_fonts(national, tmp_path):
    first = geo.write_static_map(national, tmp_path / "a.pdf").read_bytes()
    second = geo.write_static_map(national, tmp_path / "b.pdf").read_bytes()
    assert first.startswith(b"%PDF-") and first == second
    assert b"/FontFile2" in first and b"/CreationDate" not in first


def test_date_and_sources_are_printed(shipped, tmp_path):
    fig = geo.static_map(*shipped, date="2025-03-09")
    texts = [t.get_text() for t in fig.texts]
    sources = next(t for t in texts if t.startswith("Sources"))
    assert "09/03/2025" in sources and "COG 2025" in sources
    assert "Outre-mer à des échelles différentes" in sources


def test_a_focused_map_has_one_panel_and_names_its_area(shipped):
    fig = geo.static_map(*shipped, region="76", date=DATE)
    assert len(fig.axes) == 1
    assert any(t.get_text() == "Territoires zéro chômeur et PTCE — Occitanie" for t in fig.texts)
    port = geo.static_map(*shipped, territory="le-port", date=DATE)
    assert port._geo_title == "Le Port (La Réunion) : PTCE et synergies"  # AreaView.title
    assert any(t.get_text() == port._geo_title for t in port.texts)
    assert not any("Outre-mer" in t.get_text() for t in port.texts)
    yvelines = geo.static_map(*shipped, departement="78", date=DATE)
    assert yvelines._geo_title == "Territoires zéro chômeur et PTCE — Yvelines (78)"


def test_the_caption_says_that_the_blocked_pe_are_left_out(shipped, national):
    said = "Non représentés : 5 projets émergents bloqués ou arrêtés (selon leur source)."
    assert national._geo_description.endswith(said)
    assert sum(said in t.get_text() for t in national.texts) == 1  # printed under the title
    bretagne = geo.static_map(*shipped, region="Bretagne", date=DATE)
    assert not any("Non représenté" in t.get_text() for t in bretagne.texts)


def test_scale_bar_lengths_are_round():
    assert staticmap._nice_km(1000) == 200
    assert staticmap._nice_km(60) == 10
    assert staticmap._nice_km(7) == 1


def test_bad_arguments(shipped, national, tmp_path):
    with pytest.raises(ArgumentError, match=r"\.gif"):
        geo.write_static_map(national, tmp_path / "carte.gif")
    with pytest.raises(ArgumentError, match="date"):
        geo.static_map(*shipped, date="hier")
    with pytest.raises(ArgumentError, match="width_mm"):
        geo.static_map(*shipped, width_mm=0)
    assert not list(tmp_path.iterdir())


def test_cli_map_static_only(tmp_path, capsys):
    out = tmp_path / "occitanie.pdf"
    assert main(["--quiet", "map", "--static", str(out), "--region", "Occitanie"]) == 0
    assert out.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in tmp_path.iterdir()] == ["occitanie.pdf"]  # no HTML page
    assert "carte imprimable" in capsys.readouterr().out
