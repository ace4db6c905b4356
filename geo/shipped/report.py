"""Report on the quality of the shipped data, in French.

:func:`report_numbers` counts the built layers by statut, precision,
confidence and population source, and lists the rows a maintainer should look
at (no location, no public source, approximate perimeters, projets émergents
of unknown status, internal remarks left in public fields); :func:`data_report`
writes them as text, and :func:`qpv_summary` says how the territories with QPV
codes were drawn.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.schema import (
    CONFIANCES,
    POPULATION_SOURCES,
    PTCE_PRECISIONS,
    STATUTS,
    TERRITORY_PRECISIONS,
    field_names,
)
from geo.shipped.build import build_frames
from geo.shipped.layers import QPV_NOT_DRAWN
from geo.shipped.tables import HTTP_URL, NO_SOURCE_MARKER, source_items, split_cell

__all__ = ["data_report", "qpv_summary", "report_numbers"]

_NO_SOURCE_RE = re.escape(NO_SOURCE_MARKER)


_STATUS_CHECKED = re.compile(r"statut actuel (?:vérifié|confirmé)", re.IGNORECASE)


#: Remarks meant for the maintainers, not for public pages: rows whose public
#: fields hold one are listed by :func:`data_report`.
_INTERNAL_REMARK = re.compile(
    rf"{_NO_SOURCE_RE}|document de r[ée]f[ée]rence|orthographi[ée]|table de r[ée]f[ée]rence"
    r"|\bà confirmer\b|\bTODO\b",
    re.IGNORECASE,
)
_SOURCE_DATE = re.compile(r"Date de la source\s*:\s*([^;(]+?)\s*(?:[;(]|\.(?:\s|$)|$)")


def qpv_summary(territories: str | os.PathLike[str] | gpd.GeoDataFrame) -> str:
    """Say, in French, how the territories with QPV codes were drawn.

    Parameters
    ----------
    territories
        A built ``territories.geojson``, or the territories of
        :func:`~geo.shipped.build.build_frames`.

    Returns
    -------
    str
        A count line; then, when built without QPV boundaries, how to get
        them; then one line per territory whose codes are missing from the
        boundaries given, with the codes.

    Examples
    --------
    >>> from geo.shipped.tables import DATA_DIR
    >>> print(qpv_summary(DATA_DIR / "territories.geojson").splitlines()[0])
    QPV : 33 territoires avec codes QPV ; 0 tracés d'après leurs contours, 33 par la commune.
    """
    if isinstance(territories, gpd.GeoDataFrame):
        rows = territories[["id", "qpv_codes", "precision", "notes"]].to_dict("records")
    else:
        with open(territories, encoding="utf-8") as handle:
            rows = [f["properties"] for f in json.load(handle)["features"]]
    with_codes = [r for r in rows if r.get("qpv_codes")]
    drawn = sum(r.get("precision") == "qpv" for r in with_codes)
    lines = [
        f"QPV : {len(with_codes)} territoires avec codes QPV ; {drawn} tracés d'après leurs "
        f"contours, {len(with_codes) - drawn} par la commune."
    ]
    if any(QPV_NOT_DRAWN in (r.get("notes") or "") for r in with_codes):
        lines.append(
            "  Construit sans les contours QPV 2024 de l'ANCT : pour les tracer, "
            "`python -m geo data build --qpv FICHIER_OU_URL` (voir data/README.md)."
        )
    for row in with_codes:
        notes = row.get("notes") or ""
        if row.get("precision") != "qpv" and QPV_NOT_DRAWN not in notes:
            reason = re.search(r"Contour QPV non tracé : ([^.;]*)", notes)
            lines.append(f"  - {row['id']} : {reason.group(1) if reason else 'raison inconnue'}")
    return "\n".join(lines)


# --- report -------------------------------------------------------------------


def _has_public_source(sources: str, notes: str = "") -> bool:
    if NO_SOURCE_MARKER in sources or NO_SOURCE_MARKER in notes:
        return False
    return any(HTTP_URL.match(item) for item in source_items(sources))


def _no_source_reason(sources: str, notes: str = "") -> str:
    if NO_SOURCE_MARKER in sources or NO_SOURCE_MARKER in notes:
        return f"marqueur {NO_SOURCE_MARKER}"
    if not sources:
        return "aucune source"
    return "aucune URL publique"


def _without_public_source(frame: pd.DataFrame) -> pd.DataFrame:
    pairs = list(zip(frame["sources"], frame["notes"], strict=True))
    keep = [not _has_public_source(s, n) for s, n in pairs]
    reasons = [_no_source_reason(s, n) for s, n in pairs]
    return frame.assign(raison=reasons)[keep]


def _internal_remarks(frame: pd.DataFrame, public: Sequence[str]) -> pd.DataFrame:
    """Rows whose public fields hold a remark meant for maintainers (and which fields)."""
    fields = []
    for _, row in frame.iterrows():
        found = []
        for column in public:
            value = row.get(column)
            if not isinstance(value, str) or not value:
                continue
            if _INTERNAL_REMARK.search(value):
                found.append(column)
            elif column == "sources" and any(
                not re.fullmatch(r"https?://\S+", item) for item in source_items(value)
            ):
                found.append(column)  # a remark beside the URLs: it belongs in notes
        fields.append(", ".join(found))
    return frame.assign(champs=fields)[[bool(f) for f in fields]]


def _counts(values: pd.Series, order: Sequence[str]) -> dict[str, int]:
    counts = Counter(values)
    result = {key: counts.get(key, 0) for key in order}
    result.update({key: n for key, n in sorted(counts.items()) if key not in result})
    return result


def _listing(frame: pd.DataFrame, **extra: str) -> list[dict[str, str]]:
    rows = []
    for _, row in frame.sort_values("id").iterrows():
        item = {"id": row["id"], "nom": row["nom"]}
        item.update({key: str(row[column]) for key, column in extra.items()})
        rows.append(item)
    return rows


def report_numbers(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    frames: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame] | None = None,
) -> dict[str, Any]:
    """Return the data-quality figures of :func:`data_report` as a dict.

    Parameters
    ----------
    data_dir
        Folder holding the tables; :data:`~geo.shipped.tables.DATA_DIR` when omitted.
    frames
        Already built ``(territories, ptce)`` (from :func:`~geo.shipped.build.build_frames`),
        to avoid building twice.

    Returns
    -------
    dict
        ``{"territories": {...}, "ptce": {...}}``. Both hold ``total``,
        ``by_precision``, ``by_confiance`` (counts), ``unlocated`` and
        ``without_public_source`` (lists of ``{"id", "nom", ...}``).
        Both hold ``internal_remarks``: rows whose public fields
        (``geo.schema.field_names(table, public=True)``) still hold a remark meant for
        the maintainers (a reference remark, a no-source marker, a text
        beside the URLs of ``sources``), with the fields (``champs``).
        Territories add ``by_statut``, ``infra_communal``, ``epci``,
        ``partial_perimeter`` (precision ``communes`` with a ``sous_zone``:
        only part of the communes are coded), ``pe_unknown_status``,
        ``with_qpv_codes`` and ``qpv_drawn`` (count of precision ``qpv``);
        PTCE add ``by_precision_siege``.
    """
    territories, ptce = frames if frames is not None else build_frames(data_dir)
    t, p = territories, ptce
    t_unlocated = t[t.geometry.isna()]
    t_nosource = _without_public_source(t)
    p_nosource = _without_public_source(p)
    with_qpv = t[t["qpv_codes"] != ""].assign(
        n_qpv=lambda f: f["qpv_codes"].map(lambda v: f"{len(split_cell(v))} QPV")
    )
    pe_unknown = t[(t["statut"] == "PE") & ~t["notes"].str.contains(_STATUS_CHECKED)].assign(
        date_source=lambda f: f["notes"].map(
            lambda n: m.group(1) if (m := _SOURCE_DATE.search(n)) else "inconnue"
        )
    )
    epci = t[t["precision"] == "epci"].assign(
        siren=lambda f: f["epci_siren"].where(f["epci_siren"] != "", "non actuel / inconnu")
    )
    return {
        "territories": {
            "total": len(t),
            "by_statut": _counts(t["statut"], STATUTS),
            "by_precision": _counts(t["precision"], TERRITORY_PRECISIONS),
            "by_confiance": _counts(t["confiance"], CONFIANCES),
            "unlocated": _listing(t_unlocated, departement="departement"),
            "without_public_source": _listing(t_nosource, raison="raison"),
            "infra_communal": _listing(
                t[t["precision"] == "infra-communal"], sous_zone="sous_zone"
            ),
            "epci": _listing(epci, epci_nom="epci_nom", epci_siren="siren"),
            "partial_perimeter": _listing(
                t[(t["precision"] == "communes") & (t["sous_zone"] != "")],
                sous_zone="sous_zone",
            ),
            "pe_unknown_status": _listing(pe_unknown, date_source="date_source"),
            "with_qpv_codes": _listing(with_qpv, qpv_codes="n_qpv"),
            "qpv_drawn": int((t["precision"] == "qpv").sum()),
            "population_by_source": _population_by_source(t),
            "stopped": _listing(t[t["statut_detail"] != ""], statut_detail="statut_detail"),
            "internal_remarks": _listing(
                _internal_remarks(t, field_names("territories", public=True)), champs="champs"
            ),
        },
        "ptce": {
            "total": len(p),
            "by_precision": _counts(p["precision"], PTCE_PRECISIONS),
            "by_precision_siege": _counts(
                p["precision_siege"], ("adresse", "mairie", "point-sur-surface", "inconnu")
            ),
            "by_confiance": _counts(p["confiance"], CONFIANCES),
            "unlocated": _listing(
                p[p.geometry.isna()], departement="departement", region_nom="region_nom"
            ),
            "without_public_source": _listing(p_nosource, raison="raison"),
            "departement_only": _listing(
                p[(p["precision"] == "departement") & p.geometry.notna()],
                departement="departement",
            ),
            "internal_remarks": _listing(
                _internal_remarks(p, field_names("ptce", public=True)), champs="champs"
            ),
        },
    }


def _format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {n}" for key, n in counts.items())


_LABELS = {
    "departement": "dép. ",
    "epci_siren": "SIREN ",
    "date_source": "source : ",
    "champs": "champs : ",
}


def _format_list(items: list[dict[str, str]], empty: str = "aucun") -> list[str]:
    if not items:
        return [f"  ({empty})"]
    lines = []
    for item in items:
        details = [
            f"{_LABELS.get(k, '')}{v}" for k, v in item.items() if k not in ("id", "nom") and v
        ]
        suffix = f" — {' ; '.join(details)}" if details else ""
        lines.append(f"  - {item['id']} : {item['nom']}{suffix}")
    return lines


def _qpv_sentence(with_codes: int, drawn: int) -> str:
    if not with_codes:
        return "  (aucun code QPV)"
    if drawn == with_codes:
        return "  Contours : tous tracés d'après les contours QPV 2024 de l'ANCT (précision qpv)."
    return (
        f"  Contours : {drawn} tracés d'après les contours QPV 2024 de l'ANCT (précision qpv), "
        f"{with_codes - drawn} approchés par la commune entière (données construites sans "
        "ces contours, ou codes absents du fichier : `python -m geo data build --qpv "
        "FICHIER_OU_URL`)."
    )


_POPULATION_SOURCE_FR = {
    "communes": "communes entières (INSEE)",
    "qpv": "somme des QPV 2024 (INSEE)",
    "source": "chiffre cité par la source du territoire",
    "inconnue": "inconnue",
}


def _population_by_source(frame: pd.DataFrame) -> dict[str, dict[str, dict[str, int]]]:
    """Per statut (and ``ensemble``), per ``population_source``: rows and population sum."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    values = pd.to_numeric(frame["population"], errors="coerce")
    for statut in [*STATUTS, "ensemble"]:
        rows = frame if statut == "ensemble" else frame[frame["statut"] == statut]
        out[statut] = {}
        for source in POPULATION_SOURCES:
            chosen = rows["population_source"] == source
            exact = chosen & (rows["precision"] == "communes")
            out[statut][source] = {
                "n": int(chosen.sum()),
                "population": int(values[rows.index][chosen].fillna(0).sum()),
                "n_exact": int(exact.sum()) if source == "communes" else 0,
            }
    return out


def _population_lines(by_source: dict[str, dict[str, dict[str, int]]]) -> list[str]:
    lines = ["  population par source (TH ; ensemble TH et PE) :"]
    for source in POPULATION_SOURCES:
        th, every = by_source["TH"][source], by_source["ensemble"][source]
        count = f"{th['population']:,}".replace(",", "\u202f")
        text = (
            f"    {_POPULATION_SOURCE_FR[source]} : {th['n']} TH"
            + (f", {count} habitants" if th["n"] and source != "inconnue" else "")
            + f" ; {every['n']} territoires"
        )
        if source == "communes":
            text += f" (périmètre exact pour {th['n_exact']} TH ; les autres : EPCI, approché)"
        if source == "inconnue":
            text += " (quartiers sans population QPV ni chiffre cité : jamais leur commune)"
        lines.append(text)
    return lines


def data_report(data_dir: str | os.PathLike[str] | None = None) -> str:
    """Describe the quality of the shipped data, in French.

    Parameters
    ----------
    data_dir
        Folder holding the tables; :data:`~geo.shipped.tables.DATA_DIR` when omitted.

    Returns
    -------
    str
        Counts by statut, precision and confidence (territories and PTCE);
        entries without a location; entries without a public source;
        approximate perimeters (infra-communal, EPCI, partial; PTCE known
        only at département level, which the analysis never measures); projets
        émergents whose current status is unknown.

    Raises
    ------
    SchemaError, DataSourceError
        See :func:`~geo.shipped.validate.read_tables`.
    """
    numbers = report_numbers(data_dir)
    t, p = numbers["territories"], numbers["ptce"]
    lines = [
        "Rapport de qualité des données (territoires TZCLD et PTCE)",
        "",
        f"Territoires TZCLD : {t['total']}",
        f"  par statut (TH habilité, PE projet émergent) : {_format_counts(t['by_statut'])}",
        f"  par précision du périmètre : {_format_counts(t['by_precision'])}",
        f"  par confiance : {_format_counts(t['by_confiance'])}",
        f"  avec codes QPV : {len(t['with_qpv_codes'])} (contours QPV tracés : {t['qpv_drawn']})",
        *_population_lines(t["population_by_source"]),
        f"  projets bloqués ou arrêtés (statut_detail, non dessinés comme actifs) : "
        f"{len(t['stopped'])}",
        "",
        f"PTCE : {p['total']}",
        f"  par précision de la zone d'action : {_format_counts(p['by_precision'])}",
        f"  par précision du siège : {_format_counts(p['by_precision_siege'])}",
        f"  par confiance : {_format_counts(p['by_confiance'])}",
        "",
        f"Territoires non localisés (sans géométrie) : {len(t['unlocated'])}",
        *_format_list(t["unlocated"]),
        f"PTCE non localisés (sans point) : {len(p['unlocated'])}",
        *_format_list(p["unlocated"]),
        "",
        f"Territoires sans source publique : {len(t['without_public_source'])}",
        *_format_list(t["without_public_source"]),
        f"PTCE sans source publique : {len(p['without_public_source'])}",
        *_format_list(p["without_public_source"]),
        "",
        "Périmètres approchés :",
        f"  infra-communaux (quartier ou QPV, approché par la commune entière) : "
        f"{len(t['infra_communal'])}",
        *_format_list(t["infra_communal"]),
        f"  au niveau de l'EPCI (communes membres en 2025) : {len(t['epci'])}",
        *_format_list(t["epci"]),
        f"  partiels (seules certaines communes du périmètre sont codées) : "
        f"{len(t['partial_perimeter'])}",
        *_format_list(t["partial_perimeter"]),
        f"  PTCE connus seulement au niveau du département (point placé dans le "
        f"département pour la carte, jamais mesuré dans les synergies) : "
        f"{len(p['departement_only'])}",
        *_format_list(p["departement_only"]),
        "",
        f"Projets émergents au statut actuel inconnu : {len(t['pe_unknown_status'])}",
        *_format_list(t["pe_unknown_status"]),
        "",
        f"Territoires avec codes QPV 2024 : {len(t['with_qpv_codes'])}",
        *_format_list(t["with_qpv_codes"]),
        _qpv_sentence(len(t["with_qpv_codes"]), t["qpv_drawn"]),
        "",
        "Champs publics contenant des remarques internes (à déplacer dans notes ou alias) :",
        f"  territoires : {len(t['internal_remarks'])}",
        *_format_list(t["internal_remarks"]),
        f"  PTCE : {len(p['internal_remarks'])}",
        *_format_list(p["internal_remarks"]),
    ]
    return "\n".join(lines) + "\n"
