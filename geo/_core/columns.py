"""Which column of a user's table holds what (private).

Users' spreadsheets name the same thing many ways: ``"Code INSEE"``,
``"CODGEO"``, ``"code_commune"``, ``"Nom du territoire"``... Headers are
compared by :func:`geo._core.text.column_key` (case, accents and punctuation do
not matter) against the candidates of each *role* below, in order; the first
header that matches wins, and a header serves one role only. Explicit
``*_column=`` options always take precedence.

Also here: splitting a cell into values (``"78440; 78208"``) and telling
blank cells. INSEE codes that a spreadsheet turned into numbers are restored
by :func:`geo.reference.names.normalise_code`. Pure functions on strings and cells; no
I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

from geo._core.text import column_key
from geo.errors import SchemaError

__all__ = [
    "COPIED_ROLES",
    "OPTION_ROLES",
    "ROLE_CANDIDATES",
    "detect_columns",
    "is_blank",
    "split_values",
]

_NAME_KEYS = (
    "nom",
    "name",
    "nom_territoire",
    "nom_du_territoire",
    "territoire",
    "nom_ptce",
    "nom_du_ptce",
    "ptce",
    "libelle",
    "intitule",
    "denomination",
    "titre",
    "label",
)
_ID_KEYS = (
    "id",
    "identifiant",
    "identifier",
    "code",
    "id_territoire",
    "code_territoire",
    "id_ptce",
    "code_ptce",
    "ref",
    "reference",
    "slug",
)
_SINGLE_CODE_KEYS = (
    "code_insee",
    "insee",
    "codgeo",
    "com",
    "code_commune",
    "code_com",
    "depcom",
    "insee_com",
    "code_insee_commune",
    "citycode",
)
_LIST_CODE_KEYS = (
    "codes_insee",
    "communes_insee",
    "codes_communes",
    "insee_communes",
    "codes_insee_communes",
    "area_communes",
    "zone_action_insee",
    "codes_insee_zone",
)
_SINGLE_NAME_KEYS = (
    "commune",
    "nom_commune",
    "nom_de_la_commune",
    "ville",
    "localite",
    "libgeo",
    "libelle_commune",
    "city",
)
_LIST_NAME_KEYS = ("communes", "noms_communes", "communes_noms", "liste_communes", "perimetre")
_SEAT_CODE_KEYS = (
    "siege_insee",
    "code_insee_siege",
    "insee_siege",
    "siege_code_insee",
    "seat_insee",
)
_SEAT_NAME_KEYS = ("siege_commune", "commune_siege", "ville_siege", "seat_commune", "siege")

#: Candidate header keys of each role, by entity kind, in order of preference.
ROLE_CANDIDATES: dict[str, dict[str, tuple[str, ...]]] = {
    "territories": {
        "id": _ID_KEYS,
        "nom": _NAME_KEYS,
        "statut": ("statut", "status", "etat", "statut_tzcld"),
        "codes": _LIST_CODE_KEYS + _SINGLE_CODE_KEYS,
        "communes": _LIST_NAME_KEYS + _SINGLE_NAME_KEYS,
        "seat_codes": (),
        "seat_communes": (),
        "departement": (
            "departement",
            "dep",
            "code_departement",
            "dept",
            "dpt",
            "code_dep",
            "dep_code",
            "departement_code",
            "num_departement",
        ),
        "epci": (
            "epci_siren",
            "siren_epci",
            "epci",
            "intercommunalite",
            "code_epci",
            "nom_epci",
            "epci_nom",
            "interco",
        ),
        "qpv": ("qpv_codes", "qpv", "code_qpv", "qpv_code", "codes_qpv", "quartier_prioritaire"),
        "lat": ("latitude", "lat", "y"),
        "lon": ("longitude", "lon", "lng", "long", "x"),
        "address": ("adresse", "address", "adresse_postale", "adresse_complete", "adresse_siege"),
        "postcode": ("code_postal", "cp", "postcode", "code_postal_siege"),
    },
}
# A PTCE is located by its seat; a list of communes is its area of action.
ROLE_CANDIDATES["ptce"] = {
    **ROLE_CANDIDATES["territories"],
    "statut": (),
    "codes": _LIST_CODE_KEYS,
    "communes": _LIST_NAME_KEYS,
    "seat_codes": _SEAT_CODE_KEYS + _SINGLE_CODE_KEYS,
    "seat_communes": _SEAT_NAME_KEYS + _SINGLE_NAME_KEYS,
}

_COMMON_COPIED = {
    "sources": ("sources", "source", "source_urls", "liens", "references"),
    "confiance": ("confiance", "confidence", "fiabilite"),
    "notes": ("notes", "note", "remarque", "remarques", "commentaire", "commentaires"),
}
# Optional schema columns written under another name: copied into the schema column.
ROLE_CANDIDATES["territories"].update(
    {
        "sous_zone": ("sous_zone", "quartier", "quartiers", "sub_area"),
        "date_habilitation": ("date_habilitation", "date_d_habilitation", "habilitation_date"),
        "texte_legal": ("texte_legal", "legal_text", "arrete", "texte"),
        "vague": ("vague", "wave", "etape"),
        "ebe": ("ebe", "entreprise_a_but_d_emploi", "entreprises_a_but_d_emploi"),
        **_COMMON_COPIED,
    }
)
ROLE_CANDIDATES["ptce"].update(
    {
        "alias": ("alias", "aliases", "autres_noms", "autre_nom"),
        "porteur": ("porteur", "structure_porteuse", "porteur_du_projet", "carrier"),
        "zone_action": (
            "zone_action",
            "zone_d_action",
            "territoire_d_action",
            "perimetre_d_action",
        ),
        "thematiques": ("thematiques", "thematique", "themes", "theme", "secteurs"),
        "soutien_etat": ("soutien_etat", "soutien_de_l_etat", "state_support", "laureat"),
        "site_web": ("site_web", "site", "site_internet", "website", "url"),
        **_COMMON_COPIED,
    }
)
#: Schema columns that may be copied from a header of another name, per kind.
COPIED_ROLES = {
    "territories": (
        "sous_zone",
        "date_habilitation",
        "texte_legal",
        "vague",
        "ebe",
        *_COMMON_COPIED,
    ),
    "ptce": (
        "alias",
        "porteur",
        "zone_action",
        "thematiques",
        "soutien_etat",
        "site_web",
        *_COMMON_COPIED,
    ),
}

#: Keyword option of the loaders -> role, per kind.
OPTION_ROLES: dict[str, dict[str, str]] = {
    "territories": {
        "id_column": "id",
        "name_column": "nom",
        "statut_column": "statut",
        "code_column": "codes",
        "commune_column": "communes",
        "departement_column": "departement",
        "epci_column": "epci",
        "qpv_column": "qpv",
        "lat_column": "lat",
        "lon_column": "lon",
        "address_column": "address",
        "postcode_column": "postcode",
    },
}
OPTION_ROLES["ptce"] = {
    **{k: v for k, v in OPTION_ROLES["territories"].items() if k != "statut_column"},
    "code_column": "seat_codes",
    "commune_column": "seat_communes",
    "area_column": "codes",
}


def detect_columns(
    columns: Sequence[str],
    kind: str,
    explicit: Mapping[str, str | None] | None = None,
    *,
    source: str = "the table",
) -> dict[str, str]:
    """Map roles (``"nom"``, ``"codes"``, ``"lat"``...) to headers of a table.

    Parameters
    ----------
    columns
        The table's headers, as written.
    kind
        ``"territories"`` or ``"ptce"``.
    explicit
        Loader options such as ``{"name_column": "Intitulé"}``; ``None``
        values are ignored. A name matches a header exactly or by its key.
    source
        Name of the input for messages.

    Returns
    -------
    dict
        Role -> header, only for the roles found. ``lat`` and ``lon`` are
        either both present or both absent.

    Raises
    ------
    SchemaError
        An explicit option names no header or one already used, or a
        latitude column comes without a longitude column (or the reverse).
    """
    candidates = ROLE_CANDIDATES[kind]
    options = OPTION_ROLES[kind]
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(column_key(str(column)), str(column))
    found: dict[str, str] = {}
    used: set[str] = set()
    problems = []
    for option, wanted in (explicit or {}).items():
        if wanted is None:
            continue
        if option not in options:
            raise SchemaError(
                f"unknown option {option}= for {kind}; use some of {sorted(options)}"
            )
        header = wanted if wanted in columns else by_key.get(column_key(str(wanted)))
        if header is None:
            problems.append(f"{option}={wanted!r} is not a column")
        elif header in used:
            problems.append(f"{option}={wanted!r} is already used by another option")
        else:
            found[options[option]] = header
            used.add(header)
    if problems:
        shown = ", ".join(repr(str(c)) for c in columns)
        raise SchemaError(
            f"{'; '.join(problems)} in {source}; its columns are: {shown}", problems=problems
        )
    for role, keys in candidates.items():
        if role in found:
            continue
        for key in keys:
            header = by_key.get(key)
            if header is not None and header not in used:
                found[role] = header
                used.add(header)
                break
    _pair_coordinates(found, used, source)
    return found


def _pair_coordinates(found: dict[str, str], used: set[str], source: str) -> None:
    """Keep ``lat``/``lon`` only as a pair; a lone ``x`` or ``y`` is not a coordinate."""
    lat, lon = found.get("lat"), found.get("lon")
    if (lat is None) == (lon is None):
        return
    lonely = lat or lon or ""
    if column_key(lonely) in {"x", "y"}:
        found.pop("lat" if lat else "lon")
        used.discard(lonely)
        return
    missing = "longitude" if lat else "latitude"
    raise SchemaError(
        f"column {lonely!r} of {source} gives one coordinate but no {missing} column was "
        f"found: name it {missing!r} or pass {missing[:3]}_column=..."
    )


_SEPARATORS = re.compile(r"[;,\n|]+")
_SEPARATORS_NO_COMMA = re.compile(r"[;\n|]+")


def split_values(cell: object, *, commas: bool = True) -> list[str]:
    """Split a cell into trimmed values: ``"78440 ; 78208"`` -> ``["78440", "78208"]``.

    Parameters
    ----------
    cell
        A cell value; ``None``/NaN/empty give ``[]``.
    commas
        Also split on commas (off for EPCI names, which may contain some).
    """
    if cell is None:
        return []
    text = str(cell).strip()
    if not text or text.lower() in {"nan", "none", "null"}:
        return []
    pattern = _SEPARATORS if commas else _SEPARATORS_NO_COMMA
    return [part.strip() for part in pattern.split(text) if part.strip()]


def is_blank(value: object) -> bool:
    """Return True for ``None``, NaN, ``pd.NA`` and whitespace-only strings."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and value != value:
        return True
    return not str(value).strip()
