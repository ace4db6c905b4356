"""Numbers you can publish (issue 18): population with provenance, placed rows.

Every figure is true or says how it is approximate: a quartier never carries
its commune's population, a population comes with its source, a row placed by
an address or coordinates says so.
"""

from __future__ import annotations

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
