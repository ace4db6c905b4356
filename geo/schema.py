"""The shared schema of territory and PTCE tables.

One place for the field names and vocabularies that the shipped data
(:mod:`geo.shipped.build`), the loaders (:mod:`geo.loading.entities`), the analysis and
the maps agree on. French snake_case field names, as in French open data.
Constants only: no I/O, no logic.
"""

from __future__ import annotations

__all__ = [
    "CONFIANCES",
    "INTERNAL_FIELDS",
    "PTCE_FIELDS",
    "PTCE_PRECISIONS",
    "PTCE_SEAT_PRECISIONS",
    "PUBLIC_PTCE_FIELDS",
    "PUBLIC_TERRITORY_FIELDS",
    "STATUTS",
    "TERRITORY_FIELDS",
    "TERRITORY_PRECISIONS",
]

#: Fields of a TZ territory (GeoJSON properties; columns before ``geometry``).
TERRITORY_FIELDS = [
    "id",
    "nom",
    "statut",
    "departement",
    "region",
    "region_nom",
    "codes_insee",
    "communes",
    "sous_zone",
    "qpv_codes",
    "epci_nom",
    "epci_siren",
    "date_habilitation",
    "texte_legal",
    "vague",
    "ebe",
    "sources",
    "confiance",
    "notes",
    "precision",
    "population",
    "zone",
]

#: Fields of a PTCE (GeoJSON properties; columns before ``geometry``).
PTCE_FIELDS = [
    "id",
    "nom",
    "alias",
    "porteur",
    "siege_insee",
    "siege_commune",
    "departement",
    "region",
    "region_nom",
    "zone_action",
    "codes_insee",
    "thematiques",
    "soutien_etat",
    "site_web",
    "sources",
    "confiance",
    "notes",
    "precision",
    "precision_siege",
    "zone",
]

#: Fields that a public map or site may show for a territory. Everything else
#: (``notes``, ``confiance``, reference remarks, extra columns unless asked for)
#: stays in tables and reports.
PUBLIC_TERRITORY_FIELDS = (
    "id",
    "nom",
    "statut",
    "departement",
    "region",
    "region_nom",
    "codes_insee",
    "communes",
    "sous_zone",
    "qpv_codes",
    "epci_nom",
    "epci_siren",
    "date_habilitation",
    "texte_legal",
    "vague",
    "ebe",
    "sources",
    "precision",
    "population",
    "zone",
)

#: Fields that a public map or site may show for a PTCE.
PUBLIC_PTCE_FIELDS = (
    "id",
    "nom",
    "porteur",
    "siege_insee",
    "siege_commune",
    "departement",
    "region",
    "region_nom",
    "zone_action",
    "codes_insee",
    "thematiques",
    "soutien_etat",
    "site_web",
    "sources",
    "precision",
    "precision_siege",
    "zone",
)

#: Internal fields: kept in tables, exports and reports, never shown on public pages.
#: ``alias`` holds other spellings of a PTCE name (e.g. the one of the project's
#: reference document), for search and matching; ``notes`` the justifications,
#: caveats and reference remarks; ``confiance`` the confidence of the row.
INTERNAL_FIELDS = ("confiance", "notes", "alias")

#: How precise a territory's perimeter is: its communes are the perimeter; the
#: union of its QPV 2024 polygons (drawn from the ANCT file, see
#: :mod:`geo.reference.qpv`); a quartier/QPV approximated by its communes; only the EPCI
#: is known; unknown.
TERRITORY_PRECISIONS = ("communes", "qpv", "infra-communal", "epci", "inconnu")

#: How precise a PTCE's area of action is.
PTCE_PRECISIONS = ("communes", "epci", "siege", "departement", "inconnu")

#: How a PTCE's point was placed.
PTCE_SEAT_PRECISIONS = ("adresse", "mairie", "point-sur-surface", "inconnu")

#: TZ status: habilité by arrêté, projet émergent.
STATUTS = ("TH", "PE")

#: Confidence levels of the reference tables.
CONFIANCES = ("high", "medium", "low")
