"""Compare two built data folders and say in French what changed.

What a new décret or a table edit changed between the shipped GeoJSON files
and a rebuild: territories and PTCE added or removed, perimeters, statuses,
dates and populations changed, PTCE moved (:func:`data_diff`), written out by
:func:`diff_report`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from geo._core.tables import read_text
from geo.errors import SchemaError
from geo.shipped.tables import PTCE_GEOJSON, TERRITORIES_GEOJSON, split_cell

__all__ = ["data_diff", "diff_report"]


def _features(path: Path) -> dict[str, dict[str, Any]]:
    """Properties (and geometry, as JSON text) of each feature of a GeoJSON file, by id."""
    if not path.is_file():
        return {}
    try:
        document = json.loads(read_text(path, str(path)))
    except ValueError as exc:
        raise SchemaError(f"{path}: not a GeoJSON file ({exc})") from exc
    out = {}
    for feature in document.get("features", []):
        props = dict(feature.get("properties") or {})
        props["_geometry"] = json.dumps(feature.get("geometry"), sort_keys=True)
        out[str(props.get("id"))] = props
    return out


def data_diff(
    old_dir: str | os.PathLike[str], new_dir: str | os.PathLike[str]
) -> dict[str, list[str]]:
    """Compare two built data folders: what a new décret or a table edit changed.

    Parameters
    ----------
    old_dir, new_dir
        Folders holding ``territories.geojson`` and ``ptce.geojson`` (the
        shipped data and a user's rebuild, for instance).

    Returns
    -------
    dict of str to list of str
        Keys ``territories_added``, ``territories_removed``,
        ``perimeters_changed`` (codes or geometry), ``statuses_changed``
        (``statut``, ``statut_detail`` or ``date_habilitation``, with old and
        new values), ``populations_changed``, ``ptce_added``, ``ptce_removed``,
        ``ptce_changed`` (seat, area or precision); each a sorted list of
        French lines naming the id.

    Examples
    --------
    >>> from geo.shipped.tables import DATA_DIR
    >>> sum(map(len, data_diff(DATA_DIR, DATA_DIR).values()))
    0
    """
    old_t, new_t = (_features(Path(d) / TERRITORIES_GEOJSON) for d in (old_dir, new_dir))
    old_p, new_p = (_features(Path(d) / PTCE_GEOJSON) for d in (old_dir, new_dir))
    diff: dict[str, list[str]] = {
        "territories_added": [f"{i} ({new_t[i].get('nom')})" for i in new_t if i not in old_t],
        "territories_removed": [f"{i} ({old_t[i].get('nom')})" for i in old_t if i not in new_t],
        "perimeters_changed": [],
        "statuses_changed": [],
        "populations_changed": [],
        "ptce_added": [f"{i} ({new_p[i].get('nom')})" for i in new_p if i not in old_p],
        "ptce_removed": [f"{i} ({old_p[i].get('nom')})" for i in old_p if i not in new_p],
        "ptce_changed": [],
    }
    for i in sorted(set(old_t) & set(new_t)):
        old, new = old_t[i], new_t[i]
        if (
            old.get("codes_insee") != new.get("codes_insee")
            or old["_geometry"] != new["_geometry"]
        ):
            diff["perimeters_changed"].append(
                f"{i} : {old.get('precision')} ({len(split_cell(old.get('codes_insee') or ''))} "
                f"communes) -> {new.get('precision')} "
                f"({len(split_cell(new.get('codes_insee') or ''))} communes)"
            )
        for field in ("statut", "statut_detail", "date_habilitation"):
            if (old.get(field) or "") != (new.get(field) or ""):
                before, after = old.get(field) or "(vide)", new.get(field) or "(vide)"
                diff["statuses_changed"].append(f"{i} : {field} {before} -> {after}")
        if (old.get("population"), old.get("population_source")) != (
            new.get("population"),
            new.get("population_source"),
        ):
            diff["populations_changed"].append(
                f"{i} : {old.get('population')} ({old.get('population_source') or '?'}) -> "
                f"{new.get('population')} ({new.get('population_source') or '?'})"
            )
    for i in sorted(set(old_p) & set(new_p)):
        old, new = old_p[i], new_p[i]
        changed = [
            f for f in ("siege_insee", "codes_insee", "precision") if old.get(f) != new.get(f)
        ]
        if changed or old["_geometry"] != new["_geometry"]:
            diff["ptce_changed"].append(f"{i} : {', '.join(changed) or 'point'}")
    return {key: sorted(lines) for key, lines in diff.items()}


_DIFF_LABELS = {
    "territories_added": "territoires ajoutés",
    "territories_removed": "territoires retirés",
    "perimeters_changed": "périmètres modifiés",
    "statuses_changed": "statuts ou dates modifiés",
    "populations_changed": "populations modifiées",
    "ptce_added": "PTCE ajoutés",
    "ptce_removed": "PTCE retirés",
    "ptce_changed": "PTCE modifiés",
}


def diff_report(diff: dict[str, list[str]], old_name: str, new_name: str) -> str:
    """Write :func:`data_diff` in French, one section per kind of change.

    Parameters
    ----------
    diff
        What :func:`data_diff` returned (missing keys count as no change).
    old_name, new_name
        How the two folders are named in the title (``"livrées"``...).

    Returns
    -------
    str
        A title, then each kind of change with its count and its lines, or
        ``aucune.`` when nothing changed.

    Examples
    --------
    >>> print(diff_report({"territories_added": ["x (X)"]}, "livrées", "nouvelles"))
    Différences entre les données livrées et les données nouvelles :
      territoires ajoutés (1) :
        - x (X)
    """
    lines = [f"Différences entre les données {old_name} et les données {new_name} :"]
    for key, label in _DIFF_LABELS.items():
        items = diff.get(key, [])
        if items:
            lines.append(f"  {label} ({len(items)}) :")
            lines.extend(f"    - {item}" for item in items)
    if len(lines) == 1:
        lines.append("  aucune.")
    return "\n".join(lines)
