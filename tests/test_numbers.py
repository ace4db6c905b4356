"""Numbers you can publish (issue 18): population with provenance, placed rows.

Every figure is true or says how it is approximate: a quartier never carries
its commune's population, a population comes with its source, a row placed by
an address or coordinates says so.
"""

from __future__ import annotations

import html
import warnings

import pandas as pd
import pytest
from conftest import Reply
from shapely.geometry import Point

import geo
import geo.settings
from geo.errors import DataSourceError, SchemaError
from geo.loading.entities import EntityWarning
from geo.reference.qpv import load_qpv_population
from geo.schema import POPULATION_SOURCES
from geo.shipped.build import build_frames

# --- population of the shipped territories -------------------------------------------


@pytest.fixture(scope="module")
def territories():
    return geo.load_territories()


def test_a_quartier_never_carries_its_communes_population(territories):
    quartiers = territories[territories["precision"].isin(["infra-communal", "qpv"])]
    assert len(quartiers) >= 39
    assert not quartiers["population_source"].eq("communes").any()
    known = quartiers["population"].notna()
    # Known only from the QPV table or a figure the territory's own source states.
    assert set(quartiers.loc[known, "population_source"]) <= {"qpv", "source"}
    assert (quartiers.loc[known, "population"] < quartiers.loc[known, "population_communes"]).all()
    bordeaux = territories.set_index("id").loc["bordeaux-grand-parc"]
    assert pd.isna(bordeaux["population"]) and bordeaux["population_source"] == "inconnue"
    assert bordeaux["population_communes"] == 254436  # Bordeaux: an upper bound, kept apart


def test_every_population_says_where_it_comes_from(territories):
    assert set(territories["population_source"]) <= set(POPULATION_SOURCES)
    unknown = territories["population_source"] == "inconnue"
    assert territories.loc[unknown, "population"].isna().all()
    assert territories.loc[~unknown, "population"].notna().all()
    whole = territories[territories["precision"] == "communes"]
    assert (whole["population"] == whole["population_communes"]).all()
    assert whole["population_source"].eq("communes").all()


def test_sourced_figures_carry_their_url(territories):
    cited = territories[territories["population_source"] == "source"].set_index("id")
    assert {"paris-19-rosa-parks", "blois", "reze", "montpellier-grabels"} <= set(cited.index)
    assert cited["population_url"].str.match(r"^https?://").all()
    assert (cited["population"] == cited["population_citee"]).all()
    assert cited.loc["paris-19-rosa-parks", "population"] == 9500
    # The URL stating the figure is one of the row's sources or a page read for it.
    assert "france3-regions" in cited.loc["paris-19-rosa-parks", "population_url"]


# --- QPV 2024 population (INSEE), real format on a local server -----------------------

# The columns of INSEE's table (UPSTREAM.md), headers in another case as copies vary.
_HEADER = "CODEQPV;libQPV;codeReg;popmuniqpv;partPop15_24;listeDepCom\n"


def _qpv_table(rows: dict[str, str]) -> bytes:
    lines = [f"{code};Quartier {code};11;{pop};12,5;75113" for code, pop in rows.items()]
    return (_HEADER + "\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture()
def scratch_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setattr(geo.settings, "cache_dir", cache)
    return cache


def test_qpv_population_from_a_local_server_feeds_the_build(local_server, scratch_cache):
    # paris-13 has QN07504M and QN07501M; blois QN04101M and QN04104N (one left out:
    # its QPV sum is incomplete, so its own source's figure stays).
    body = _qpv_table({"QN07504M": "4210", "QN07501M": "5133", "QN04101M": "8000"})
    local_server.route("/qpv2024_pop.csv", Reply(500), Reply(200, body))
    url = local_server.url + "/qpv2024_pop.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        territories, _ = build_frames(qpv_population=url)
    by_id = territories.set_index("id")
    assert len(local_server.hits("/qpv2024_pop.csv")) == 2  # 500, then retried
    paris13 = by_id.loc["paris-13"]
    assert (paris13["population"], paris13["population_source"]) == (4210 + 5133, "qpv")
    assert paris13["population_communes"] > paris13["population"]
    blois = by_id.loc["blois"]
    assert (blois["population"], blois["population_source"]) == (7500, "source")
    # The download was a scratch file, removed once read.
    assert not [p for p in scratch_cache.iterdir() if "qpv-population" in p.name]


def test_qpv_population_errors_name_the_file_and_line(tmp_path, local_server, scratch_cache):
    bad = tmp_path / "pop.csv"
    bad.write_text("codeQPV,popMuniQPV\nQN07504M,4210\nQN0750XM,12\nQN07501M,douze\n")
    with pytest.raises(SchemaError) as info:
        load_qpv_population(bad)
    assert info.value.problems == [
        f"{bad} line 3: codeQPV 'QN0750XM' is not a QPV 2024 code",
        f"{bad} line 4: popMuniQPV 'douze' of QN07501M is not a whole number",
    ]
    (tmp_path / "other.csv").write_text("code;population\nQN07504M;1\n")
    with pytest.raises(SchemaError, match="no column codeqpv, popmuniqpv"):
        load_qpv_population(tmp_path / "other.csv")
    local_server.route("/missing.csv", Reply(404))
    with pytest.raises(DataSourceError, match="404"):
        load_qpv_population(local_server.url + "/missing.csv")
    # Secret or empty figures are unknown, not zero.
    (tmp_path / "s.csv").write_text("codeQPV;popMuniQPV\nQN07504M;s\nQN07501M;\nQN04101M;812\n")
    assert load_qpv_population(tmp_path / "s.csv") == {"QN04101M": 812}


# --- rows placed by coordinates or an address ----------------------------------------


def test_lat_lon_territory_is_a_point_with_its_commune_as_context(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("nom,latitude,longitude\nQuelque part,48.9934,1.91034\n")
    gdf = geo.load_territories(path)
    row = gdf.iloc[0]
    assert row["precision"] == "point"
    assert row.geometry.equals(Point(1.91034, 48.9934))
    assert row["codes_insee"] == "78440"  # context: the commune under the point
    assert pd.isna(row["population"]) and row["population_source"] == "inconnue"
    assert row["population_communes"] > 0


def test_offline_address_is_the_town_hall_and_the_warning_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(geo.settings, "offline", True)
    path = tmp_path / "t.csv"
    path.write_text("nom,adresse,commune\nTZ Thiers,1 place de la Mairie,Thiers\n")
    with pytest.warns(EntityWarning, match=r"placed at the town hall of 63430"):
        gdf = geo.load_territories(path)
    row = gdf.iloc[0]
    assert row["precision"] == "mairie"
    assert row.geometry.geom_type == "Point"
    assert row["codes_insee"] == "63430"


# --- relations qualified by the precision of what they measure -----------------------


@pytest.fixture(scope="module")
def shipped():
    territories, ptce = geo.load_territories(), geo.load_ptce()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = geo.synergies(territories, ptce, radius_km=20)
    return territories, ptce, table


def _pair(table, tid, pid):
    rows = table[(table["territory_id"] == tid) & (table["ptce_id"] == pid)]
    assert len(rows) == 1, (tid, pid)
    return rows.iloc[0]


def test_certainty_follows_the_precision_of_the_perimeters(shipped):
    table = shipped[2]
    assert set(table["certainty"]) <= {"sûr", "probable", "non mesurable"}
    # Les Mureaux is a quartier drawn as its commune: its overlap is only probable.
    assert _pair(table, "les-mureaux", "vivre-les-mureaux")["certainty"] == "probable"
    # Cœur de Savoie is drawn as its whole CC, PECCS's area is that CC: by construction.
    assert _pair(table, "coeur-de-savoie-val-gelon", "peccs")["certainty"] == "non mesurable"
    precise = table[
        (table["territory_precision"] == "communes") & (table["ptce_precision"] == "communes")
    ]
    assert len(precise) and precise["certainty"].eq("sûr").all()
    approximate = table["territory_precision"].isin(["infra-communal", "epci"])
    assert not table.loc[approximate, "certainty"].eq("sûr").any()


def test_the_same_pair_is_sure_with_a_precise_perimeter(shipped):
    territories, ptce, _ = shipped
    one = territories[territories["id"] == "les-mureaux"].copy()
    for precision, expected in (("infra-communal", "probable"), ("communes", "sûr")):
        one["precision"] = precision
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = geo.synergies(one, ptce[ptce["id"] == "vivre-les-mureaux"], radius_km=5)
        assert table["certainty"].tolist() == [expected]


@pytest.fixture(scope="module")
def site_dir(shipped, tmp_path_factory):
    from geo.publish.site import build_site

    territories, ptce, table = shipped
    root = tmp_path_factory.mktemp("site")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build_site(root, territories=territories, ptce=ptce, synergies=table, tiles=False)
    return root


def test_probable_relation_is_said_in_map_data_umap_and_site(shipped, site_dir):
    from geo.publish.maps import map_data
    from geo.publish.umap import to_umap

    territories, ptce, table = shipped
    said = "chevauchement probable — périmètre approché"
    data = map_data(territories, ptce, table, departement="78", tiles=False)
    t_ids = [r[0] for r in data["t"]["rows"]]
    p_ids = [r[0] for r in data["p"]["rows"]]
    link = next(
        r for r in data["l"] if (t_ids[r[0]], p_ids[r[1]]) == ("les-mureaux", "vivre-les-mureaux")
    )
    assert link[8] == "probable — périmètre approché"
    document = to_umap(territories, ptce, table, departement="78")
    features = [f for layer in document["layers"] for f in layer["features"]]
    line = next(
        f
        for f in features
        if f["properties"].get("territory_id") == "les-mureaux"
        and f["properties"].get("ptce_id") == "vivre-les-mureaux"
    )
    assert line["properties"]["certainty"] == "probable"
    # uMap descriptions write data as character references (inert in uMap's renderer)
    assert said in html.unescape(line["properties"]["description"])
    mureaux = next(f for f in features if f["properties"].get("id") == "les-mureaux")
    assert said in html.unescape(mureaux["properties"]["description"])
    page = (site_dir / "territoires" / "les-mureaux.html").read_text(encoding="utf-8")
    assert said in page


# --- summaries that separate exact from approximate -----------------------------------


def test_synergy_summary_parts_add_up_and_say_what_is_left_out(shipped):
    territories, ptce, table = shipped
    summary = geo.synergy_summary(territories, ptce, table, radius_km=20)
    s = summary.astype({c: "float" for c in summary.columns if c.startswith(("population", "n_"))})
    assert (s["population"] == s["population_exact"] + s["population_approx"]).all()
    assert (s["population_with_ptce_exact"] <= s["population_with_ptce"]).all()
    assert (s["n_overlap_probable"] <= s["n_overlap"]).all()
    th = summary[(summary["region"] == "France") & (summary["statut"] == "TH")].iloc[0]
    rows = territories[territories["statut"] == "TH"]
    exact = rows[(rows["population_source"] == "communes") & (rows["precision"] == "communes")]
    # The national TH total is the exact rows plus the approximate ones; the rest is
    # said to be left out, never filled with an upper bound.
    assert th["population_exact"] == exact["population"].sum()
    assert th["population"] == rows["population"].sum()
    assert th["n_population_unknown"] == rows["population"].isna().sum() > 30
    assert th["population"] < rows["population_communes"].sum()
    assert th["n_overlap_probable"] >= 1


def test_opportunity_summary_and_sensitivity_split_exact_and_probable(shipped):
    territories, ptce, table = shipped
    summary = geo.opportunity_summary(territories, ptce, table, radius_km=20)
    france = summary[summary["region"] == "France"].iloc[0]
    assert (
        france["population_th"] == france["population_th_exact"] + france["population_th_approx"]
    )
    th = territories[territories["statut"] == "TH"]
    assert france["n_th_population_unknown"] == th["population"].isna().sum()
    assert 0 < france["n_th_with_ptce_probable"] <= france["n_th_with_ptce"]
    assert (
        france["n_th_with_ptce_population_unknown"]
        + france["n_th_without_ptce_population_unknown"]
        <= france["n_th_population_unknown"]
    )
    sensitivity = geo.radius_sensitivity(territories, ptce, (5, 20), synergies=table)
    national = sensitivity[(sensitivity["region"] == "France") & (sensitivity["statut"] == "TH")]
    with_ptce = national["n_colocated"] + national["n_near"]
    assert (national["n_with_ptce_probable"] <= with_ptce).all()
    assert national["n_with_ptce_probable"].iloc[-1] > 0


def test_site_key_figures_split_sure_and_probable_and_say_what_is_left_out(shipped, site_dir):
    import re

    territories, _, table = shipped
    page = (site_dir / "index.html").read_text(encoding="utf-8")
    figures = {
        label: int(n.replace("\u202f", ""))
        for n, label in re.findall(r'<li><span class="n">([\d\u202f]+)</span> ([^<]+)</li>', page)
    }
    overlap = table[table["relation"] == "overlap"]
    sure = figures["paires TZ–PTCE co-localisées sûres (chevauchement mesuré)"]
    probable = figures["paires TZ–PTCE co-localisées probables — périmètre approché"]
    assert sure == (overlap["certainty"] == "sûr").sum() and sure + probable == len(overlap)
    th = territories[territories["statut"] == "TH"]
    exact = th[(th["population_source"] == "communes") & (th["precision"] == "communes")]
    label, total = next((k, v) for k, v in figures.items() if k.startswith("habitants connus"))
    assert total == th["population"].sum()
    exact_text = f"{int(exact['population'].sum()):,}".replace(",", "\u202f")
    assert f"dont {exact_text} exacts" in label
    assert f"{int(th['population'].isna().sum())} TH de population inconnue non comptés" in label


# --- one view of an area for every output ---------------------------------------------


def _codes(frames, column):
    return sorted(
        {c for frame in frames for v in frame[column].dropna() for c in str(v).split(";") if c}
    )


def _map_sets(data):
    t_ids = [r[0] for r in data["t"]["rows"]]
    p_ids = [r[0] for r in data["p"]["rows"]]
    links = {(t_ids[r[0]], p_ids[r[1]]) for r in data["l"]}
    return set(t_ids), set(p_ids), links


def _umap_sets(document):
    territories, ptce, links = set(), set(), set()
    for layer in document["layers"]:
        for feature in layer["features"]:
            props = feature["properties"]
            if "territory_id" in props:
                links.add((props["territory_id"], props["ptce_id"]))
            elif "statut" in props:
                territories.add(props["id"])
            else:
                ptce.add(props["id"])
    return territories, ptce, links


def _site_sets(page, ptce_by_name):
    import html
    import re

    text = page.split('id="territoires"', 1)[1]
    t_part, p_part = text.split('id="ptce"', 1)
    territories = set(
        re.findall(r'<th scope="row"><a href="\.\./territoires/([^"]+)\.html"', t_part)
    )
    ptce, links = set(), set()
    for name, cells in re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', p_part):
        name = html.unescape(name).removesuffix(" (hors région, partenaire)")
        pid = ptce_by_name[name]
        ptce.add(pid)
        links |= {
            (tid, pid) for tid in re.findall(r'href="\.\./territoires/([^"]+)\.html"', cells)
        }
    n_links = int(re.search(r"<p>(\d+) paires territoire–PTCE", p_part).group(1))
    return territories, ptce, links, n_links


def test_every_area_shows_the_same_rows_in_map_umap_and_site(shipped, site_dir):
    from geo.publish.area import area_view
    from geo.publish.maps import map_data
    from geo.publish.umap import to_umap

    territories, ptce, table = shipped
    ptce_by_name = dict(zip(ptce["nom"], ptce["id"], strict=True))
    assert len(ptce_by_name) == len(ptce)  # names identify the site's PTCE rows
    located_t = set(
        territories.loc[~territories.geometry.is_empty & territories.geometry.notna(), "id"]
    )
    located_p = set(ptce.loc[~ptce.geometry.is_empty & ptce.geometry.notna(), "id"])
    regions = _codes((territories, ptce), "region")
    departements = _codes((territories, ptce), "departement")
    assert len(regions) >= 17 and len(departements) >= 80
    for kind, codes in (("region", regions), ("departement", departements)):
        for code in codes:
            view = area_view(territories, ptce, table, **{kind: code})
            expected = (
                set(view.territory_ids),
                set(view.ptce_ids),
                set(zip(view.links["territory_id"], view.links["ptce_id"], strict=True)),
            )
            data = map_data(territories, ptce, table, tiles=False, **{kind: code})
            assert _map_sets(data) == expected, (kind, code)
            assert data["title"].endswith("— " + view.label)
            # A uMap layer holds features: the rows without a place (unlocated PTCE, listed
            # by the map and the site) cannot be in it; every located row is.
            document = to_umap(territories, ptce, table, **{kind: code})
            assert _umap_sets(document) == (
                expected[0] & located_t,
                expected[1] & located_p,
                expected[2],
            ), (kind, code)
            assert document["properties"]["name"].endswith("— " + view.label)
            if kind == "region":
                page = (site_dir / "regions" / f"{code}.html").read_text(encoding="utf-8")
                t_site, p_site, l_site, n_links = _site_sets(page, ptce_by_name)
                assert (t_site, p_site, l_site) == expected, code
                assert n_links == len(expected[2])
    # Bretagne: the map and the uMap export both show Plessé and Pont-Château, partners of
    # the Breton PTCE EPV across the border (the uMap export used to leave them out).
    bretagne = area_view(territories, ptce, table, region="Bretagne")
    assert {"plesse", "pontchateau"} <= bretagne.territory_ids - bretagne.own_territory_ids


def test_unknown_areas_and_ids_are_one_error_with_suggestions(shipped):
    from geo.publish.area import area_view
    from geo.publish.maps import map_data
    from geo.publish.umap import to_umap
    from geo.reference.areas import UnknownAreaError

    territories, ptce, table = shipped
    for call in (area_view, map_data, to_umap):
        with pytest.raises(UnknownAreaError, match="did you mean 'les-mureaux'"):
            call(territories, ptce, table, territory="les-muraux")
        with pytest.raises(UnknownAreaError, match="Bretagne"):
            call(territories, ptce, table, region="Bretgne")


def test_blocked_pe_are_not_drawn_as_active_by_default(shipped):
    from geo.publish.area import area_view

    territories, ptce, table = shipped
    blocked = set(territories.loc[territories["statut_detail"].fillna("") != "", "id"])
    assert blocked == {
        "strasbourg-port-du-rhin-ampere",
        "strasbourg-elsau-montagne-verte",
        "illkirch-graffenstaden",
        "schiltigheim",
        "wittenheim",
    }
    view = area_view(territories, ptce, table, region="Grand Est")
    assert not blocked & view.territory_ids
    assert blocked <= area_view(territories, ptce, table, include_stopped=True).territory_ids
    # Asked for by id, a blocked PE is shown, with its status.
    one = area_view(territories, ptce, table, territory="schiltigheim")
    assert one.territory_ids == {"schiltigheim"} and one.stopped_ids == set()
    # the view counts what it leaves out, for the outputs to say so
    assert view.stopped_ids == blocked
    assert area_view(territories, ptce, table).stopped_ids == blocked
    assert len(area_view(territories, ptce, table, departement="68").stopped_ids) == 1
    assert area_view(territories, ptce, table, region="Bretagne").stopped_ids == set()
    assert area_view(territories, ptce, table, include_stopped=True).stopped_ids == set()


def test_maps_say_that_the_blocked_pe_are_left_out(shipped):
    from geo.publish.maps import map_data
    from geo.publish.pagetext import description

    territories, ptce, table = shipped
    national = map_data(territories, ptce, table, tiles=False)
    said = "Non représentés : 5 projets émergents bloqués ou arrêtés (selon leur source)."
    assert national["leftOut"] == said
    assert description(national).endswith(" " + said)  # the page's facts and meta description
    haut_rhin = map_data(territories, ptce, table, departement="68", tiles=False)
    assert haut_rhin["leftOut"].startswith("Non représenté : 1 projet émergent bloqué")
    bretagne = map_data(territories, ptce, table, region="Bretagne", tiles=False)
    assert bretagne["leftOut"] is None and "Non représenté" not in description(bretagne)


# --- dates that say what is known ----------------------------------------------------


def test_year_only_dates_count_in_their_year_and_undated_th_apart(territories):
    ptce = geo.load_ptce()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = geo.timeline(territories, ptce)
    th = territories[territories["statut"] == "TH"]
    assert set(th["date_precision"].fillna("")) <= {"jour", "mois", "annee", ""}
    year_only = th[th["date_precision"] == "annee"]
    assert len(year_only) >= 14
    by_year = table.dropna(subset=["year"]).set_index("year")["th_new"]
    dates = th["date_habilitation"].fillna("")
    for year, count in dates[dates != ""].str[:4].astype(int).value_counts().items():
        assert by_year.loc[year] == count, year  # year-only dates included, no month made up
    undated = table[table["period"] == "date inconnue"]
    assert undated["th_new"].tolist() == [int((th["date_precision"].fillna("") == "").sum())]
    assert th.loc[th["date_precision"].fillna("") == "", "id"].tolist() == [
        "centre-ouest-bretagne"
    ]


# --- keeping the data current from one's own tables -----------------------------------


def _run_cli(capsys, *argv):
    from geo.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_build_from_own_tables_with_a_diff_report_then_use_them(tmp_path, capsys):
    import csv
    import os

    from geo._core.datadir import DATA_DIR_ENV
    from geo.shipped.tables import DATA_DIR

    tables = tmp_path / "mes-tables"
    tables.mkdir()
    with open(DATA_DIR / "tz_territories.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    header = list(rows[0])
    rows = [r for r in rows if r["id"] != "colombelles"]  # removed
    for row in rows:
        if row["id"] == "metz-nord":
            row["statut_detail"] = "projet arrêté"  # a status that changes
    with open(tables / "tz_territories.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    (tables / "ptce.csv").write_bytes((DATA_DIR / "ptce.csv").read_bytes())
    out = tmp_path / "mes-donnees"
    code, text, err = _run_cli(capsys, "data", "build", "--tables", str(tables), "--out", str(out))
    assert code == 0, err
    assert "Différences entre les données livrées et les données de" in text
    assert "territoires retirés (1) :\n    - colombelles (Colombelles)" in text
    assert "metz-nord : statut_detail (vide) -> projet arrêté" in text
    assert "territoires ajoutés" not in text and "PTCE modifiés" not in text
    assert sorted(p.name for p in out.iterdir()) == [
        "ptce.csv",
        "ptce.geojson",
        "qpv2024_communes.csv",
        "territories.geojson",
        "tz_territories.csv",
    ]
    # Every command reads that folder with --data-dir (or TZPTCE_DATA_DIR).
    code, text, _ = _run_cli(capsys, "data", "ids", "--data-dir", str(out))
    ids = [line.split()[0] for line in text.splitlines()]
    assert code == 0 and "colombelles" not in ids and "les-mureaux" in ids
    assert os.environ.get(DATA_DIR_ENV) is None  # set for the command only
    code, text, _ = _run_cli(capsys, "data", "report", "--data-dir", str(out))
    assert code == 0 and "Territoires TZCLD : 113" in text
    assert "projets bloqués ou arrêtés (statut_detail, non dessinés comme actifs) : 6" in text
    os.environ[DATA_DIR_ENV] = str(out)
    try:
        assert "colombelles" not in set(geo.load_territories()["id"])
    finally:
        del os.environ[DATA_DIR_ENV]
    assert "colombelles" in set(geo.load_territories()["id"])


def test_data_report_shows_population_by_source(capsys):
    code, text, _ = _run_cli(capsys, "data", "report")
    assert code == 0
    lines = text.splitlines()
    start = lines.index("  population par source (TH ; ensemble TH et PE) :")
    shown = lines[start + 1 : start + 5]
    th = geo.load_territories()
    th = th[th["statut"] == "TH"]
    counts = th["population_source"].value_counts()
    assert shown[0].startswith(f"    communes entières (INSEE) : {counts['communes']} TH, ")
    assert shown[2].startswith(
        f"    chiffre cité par la source du territoire : {counts['source']} TH"
    )
    assert shown[3].startswith(f"    inconnue : {counts['inconnue']} TH ;")


def test_exports_say_the_certainty_in_french(shipped, tmp_path):
    from geo.publish.export import write_synergies

    territories, ptce, table = shipped
    path = write_synergies(table, tmp_path / "paires.csv", territories=territories, ptce=ptce)
    written = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = written[
        (written["territory_id"] == "les-mureaux") & (written["ptce_id"] == "vivre-les-mureaux")
    ].iloc[0]
    assert (row["certainty"], row["relation_fr"]) == (
        "probable",
        "chevauchement probable — périmètre approché",
    )
    sure = written[written["certainty"] == "sûr"]
    assert len(sure) and not sure["relation_fr"].str.contains("probable").any()
