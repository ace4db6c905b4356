"""The shared schema of territory and PTCE tables.

One table of field records (:data:`FIELDS`) from which every field list of the
shipped data (:mod:`geo.shipped.build`), the loaders (:mod:`geo.loading.entities`),
the analysis and the publishers is generated with :func:`field_names`, and the
vocabularies they agree on. French snake_case field names, as in French open data.
Constants and pure functions only: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CERTAINTIES",
    "CONFIANCES",
    "DATE_PRECISIONS",
    "FIELDS",
    "POPULATION_SOURCES",
    "PTCE_PRECISIONS",
    "PTCE_SEAT_PRECISIONS",
    "STATUTS",
    "STATUT_DETAILS",
    "TERRITORY_PRECISIONS",
    "Field",
    "FieldType",
    "Table",
    "field_names",
    "table_columns",
]

#: The two tables of the schema.
Table = Literal["territories", "ptce"]

#: What a field holds: free text; one code (INSEE, SIREN, région); codes separated
#: by ``;``; texts separated by ``;``; one value of a vocabulary below; a date
#: (``AAAA``, ``AAAA-MM``, ``AAAA-MM-JJ``); a whole number; a web address.
FieldType = Literal["text", "code", "codes", "list", "choice", "date", "int", "url"]


@dataclass(frozen=True)
class Field:
    """One field of a table.

    Parameters
    ----------
    name
        Column name (GeoJSON property), French snake_case.
    type
        What the field holds (:data:`FieldType`).
    public
        A public map, site or uMap export may show it. Internal fields (notes,
        confidence, other spellings) stay in tables, exports and reports.
    shown
        The map's details show it (always a public field).
    derived
        :func:`geo.shipped.build.build_data` computes it; it is not a column of
        the shipped CSV tables.
    required
        A publisher needs the column in the tables it is given.
    """

    name: str
    type: FieldType
    public: bool
    shown: bool
    derived: bool
    required: bool

    def __post_init__(self) -> None:
        if self.shown and not self.public:
            raise ValueError(f"field {self.name!r} is shown on maps but not public")


def _table(*rows: tuple[str, FieldType, str]) -> tuple[Field, ...]:
    """Field records from ``(name, type, flags)`` rows; flags are letters of ``psdr``."""
    return tuple(
        Field(name, kind, "p" in flags, "s" in flags, "d" in flags, "r" in flags)
        for name, kind, flags in rows
    )


#: The fields of each table, in column order (the columns before ``geometry``).
#: Flags: ``p`` public, ``s`` shown on maps, ``d`` derived by the build, ``r``
#: required by the publishers.
FIELDS: dict[Table, tuple[Field, ...]] = {
    "territories": _table(
        ("id", "text", "psr"),
        ("nom", "text", "psr"),
        ("statut", "choice", "psr"),
        ("statut_detail", "choice", "ps"),
        ("departement", "codes", "ps"),
        ("region", "code", "psd"),
        ("region_nom", "text", "ps"),
        ("codes_insee", "codes", "p"),
        ("communes", "list", "ps"),
        ("sous_zone", "text", "ps"),
        ("qpv_codes", "codes", "p"),
        ("epci_nom", "text", "ps"),
        ("epci_siren", "code", "p"),
        ("date_habilitation", "date", "ps"),
        ("date_precision", "choice", "pd"),
        ("texte_legal", "text", "ps"),
        ("vague", "text", "p"),
        ("ebe", "text", "ps"),
        ("sources", "list", "ps"),
        ("confiance", "choice", ""),
        ("notes", "text", ""),
        ("precision", "choice", "ps"),
        ("precision_note", "text", "ps"),
        ("population", "int", "psd"),
        ("population_source", "choice", "pd"),
        ("population_communes", "int", "pd"),
        ("population_citee", "int", "p"),
        ("population_url", "url", "p"),
        ("zone", "choice", "pd"),
    ),
    "ptce": _table(
        ("id", "text", "psr"),
        ("nom", "text", "psr"),
        ("alias", "list", ""),
        ("porteur", "text", "ps"),
        ("siege_insee", "code", "p"),
        ("siege_commune", "text", "ps"),
        ("departement", "codes", "ps"),
        ("region", "code", "psd"),
        ("region_nom", "text", "ps"),
        ("zone_action", "text", "ps"),
        ("codes_insee", "codes", "p"),
        ("thematiques", "list", "ps"),
        ("soutien_etat", "text", "ps"),
        ("site_web", "url", "ps"),
        ("sources", "list", "ps"),
        ("confiance", "choice", ""),
        ("notes", "text", ""),
        ("precision", "choice", "ps"),
        ("precision_siege", "choice", "pd"),
        ("zone", "choice", "pd"),
    ),
}


def field_names(
    table: Table,
    *,
    public: bool | None = None,
    shown: bool | None = None,
    derived: bool | None = None,
    required: bool | None = None,
    type: FieldType | None = None,
) -> list[str]:
    """Return the names of a table's fields that match every filter given, in column order.

    Parameters
    ----------
    table
        ``"territories"`` or ``"ptce"``.
    public, shown, derived, required
        Keep only the fields whose flag has this value (see :class:`Field`);
        ``None`` does not filter.
    type
        Keep only the fields of this type.

    Returns
    -------
    list of str

    Raises
    ------
    KeyError
        An unknown table.

    Examples
    --------
    >>> field_names("territories", public=False)
    ['confiance', 'notes']
    >>> field_names("ptce", required=True)
    ['id', 'nom']
    >>> field_names("territories", derived=True)  # doctest: +NORMALIZE_WHITESPACE
    ['region', 'date_precision', 'population', 'population_source', 'population_communes',
     'zone']
    """
    wanted = {"public": public, "shown": shown, "derived": derived, "required": required}
    return [
        f.name
        for f in FIELDS[table]
        if all(v is None or getattr(f, k) == v for k, v in wanted.items())
        and (type is None or f.type == type)
    ]


def table_columns(table: Table) -> list[str]:
    """Return the columns of a loaded table, in order: every field, then ``geometry``.

    Examples
    --------
    >>> table_columns("ptce")[-3:]
    ['precision_siege', 'zone', 'geometry']
    """
    return [*field_names(table), "geometry"]


#: Where a territory's ``population`` comes from: the sum of its whole communes
#: (INSEE municipal populations; exact for precision ``communes``), the sum of
#: the INSEE populations of its QPV 2024 (``data build --qpv-population``), a
#: figure its own source states (``population_citee``, with ``population_url``),
#: or unknown (``population`` empty: a quartier never gets its commune's
#: population, which stays in ``population_communes`` as an upper bound).
POPULATION_SOURCES = ("communes", "qpv", "source", "inconnue")

#: How precise ``date_habilitation`` is: ``jour`` (AAAA-MM-JJ), ``mois`` (AAAA-MM),
#: ``annee`` (AAAA, or AAAA-MM/MM: one of two months); empty when there is no date.
DATE_PRECISIONS = ("jour", "mois", "annee")

#: Public status detail of a territory whose source says the project is blocked
#: or stopped (``projet bloqué``, ``projet arrêté``), or makes it likely
#: (``projet probablement bloqué``). Such a PE is not drawn as an active PE by default.
STATUT_DETAILS = ("projet bloqué", "projet probablement bloqué", "projet arrêté")

#: Certainty of a territory–PTCE relation: measured on precise perimeters
#: (``sûr``), through an approximate perimeter (``probable``), or not
#: measurable (the drawing of a perimeter larger than the territory makes it).
CERTAINTIES = ("sûr", "probable", "non mesurable")

#: How precise a territory's perimeter is: its communes are the perimeter; the
#: union of its QPV 2024 polygons (drawn from the ANCT file, see
#: :mod:`geo.reference.qpv`); a quartier/QPV approximated by its communes; only the EPCI
#: is known; a point from a geocoded address, from coordinates given, or (address
#: not found) the town hall or a point inside its commune; unknown.
TERRITORY_PRECISIONS = (
    "communes",
    "qpv",
    "infra-communal",
    "epci",
    "adresse",
    "point",
    "mairie",
    "point-sur-surface",
    "inconnu",
)

#: How precise a PTCE's area of action is.
PTCE_PRECISIONS = ("communes", "epci", "siege", "departement", "inconnu")

#: How a PTCE's point was placed.
PTCE_SEAT_PRECISIONS = ("adresse", "point", "mairie", "point-sur-surface", "inconnu")

#: TZ status: habilité by arrêté, projet émergent.
STATUTS = ("TH", "PE")

#: Confidence levels of the reference tables.
CONFIANCES = ("high", "medium", "low")
