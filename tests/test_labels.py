"""geo.labels_fr: French headers without duplicates, French values, rounded numbers."""

from __future__ import annotations

import geopandas as gpd
import openpyxl
import pandas as pd
import shapely

import geo


def test_headers_unique_values_french_numbers_rounded():
    table = pd.DataFrame(
        {
            "territory_nom": ["A", "B"],
            "region": ["11", "93"],
            "region_nom": ["Île-de-France", "Provence-Alpes-Côte d'Azur"],
            "relation": ["adjacent", "near"],
            "distance_km": [0.123456789, 12.3456],
            "overlap_share_pct": [33.333333, 0.0],
            "overlap_area_km2": [1.23456, 0.0],
            "approximate": [True, False],
            "category": ["proche", "isolé"],
            "category_en": ["near", "isolated"],
        }
    )
    table.attrs["radius_km"] = 20.0
    before = table.copy()
    out = geo.labels_fr(table)
    assert out.columns.is_unique
    assert out["Code région"].tolist() == ["11", "93"]
    assert out["Région"].tolist() == ["Île-de-France", "Provence-Alpes-Côte d'Azur"]
    assert out["Relation"].tolist() == ["communes voisines", "à proximité"]
    assert out["Distance (km)"].tolist() == [0.1, 12.3]
    assert out["Part du territoire couverte (%)"].tolist() == [33.3, 0.0]
    assert out["Surface commune (km²)"].tolist() == [1.23, 0.0]
    assert out["Périmètre approché"].tolist() == ["oui", "non"]
    assert "Catégorie (anglais)" not in out.columns and out["Catégorie"].tolist() == [
        "proche",
        "isolé",
    ]
    assert out.attrs == {"radius_km": 20.0}
    pd.testing.assert_frame_equal(table, before)  # input untouched


def test_any_collision_names_its_field():
    out = geo.labels_fr(pd.DataFrame({"statut": ["TH"], "territory_statut": ["PE"]}))
    assert list(out.columns) == ["Statut", "Statut (territory_statut)"]


def test_geodataframe_stays_one_and_xlsx_has_distinct_headers(tmp_path):
    frame = gpd.GeoDataFrame(
        {"nom": ["P"], "region": ["11"], "region_nom": ["Île-de-France"], "distance_km": [1.26]},
        geometry=[shapely.Point(2, 48)],
        crs=4326,
    )
    out = geo.labels_fr(frame)
    assert isinstance(out, gpd.GeoDataFrame) and out.crs.to_epsg() == 4326
    assert out.geometry.name == "geometry" and out["Distance (km)"].iloc[0] == 1.3
    path = geo.write_table(pd.DataFrame(out.drop(columns="geometry")), tmp_path / "t.xlsx")
    header = [c.value for c in openpyxl.load_workbook(path).active[1]]
    assert header == ["Nom", "Code région", "Région", "Distance (km)"]


def test_shipped_results_have_unique_french_headers():
    territories, ptce = geo.load_territories(), geo.load_ptce()
    pairs = geo.synergies(territories, ptce)
    for table in (
        pairs,
        geo.opportunities(territories, ptce, pairs),
        geo.opportunities(territories, ptce, pairs, by="ptce"),
        geo.synergy_summary(territories, ptce, pairs),
        geo.ptce_near("Les Mureaux", 20),
    ):
        out = geo.labels_fr(table)
        assert out.columns.is_unique, list(out.columns)
        if "Relation" in out:
            assert not set(out["Relation"].dropna()) & {"overlap", "adjacent", "near"}


def test_region_header_says_what_the_column_holds():
    # The loaders' ``region`` is a code beside ``region_nom``; the summaries by région
    # hold the name in ``region``: a "Code région" header over "Bretagne" would be false.
    codes = geo.labels_fr(pd.DataFrame({"region": ["53", "84"], "region_nom": ["Br", "AURA"]}))
    assert list(codes.columns) == ["Code région", "Région"]
    territories, ptce = geo.load_territories(), geo.load_ptce()
    summary = geo.labels_fr(geo.synergy_summary(territories, ptce))
    assert summary.columns[0] == "Région" and "Bretagne" in set(summary["Région"])
