"""The vocabulary of the synergy tables: relations, tolerances, precisions, French labels.

Constants shared by the measuring modules (:mod:`geo.analysis.pairs`), the
tables (:mod:`geo.analysis.synergies`) and their summaries
(:mod:`geo.analysis.summaries`); the relations themselves are defined in the
documentation of :mod:`geo.analysis.synergies`. Data only: no function here.
"""

from __future__ import annotations

__all__ = [
    "APPROXIMATE_TERRITORY_PRECISIONS",
    "AREA_TOLERANCE_M2",
    "LABELS_FR",
    "NEAR_KM",
    "RANK",
    "RELATIONS",
    "TOUCH_TOLERANCE_M",
    "UNMEASURED_PTCE_PRECISIONS",
]

#: Relations in order of strength (``"far"`` only appears in :func:`nearest_ptce`).
RELATIONS = ("overlap", "adjacent", "near", "far")

#: Two geometries closer than this (metres) touch: ``"adjacent"``.
TOUCH_TOLERANCE_M = 1.0

#: Two polygons sharing less area than this (m²) do not overlap (slivers).
AREA_TOLERANCE_M2 = 1.0

#: The "close" threshold of :func:`synergy_summary`, in kilometres.
NEAR_KM = 10.0

#: Territory precisions whose perimeter only approximates the real territory.
APPROXIMATE_TERRITORY_PRECISIONS = frozenset({"infra-communal", "epci"})

#: PTCE area precisions whose point only places the PTCE on a map (the area is
#: known at département level or not at all): such a point is not a seat and is
#: never measured.
UNMEASURED_PTCE_PRECISIONS = frozenset({"departement", "inconnu"})

#: French display labels of the result columns and relations (column names stay
#: English snake_case, like the rest of the API; use these for reports and maps).
LABELS_FR = {
    "territory_id": "Identifiant du territoire",
    "territory_nom": "Territoire",
    "territory_statut": "Statut",
    "ptce_id": "Identifiant du PTCE",
    "ptce_nom": "PTCE",
    "zone": "Zone",
    "territory_zone": "Zone",
    "relation": "Relation",
    "distance_km": "Distance (km)",
    "seat_distance_km": "Distance au siège (km)",
    "shared_communes": "Communes communes",
    "overlap_area_km2": "Surface commune (km²)",
    "overlap_share_pct": "Part du territoire couverte (%)",
    "territory_precision": "Précision du périmètre du territoire",
    "ptce_precision": "Précision du périmètre du PTCE",
    "approximate": "Périmètre approché",
    "certainty": "Certitude",
    "relation_fr": "Relation (certitude)",
    "sûr": "sûr",
    "probable": "probable — périmètre approché",
    "non mesurable": "non mesurable — périmètre tracé plus large que le territoire",
    "n_overlap_probable": "dont chevauchement probable seulement",
    "population_exact": "Population exacte (communes entières)",
    "population_approx": "Population approchée (EPCI, chiffre cité, QPV)",
    "n_population_unknown": "Territoires de population inconnue (non comptés)",
    "population_with_ptce_exact": "dont exacte",
    "n_with_ptce_population_unknown": "Territoires avec PTCE de population inconnue",
    "population_without_ptce_exact": "dont exacte",
    "n_without_ptce_population_unknown": "Territoires sans PTCE de population inconnue",
    "reason": "Motif",
    "region": "Région",
    "statut": "Statut",
    "radius_km": "Rayon (km)",
    "n_territories": "Territoires",
    "n_overlap": "Chevauchent un PTCE",
    "n_within_10km": "PTCE à 10 km ou moins",
    "n_within_radius": "PTCE dans le rayon",
    "n_none": "Aucun PTCE dans le rayon",
    "n_unlocated": "Non localisés",
    "population": "Population",
    "population_with_ptce": "Population avec un PTCE proche",
    "population_without_ptce": "Population sans PTCE proche",
    "overlap": "chevauchement",
    "adjacent": "contigu",
    "near": "à proximité",
    "far": "éloigné",
    "ensemble": "Ensemble",
}

#: Position of each relation in :data:`RELATIONS` (0 is the strongest).
RANK = {name: rank for rank, name in enumerate(RELATIONS)}
