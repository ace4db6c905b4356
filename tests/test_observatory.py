"""Observatory analyses: opportunities, radius sensitivity, summary, timeline, chart, CLI.

Hand-made geometries are built in Lambert-93 near Lyon (distances exact by
construction) and handed over in WGS84, as in test_analysis.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

import geo
from geo.analysis.observatory import (
    CATEGORIES,
    OPPORTUNITY_COLUMNS,
    PTCE_OPPORTUNITY_COLUMNS,
    opportunities,
)
from geo.analysis.summaries import (
    OPPORTUNITY_SUMMARY_COLUMNS,
    SENSITIVITY_COLUMNS,
    opportunity_summary,
    radius_sensitivity,
)
from geo.analysis.synergies import synergies
from geo.analysis.timeline import TIMELINE_COLUMNS, UNKNOWN_DATE, recognition_year, timeline
from geo.cli import main
from geo.errors import ArgumentError, SchemaError

ROOT = Path(__file__).resolve().parent.parent
X, Y = 842_000.0, 6_519_000.0  # Lambert-93, near Lyon
KM = 1000.0


def frame(ids, geoms, **columns) -> gpd.GeoDataFrame:
    series = gpd.GeoSeries(list(geoms), crs=2154).to_crs(4326)
    return gpd.GeoDataFrame({"id": list(ids), **columns}, geometry=series, crs=4326)


def square(x0: float, y0: float = Y, side_km: float = 1.0):
    return box(x0, y0, x0 + side_km * KM, y0 + side_km * KM)


def seat_east_of(x0: float, gap_km: float):
    """A seat ``gap_km`` east of the east edge of ``square(x0, Y)``."""
    return Point(x0 + KM + gap_km * KM, Y + 0.5 * KM)


@pytest.fixture()
def hand_made():
    """Territories at known distances from their PTCE, 100 km apart from each other."""
    xs = [X + i * 100 * KM for i in range(4)]
    territories = frame(
        ["overlap", "at-19.9", "at-20.1", "pe-near"],
        [square(x) for x in xs],
        nom=["Chevauche", "À 19,9 km", "À 20,1 km", "Projet proche"],
        statut=["TH", "TH", "TH", "PE"],
        region=["84"] * 4,
        region_nom=["Auvergne-Rhône-Alpes"] * 4,
        departement=["69"] * 4,
        population=[1000, 2000, 3000, 4000],
        precision=["communes", "communes", "infra-communal", "communes"],
    )
    ptce = frame(
        ["p-in", "p-19.9", "p-20.1", "p-pe"],
        [
            Point(xs[0] + 0.5 * KM, Y + 0.5 * KM),
            seat_east_of(xs[1], 19.9),
            seat_east_of(xs[2], 20.1),
            seat_east_of(xs[3], 3.0),
        ],
        nom=["Dedans", "Presque", "Juste trop loin", "Appui"],
        precision=["siege"] * 4,
        departement=["69"] * 4,
        region_nom=["Auvergne-Rhône-Alpes"] * 4,
    )
    return territories, ptce


def by_id(table: pd.DataFrame, column: str = "territory_id") -> dict[str, pd.Series]:
    return {row[column]: row for _, row in table.iterrows()}


# --- categories on hand-made frames -----------------------------------------------------------


def test_categories_at_known_distances(hand_made):
    territories, ptce = hand_made
    table = opportunities(territories, ptce, radius_km=20)
    assert list(table.columns) == [*OPPORTUNITY_COLUMNS, "territory_geometry"]
    assert list(table["territory_id"]) == list(territories["id"])  # input order
    rows = by_id(table)
    assert rows["overlap"]["category"] == "co-localisé"
    assert rows["overlap"]["category_en"] == "co-located"
    assert rows["overlap"]["nearest_ptce_id"] == "p-in"
    assert rows["overlap"]["n_ptce_overlap"] == 1
    assert rows["at-19.9"]["category"] == "proche"
    assert rows["at-19.9"]["distance_km"] == pytest.approx(19.9, abs=1e-3)
    assert rows["at-19.9"]["n_ptce_within_radius"] == 1
    far = rows["at-20.1"]
    assert far["category"] == "isolé" and far["category_en"] == "isolated"
    assert far["n_ptce_within_radius"] == 0
    # the nearest PTCE beyond the radius is still named, with its distance
    assert far["nearest_ptce_id"] == "p-20.1"
    assert far["relation"] == "far"
    assert far["distance_km"] == pytest.approx(20.1, abs=1e-3)
    assert table.attrs["radius_km"] == 20


def test_pe_rows_get_a_possible_support_ptce(hand_made):
    territories, ptce = hand_made
    rows = by_id(opportunities(territories, ptce, radius_km=20))
    assert rows["pe-near"]["support_ptce_id"] == "p-pe"
    assert rows["pe-near"]["support_ptce_nom"] == "Appui"
    assert all(pd.isna(rows[t]["support_ptce_id"]) for t in ("overlap", "at-19.9", "at-20.1"))
    # A PE beyond the radius has no support PTCE
    rows = by_id(opportunities(territories, ptce, radius_km=2))
    assert rows["pe-near"]["category"] == "isolé"
    assert pd.isna(rows["pe-near"]["support_ptce_id"])


def test_a_larger_radius_moves_the_boundary_case(hand_made):
    territories, ptce = hand_made
    rows = by_id(opportunities(territories, ptce, radius_km=20.2))
    assert rows["at-20.1"]["category"] == "proche"
    rows = by_id(opportunities(territories, ptce, radius_km=19.8))
    assert rows["at-19.9"]["category"] == "isolé"


def test_pairs_across_zones_are_never_measured():
    territories = frame(["t"], [square(X)], zone=["reunion"], statut=["TH"])
    ptce = frame(["p"], [seat_east_of(X, 1.0)], zone=["metropole"])
    row = opportunities(territories, ptce).iloc[0]
    assert row["category"] == "isolé"
    assert pd.isna(row["nearest_ptce_id"]) and math.isnan(row["distance_km"])
    assert row["reason"] == "aucun PTCE localisé dans sa zone"


def test_unlocated_rows_are_not_measurable_with_the_reason():
    territories = gpd.GeoDataFrame(
        {"id": ["nowhere", "at-sea", "here"], "statut": ["TH", "PE", "TH"]},
        geometry=gpd.GeoSeries(
            [None, box(-30, 40, -29.9, 40.1), None], crs=4326
        ),  # mid-Atlantic: outside every zone
        crs=4326,
    )
    territories.loc[2, "geometry"] = frame(["x"], [square(X)]).geometry.iloc[0]
    ptce = frame(["p"], [seat_east_of(X, 1.0)])
    rows = by_id(opportunities(territories, ptce))
    assert rows["nowhere"]["category"] == "non mesurable"
    assert rows["nowhere"]["category_en"] == "not measurable"
    assert rows["nowhere"]["reason"] == "périmètre non localisé"
    assert rows["at-sea"]["category"] == "non mesurable"
    assert rows["at-sea"]["reason"] == "périmètre hors des zones connues"
    assert rows["here"]["category"] == "proche" and pd.isna(rows["here"]["reason"])


def test_a_territory_without_geometry_overlaps_through_shared_communes():
    territories = gpd.GeoDataFrame(
        {"id": ["t"], "codes_insee": ["69123"]}, geometry=gpd.GeoSeries([None], crs=4326)
    )
    ptce = frame(["p"], [Point(X, Y)], codes_insee=["69123"])
    row = opportunities(territories, ptce).iloc[0]
    assert row["category"] == "co-localisé"


def test_approximate_perimeters_and_departement_level_ptce_are_flagged(hand_made):
    territories, ptce = hand_made
    placeholder = frame(
        ["p-dep"], [Point(X, Y + 50 * KM)], precision=["departement"], departement=["69"]
    )
    ptce = pd.concat([ptce, placeholder], ignore_index=True)
    rows = by_id(opportunities(territories, ptce))
    assert rows["at-20.1"]["approximate"]  # infra-communal perimeter
    assert "périmètre approché (infra-communal)" in rows["at-20.1"]["flags"]
    assert not rows["at-19.9"]["approximate"]
    assert all(r["n_ptce_unmeasured_departement"] == 1 for r in rows.values())
    assert "1 PTCE du département" in rows["at-19.9"]["flags"]
    # never measured: its placeholder point sits 50 km north of the first territory
    assert all(r["nearest_ptce_id"] != "p-dep" for r in rows.values())


def test_by_ptce_lists_territories_and_ptce_without_tz(hand_made):
    territories, ptce = hand_made
    extra = frame(
        ["lonely", "p-dep"],
        [seat_east_of(X + 50 * KM, 0), Point(X, Y)],
        precision=["siege", "departement"],
    )
    ptce = pd.concat([ptce, extra], ignore_index=True)
    table = opportunities(territories, ptce, radius_km=20, by="ptce")
    assert list(table.columns) == [*PTCE_OPPORTUNITY_COLUMNS, "ptce_geometry"]
    assert list(table["ptce_id"]) == list(ptce["id"])
    rows = by_id(table, "ptce_id")
    assert rows["p-in"]["category"] == "co-localisé"
    assert rows["p-in"]["territories_overlap"] == "overlap"
    assert rows["p-19.9"]["category"] == "proche"
    assert rows["p-19.9"]["territories_near"] == "at-19.9"
    assert rows["p-19.9"]["nearest_th_id"] == "at-19.9"
    assert rows["p-19.9"]["nearest_th_distance_km"] == pytest.approx(19.9, abs=1e-3)
    lonely = rows["lonely"]
    assert lonely["category"] == "PTCE sans TZ" and lonely["category_en"] == "PTCE without TZ"
    # at X + 51 km: 50 km east of "overlap" (X..X+1), 49 km west of "at-19.9" (X+100..)
    assert lonely["nearest_th_id"] == "at-19.9"
    assert lonely["nearest_th_distance_km"] == pytest.approx(49.0, abs=1e-3)
    assert lonely["nearest_pe_id"] == "pe-near"
    assert lonely["nearest_pe_distance_km"] > 20
    assert rows["p-dep"]["category"] == "non mesurable"
    assert rows["p-dep"]["reason"] == "PTCE connu au niveau du département seulement"
    assert pd.isna(rows["p-dep"]["nearest_th_id"])


def test_a_table_with_a_larger_radius_gives_the_same_answer(hand_made):
    territories, ptce = hand_made
    wide = synergies(territories, ptce, radius_km=50)
    given = opportunities(territories, ptce, wide, radius_km=20)
    computed = opportunities(territories, ptce, radius_km=20)
    pd.testing.assert_frame_equal(given, computed)


def test_the_given_table_is_the_one_used(hand_made):
    # Catches the mutant that checks the synergies= table, then ignores it and recomputes:
    # a given table whose distance was changed must show through, by territory and by PTCE.
    territories, ptce = hand_made
    table = synergies(territories, ptce, radius_km=20)
    near = table["territory_id"] == "at-19.9"
    assert near.sum() == 1
    table.loc[near, "distance_km"] = 7.25
    rows = by_id(opportunities(territories, ptce, table, radius_km=20))
    assert rows["at-19.9"]["distance_km"] == 7.25
    assert rows["overlap"]["category"] == "co-localisé"
    # a pair removed from the given table is no longer within reach
    without = table[table["territory_id"] != "at-19.9"]
    rows = by_id(opportunities(territories, ptce, without, radius_km=20))
    assert rows["at-19.9"]["n_ptce_within_radius"] == 0
    by_ptce = by_id(opportunities(territories, ptce, without, radius_km=20, by="ptce"), "ptce_id")
    assert by_ptce["p-19.9"]["category"] == "PTCE sans TZ"


def test_a_table_with_a_smaller_radius_or_a_bad_by_is_refused(hand_made):
    territories, ptce = hand_made
    narrow = synergies(territories, ptce, radius_km=10)
    with pytest.raises(ArgumentError, match="radius_km=10"):
        opportunities(territories, ptce, narrow, radius_km=20)
    with pytest.raises(ArgumentError, match="radius_km=10"):
        radius_sensitivity(territories, ptce, (5, 20), synergies=narrow)
    with pytest.raises(ArgumentError, match="'territoire'"):
        opportunities(territories, ptce, by="territoire")
    with pytest.raises(ArgumentError, match="radius_km"):
        opportunities(territories, ptce, radius_km=-1)
    with pytest.raises(ArgumentError, match="at least one"):
        radius_sensitivity(territories, ptce, ())
    other = synergies(territories.iloc[:1].assign(id=["ghost"]), ptce)
    with pytest.raises(SchemaError, match="ghost"):
        opportunities(territories, ptce, other)


# --- radius sensitivity and summary -----------------------------------------------------------


def test_radius_sensitivity_counts_by_region_and_radius(hand_made):
    territories, ptce = hand_made
    table = radius_sensitivity(territories, ptce, radii=(20, 5, 20.2))
    assert list(table.columns) == SENSITIVITY_COLUMNS
    assert sorted(set(table["radius_km"])) == [5, 20, 20.2]
    national = table[(table["region"] == "France") & (table["statut"] == "ensemble")]
    national = national.set_index("radius_km")
    assert national.loc[5, ["n_colocated", "n_near", "n_isolated"]].tolist() == [1, 1, 2]
    assert national.loc[20, ["n_colocated", "n_near", "n_isolated"]].tolist() == [1, 2, 1]
    assert national.loc[20.2, ["n_colocated", "n_near", "n_isolated"]].tolist() == [1, 3, 0]
    assert national.loc[20, "share_with_ptce_pct"] == pytest.approx(75.0)
    region = table[(table["region"] == "Auvergne-Rhône-Alpes") & (table["statut"] == "TH")]
    assert region.set_index("radius_km").loc[20, "n_territories"] == 3


def test_opportunity_summary_by_region(hand_made):
    territories, ptce = hand_made
    table = opportunity_summary(territories, ptce, radius_km=20)
    assert list(table.columns) == OPPORTUNITY_SUMMARY_COLUMNS
    row = table[table["region"] == "France"].iloc[0]
    assert (row["n_th"], row["n_th_with_ptce"], row["n_th_isolated"]) == (3, 2, 1)
    assert row["share_th_with_ptce_pct"] == pytest.approx(200 / 3)
    assert row["population_th"] == 6000
    assert row["population_th_with_ptce"] == 3000
    assert row["population_th_without_ptce"] == 3000
    assert (row["n_pe"], row["n_pe_with_support_ptce"]) == (1, 1)
    assert (row["n_ptce"], row["n_ptce_without_tz"]) == (4, 1)  # p-20.1 has no TZ within 20 km
    assert list(table["region"]) == ["Auvergne-Rhône-Alpes", "France"]


# --- shipped data --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    paths = [ROOT / "data" / "territories.geojson", ROOT / "data" / "ptce.geojson"]
    if not all(p.is_file() for p in paths):
        pytest.skip("shipped data not built")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return geo.load_territories(), geo.load_ptce()


def test_shipped_seed_pairs_are_co_located(shipped, shared_reference):
    territories, ptce = shipped
    seeds = pd.read_csv(shared_reference / "seed_pairs.csv", dtype=str, keep_default_na=False)
    seeds = seeds[seeds["tz_id"].isin(territories["id"]) & seeds["ptce_id"].isin(ptce["id"])]
    assert len(seeds) == 6
    table = synergies(territories, ptce, radius_km=20)
    rows = by_id(opportunities(territories, ptce, table))
    by_ptce = by_id(opportunities(territories, ptce, table, by="ptce"), "ptce_id")
    for seed in seeds.itertuples():
        assert rows[seed.tz_id]["category"] == "co-localisé", seed.tz_id
        assert seed.tz_id in by_ptce[seed.ptce_id]["territories_overlap"].split(";")
        assert by_ptce[seed.ptce_id]["category"] == "co-localisé"


def test_shipped_every_territory_appears_once(shipped):
    territories, ptce = shipped
    table = opportunities(territories, ptce)
    th = table[table["territory_statut"] == "TH"]
    assert th["territory_id"].is_unique
    assert sorted(th["territory_id"]) == sorted(
        territories.loc[territories["statut"] == "TH", "id"]
    )
    assert len(table) == len(territories)
    assert set(table["category"]) <= set(CATEGORIES)
    unmeasurable = table[table["category"] == "non mesurable"]
    assert unmeasurable["reason"].notna().all()
    assert (table.loc[table["territory_statut"] != "PE", "support_ptce_id"]).isna().all()


def test_shipped_radius_sensitivity_matches_synergies_at_each_radius(shipped):
    territories, ptce = shipped
    radii = (5, 10, 20, 30, 50)
    table = radius_sensitivity(territories, ptce, radii)
    national = table[(table["region"] == "France") & (table["statut"] == "ensemble")]
    national = national.set_index("radius_km")
    located = territories.geometry.notna() & ~territories.geometry.is_empty
    for radius in radii:
        pairs = synergies(territories, ptce, radius_km=radius)
        overlap = set(pairs.loc[pairs["relation"] == "overlap", "territory_id"])
        within = set(pairs["territory_id"]) - overlap
        row = national.loc[radius]
        assert row["n_colocated"] == len(overlap)
        assert row["n_near"] == len(within)
        unlocated = set(territories.loc[~located, "id"]) - overlap - within
        assert row["n_unmeasurable"] == len(unlocated)
        counts = row[["n_colocated", "n_near", "n_isolated", "n_unmeasurable"]]
        assert counts.sum() == len(territories)
    with_ptce = (national["n_colocated"] + national["n_near"]).to_numpy()
    assert (np.diff(with_ptce) >= 0).all()
    assert (np.diff(national["n_isolated"].to_numpy()) <= 0).all()
    assert (national["n_colocated"].nunique()) == 1  # overlaps do not depend on the radius
    regions = table[(table["region"] != "France") & (table["statut"] == "ensemble")]
    sums = regions.groupby("radius_km")[["n_territories", "n_near"]].sum()
    assert (sums["n_territories"] == len(territories)).all()
    assert (sums["n_near"] == national["n_near"]).all()


# --- timeline ------------------------------------------------------------------------------


@pytest.fixture()
def dated():
    territories = frame(
        ["th-2016", "th-2023", "th-undated", "pe-2020"],
        [square(X), square(X + 100 * KM), square(X + 200 * KM), square(X + 300 * KM)],
        statut=["TH", "TH", "TH", "PE"],
        date_habilitation=["2016-11-24", "2023", "", None],
        notes=["", "", "", "Date de la source : ~2020. Projet émergent."],
    )
    ptce = frame(
        ["p-2014", "p-2021", "p-candidate", "p-none"],
        [
            seat_east_of(X, 2),
            seat_east_of(X + 100 * KM, 5),
            seat_east_of(X + 200 * KM, 1),
            seat_east_of(X + 300 * KM, 1),
        ],
        soutien_etat=[
            "2014 (lauréat du 1er appel à projets national PTCE 2013)",
            "2021 (AMI « PTCE émergents », lauréat phase 1)",
            "candidature au 2e appel à projets national PTCE (2015), non retenue",
            "",
        ],
    )
    return territories, ptce


def test_timeline_counts_each_dated_row_once_from_its_year(dated):
    territories, ptce = dated
    table = timeline(territories, ptce, radius_km=20, end=2026)
    assert list(table.columns) == TIMELINE_COLUMNS
    years = table[table["year"].notna()]
    assert years["year"].tolist() == list(range(2016, 2027))
    unknown = table[table["period"] == UNKNOWN_DATE]
    assert len(unknown) == 1 and unknown.index[-1] == table.index[-1]
    last = years.iloc[-1]
    # cumulative counts equal the number of dated rows
    assert (last["th_total"], last["pe_total"], last["ptce_total"]) == (2, 1, 2)
    assert years["th_new"].sum() == 2 and years["ptce_new"].sum() == 2
    # rows without a date: counted once, apart, never spread over the years
    assert (unknown["th_new"].iloc[0], unknown["ptce_new"].iloc[0]) == (1, 2)
    assert unknown[["th_total", "ptce_total"]].isna().all(axis=None)
    by_year = years.set_index("year")
    assert by_year.loc[2016, "ptce_new"] == 1  # the 2014 recognition is in the first row
    assert by_year.loc[2020, "pe_new"] == 1
    # th-2023 near p-2021 (5 km): counted from 2023, when both existed
    assert by_year.loc[2022, "pairs_near_total"] == 1  # th-2016 × p-2014 only
    assert by_year.loc[2023, "pairs_near_new"] == 1
    assert by_year.loc[2023, "pairs_near_total"] == 2
    # th-undated × p-candidate and pe-2020 × p-none: no date for the pair
    assert unknown["pairs_near_new"].iloc[0] == 2
    assert table["pairs_colocated_new"].sum() == 0


def test_timeline_default_end_is_the_current_year_or_later_data(dated):
    territories, ptce = dated
    table = timeline(territories, ptce)
    assert table["year"].dropna().iloc[-1] == max(dt.date.today().year, 2023)
    with pytest.raises(ArgumentError, match="2023"):
        timeline(territories, ptce, end=2022)


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2021 (AMI « PTCE émergents », phase 2 – 100 000 € sur 2 ans)", 2021),
        ("2023 (AMI PTCE, 15 lauréats) ; candidat AMI 2021", 2023),
        ("2014", 2014),
        (2016, 2016),
        (2016.0, 2016),
        (dt.date(2022, 11, 16), 2022),
        ("candidature au 2e appel à projets national PTCE (dépôt au 30 juin 2015)", None),
        ("dossier de candidature (année et résultat non trouvés)", None),
        ("", None),
        (None, None),
        (float("nan"), None),
        ("20210", None),
    ],
)
def test_recognition_year(text, year):
    assert recognition_year(text) == year


def test_shipped_timeline_totals_match_the_data(shipped):
    territories, ptce = shipped
    table = timeline(territories, ptce)
    years = table[table["year"].notna()]
    unknown = table[table["year"].isna()].iloc[0]
    n_th = int((territories["statut"] == "TH").sum())
    assert years["th_total"].iloc[-1] + unknown["th_new"] == n_th
    assert years["ptce_total"].iloc[-1] + unknown["ptce_new"] == len(ptce)
    assert (np.diff(years["th_total"].to_numpy(dtype=int)) >= 0).all()
    assert years.set_index("year").loc[2016, "th_new"] == 10  # the first ten, 24 Nov 2016


# --- chart ---------------------------------------------------------------------------------


def test_plot_timeline_svg_parses_with_its_text_alternative(dated, tmp_path):
    table = timeline(*dated, end=2026)
    path = geo.plot_timeline(table, tmp_path / "out" / "evolution.svg")
    assert path.is_file()
    root = ET.parse(path).getroot()
    assert root.get("role") == "img"
    ns = {"svg": "http://www.w3.org/2000/svg"}
    title = root.find("svg:title", ns)
    desc = root.find("svg:desc", ns)
    assert title is not None and "TZCLD" in title.text
    assert "2023 : 2 TH habilités" in desc.text
    assert "date inconnue (non réparti sur les années) : 1 TH" in desc.text
    assert [p.name for p in path.parent.iterdir()] == ["evolution.svg"]  # no temporary left
    again = geo.plot_timeline(table, tmp_path / "again.svg")
    assert again.read_bytes() == path.read_bytes()  # same table, same file


def test_plot_timeline_png_decodes(dated, tmp_path):
    import matplotlib.image

    table = timeline(*dated, end=2026)
    path = geo.plot_timeline(table, tmp_path / "evolution.png")
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[0] > 300 and pixels.shape[1] > 500
    grey = pixels[..., :3]
    assert np.allclose(grey[..., 0], grey[..., 1], atol=0.02)  # grey scale: no colour needed


@pytest.mark.parametrize(
    "column",
    ["th_total", "pe_total", "ptce_total", "pairs_colocated_total", "pairs_near_total"],
)
def test_plot_timeline_draws_each_series_from_its_data(dated, tmp_path, column):
    # Catches a chart whose lines or bars are all zero (or drop a series): setting one
    # series to zero, with the same text under the chart, must change the picture.
    import matplotlib.image

    table = timeline(*dated, end=2026)
    dated_rows = table["year"].notna()
    if not table.loc[dated_rows, column].any():  # no co-located pair in these frames
        table.loc[dated_rows, column] = np.arange(1, dated_rows.sum() + 1)
    zeroed = table.copy()
    zeroed.loc[dated_rows, column] = 0
    drawn = matplotlib.image.imread(geo.plot_timeline(table, tmp_path / "data.png", dpi=100))
    flat = matplotlib.image.imread(geo.plot_timeline(zeroed, tmp_path / "zero.png", dpi=100))
    assert drawn.shape == flat.shape
    assert (np.abs(drawn - flat) > 0.1).any(axis=-1).sum() > 20, column


def test_plot_timeline_png_for_print_300_dpi(dated, tmp_path):
    from PIL import Image

    table = timeline(*dated, end=2026)
    with Image.open(geo.plot_timeline(table, tmp_path / "evolution.png")) as image:
        assert image.size == (2700, 1950)  # 9 x 6.5 inches at 300 dpi
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        assert "2023 : 2 TH" in image.info["Description"]
    with Image.open(geo.plot_timeline(table, tmp_path / "small.png", dpi=100)) as image:
        assert image.size == (900, 650)


def test_plot_timeline_pdf_is_deterministic_with_embedded_fonts(dated, tmp_path):
    table = timeline(*dated, end=2026)
    first = geo.plot_timeline(table, tmp_path / "a.pdf").read_bytes()
    second = geo.plot_timeline(table, tmp_path / "b.pdf").read_bytes()
    assert first.startswith(b"%PDF-")
    assert first == second  # no creation date: same table, same bytes
    assert b"/CreationDate" not in first
    assert b"/FontFile2" in first  # TrueType (Type 42) font program embedded
    assert b"/Subtype /Type3" not in first


def test_plot_timeline_failure_leaves_the_existing_file(dated, tmp_path):
    target = tmp_path / "evolution.svg"
    target.write_text("previous", encoding="utf-8")
    with pytest.raises(SchemaError, match="th_total"):
        geo.plot_timeline(pd.DataFrame({"year": [2016]}), target)
    with pytest.raises(ArgumentError, match=r"\.gif.*\.svg, \.png, \.pdf"):
        geo.plot_timeline(timeline(*dated, end=2026), tmp_path / "evolution.gif")
    assert target.read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evolution.svg"]


def test_missing_matplotlib_names_the_extra(dated, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(ModuleNotFoundError, match=r"tzptce-geo\[plot\]"):
        geo.plot_timeline(timeline(*dated, end=2026), tmp_path / "evolution.svg")
    assert not list(tmp_path.iterdir())


# --- CLI ---------------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_opportunities_prints_the_summary_and_writes(capsys, tmp_path, shipped):
    code, out, err = run(capsys, "opportunities", "--out", str(tmp_path / "o.csv"))
    assert code == 0, err
    # PE whose source says the project is blocked are left out, as on the maps.
    active = shipped[0]["statut_detail"].isna() | (shipped[0]["statut_detail"] == "")
    assert out.startswith(f"{int(active.sum())} territoires, PTCE à 20 km ou moins")
    assert "Part des TH avec un PTCE (%)" in out and "France" in out
    written = pd.read_csv(tmp_path / "o.csv")
    assert list(written.columns) == OPPORTUNITY_COLUMNS
    assert len(written) == int(active.sum())
    code, out, _ = run(
        capsys, "opportunities", "--by", "ptce", "--radius-km", "30",
        "--out", str(tmp_path / "p.xlsx"),
    )  # fmt: skip
    assert code == 0
    sheet = pd.read_excel(tmp_path / "p.xlsx", sheet_name="opportunites")
    assert list(sheet.columns) == PTCE_OPPORTUNITY_COLUMNS
    assert "PTCE à 30 km ou moins" in out


def test_cli_opportunities_region_filter(capsys, shipped):
    code, out, _ = run(capsys, "opportunities", "--region", "Île-de-France")
    assert code == 0
    n = int((shipped[0]["region"] == "11").sum())
    assert out.startswith(f"{n} territoires")
    lines = out.splitlines()[2:]
    assert len(lines) == 2 and lines[0].strip().startswith("Île-de-France")
    # The population line says what the total leaves out (quartiers of unknown population).
    assert lines[1].startswith("TH — Population connue : ") and "non comptés" in lines[1]
    code, out, _ = run(capsys, "opportunities", "--by", "ptce", "--departement", "974")
    assert code == 0
    assert out.startswith(f"{int((shipped[1]['departement'] == '974').sum())} PTCE")


def test_cli_opportunities_errors(capsys, tmp_path):
    code, _, err = run(capsys, "opportunities", "--out", str(tmp_path / "o.pdf"))
    assert code == 1 and "'.pdf'" in err and "Traceback" not in err
    assert run(capsys, "opportunities", "--by", "commune")[0] == 2


def test_cli_timeline_writes_table_and_chart(capsys, tmp_path):
    code, out, err = run(capsys, "timeline", "--out", str(tmp_path / "t.csv"))
    assert code == 0, err
    assert "date inconnue" in out and "TH habilités (cumul)" in out
    table = pd.read_csv(tmp_path / "t.csv")
    assert list(table.columns) == TIMELINE_COLUMNS
    code, out, _ = run(capsys, "timeline", "--out", str(tmp_path / "t.svg"))
    assert code == 0
    ET.parse(tmp_path / "t.svg")
    assert f"wrote {tmp_path / 't.svg'}" in out and f"wrote {tmp_path / 't.csv'}" in out
    code, _, _ = run(capsys, "timeline", "--region", "Occitanie", "--out", str(tmp_path / "t.png"))
    assert code == 0 and (tmp_path / "t.png").stat().st_size > 1000


# --- notebook ----------------------------------------------------------------------------


def test_notebook_03_runs_offline_in_a_scratch_copy(tmp_path, session_cache, monkeypatch):
    import shutil

    import nbformat
    from nbclient import NotebookClient

    workdir = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", workdir)
    monkeypatch.setenv("TZPTCE_CACHE_DIR", str(session_cache))
    monkeypatch.setenv("TZPTCE_OFFLINE", "1")
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    notebook = nbformat.read(workdir / "03_observatoire.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    before = sorted(p.name for p in workdir.rglob("*"))
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": workdir}}
    )
    client.execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs), "the chart is shown"
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    for label in ("PTCE d&#x27;appui possible", "TH le plus proche", "Rayon (km)", "Année"):
        assert label in html or label.replace("&#x27;", "'") in html, label
    assert sorted(p.name for p in workdir.rglob("*")) == before  # nothing written beside it
    assert list((tmp_path / "tmp").rglob("evolution.svg"))
