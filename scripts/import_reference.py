#!/usr/bin/env python3
"""One-off import of the shipped tables from the project's reference tables.

Run once, from a checkout, to create ``data/tz_territories.csv`` and
``data/ptce.csv`` (:func:`import_reference`) and ``data/qpv2024_communes.csv``
(:func:`import_qpv_communes`) from ``../shared/reference``; afterwards the CSV
files in ``data/`` are the truth, edited by hand, and
``python -m geo data build`` builds the GeoJSON from them. Not part of the
package: ``import geo`` never loads this file.

Usage::

    python scripts/import_reference.py REFERENCE_DIR [OUT_DIR] [--overwrite]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from geo._core.files import atomic_path
from geo._core.tables import read_text
from geo._core.text import name_key
from geo.errors import DataSourceError, SchemaError
from geo.schema import field_names
from geo.shipped.tables import (
    DATA_DIR,
    NO_SOURCE_MARKER,
    PTCE_CSV,
    QPV_LIST_CSV,
    TERRITORIES_CSV,
    source_items,
    split_cell,
)

__all__ = ["import_qpv_communes", "import_reference"]


#: Per-row decisions taken when importing the reference tables (id -> changed
#: fields); the text of ``"note"`` is appended to ``notes``.
_TERRITORY_DECISIONS: dict[str, dict[str, str]] = {
    "entre-nievre-et-forets": {
        "precision": "epci",
        "note": (
            "Précision « epci » : le territoire est l’EPCI de 2016, dissous depuis (pas de "
            "SIREN actuel) ; la géométrie se limite à Prémery, seule commune connue. "
            "L’ancien périmètre est inclus dans la CC Les Bertranges (200068088), plus large."
        ),
    },
    "blere-val-de-cher": {
        "sous_zone": "",
        "note": "Périmètre selon la source : commune entière de Bléré (« tout demandeur "
        "d’emploi … qui habite à Bléré »).",
    },
    "saint-girons": {
        "sous_zone": "",
        "note": "Périmètre selon la source : Saint-Girons et les 6 communes de "
        "l’ex-agglomération (toutes codées).",
    },
    "oust-a-broceliande": {
        "sous_zone": "",
        "note": "Périmètre : phase 1 = 4 communes (codées) ; phase 2 prévue : La Gacilly "
        "(56061), Cournon (56044), non codées.",
    },
    # A wider perimeter of which the sources name only the main commune: the
    # geometry is that commune; sous_zone keeps the description.
    **{
        tid: {"precision": "communes"}
        for tid in (
            "moulins-engilbert",
            "pays-luzycois",
            "portes-du-morvan",
            "clamecy-vaux-d-yonne",
            "tournus",
        )
    },
    "toulouse-metropole": {
        "precision": "epci",
        "epci_nom": "Toulouse Métropole",
        "epci_siren": "243100518",
        "note": (
            "Précision « epci » : la source ne nomme que l’EPCI (« un territoire de Toulouse "
            "métropole ») ; SIREN d’après le COG 2025. Le périmètre réel, plus petit, n’est pas "
            "défini."
        ),
    },
}

#: The projet émergent of the TZCLD × Coorace webinar found in no other table.
_SUD_OISE = {
    "id": "sud-oise-villers-saint-paul",
    "nom": "Sud Oise – Villers-Saint-Paul",
    "statut": "PE",
    "departement": "60",
    "region_nom": "Hauts-de-France",
    "codes_insee": "60684",
    "communes": "Villers-Saint-Paul",
    "sous_zone": "",
    "qpv_codes": "",
    "epci_nom": "Communauté d'agglomération Creil Sud Oise",
    "epci_siren": "200068047",
    "date_habilitation": "",
    "texte_legal": "",
    "vague": "",
    "ebe": "",
    "sources": (
        f"{NO_SOURCE_MARKER} (nommé seulement par la page du webinaire Observatoire TZCLD × "
        "Coorace « TZCLD, PTCE : Coopération territoriale – expérimentations », recensement "
        "TZ–PTCE : « PE Sud Oise > Villers Saint Paul – PTCE Oise Ouest » ; copie du texte : "
        "shared/reference/webinaire-tz-ptce.txt)"
    ),
    "confiance": "low",
    "notes": (
        "Paire témoin n° 1 de seed_pairs.csv (PE « Sud Oise > Villers Saint Paul » × PTCE "
        "Oise Ouest, tz_id vide dans la table de référence). Date de la source : 2024. "
        "Aucune page publique décrivant ce projet n’a été trouvée (tz_SOURCES.md). Commune "
        "Villers-Saint-Paul (60684, vérifiée dans le COG 2025) ; « Sud Oise » est rapproché "
        "de la CA Creil Sud Oise (200068047, EPCI de la commune dans le COG 2025), sans "
        "source. Statut actuel inconnu."
    ),
    "precision": "communes",
}

_EPCI_WORDS = re.compile(
    r"\b(?:communaut[ée]|agglom[ée]ration|m[ée]tropole|eurom[ée]tropole|CC|CA)\b",
    re.IGNORECASE,
)


def _territory_precision(row: dict[str, str]) -> str:
    if not row["codes_insee"]:
        return "epci" if row["epci_siren"] else "inconnu"
    return "infra-communal" if row["sous_zone"] else "communes"


def _ptce_precision(row: dict[str, str], dep_name: str) -> str:
    if row["codes_insee"]:
        text = f"{row['zone_action']} {row['notes']}"
        return "epci" if _EPCI_WORDS.search(text) else "communes"
    area = name_key(row["zone_action"])
    dep = name_key(dep_name) if dep_name else ""
    if dep and (area == dep or (area.startswith("departement") and area.endswith(dep))):
        return "departement"
    if row["siege_insee"]:
        return "siege"
    return "departement" if row["departement"] else "inconnu"


def _append_note(notes: str, note: str) -> str:
    return f"{notes} {note}".strip() if notes else note


def _write_csv(path: Path, rows: list[dict[str, str]], columns: Sequence[str]) -> None:
    with atomic_path(path) as tmp:
        tmp.chmod(0o644)
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
            writer.writeheader()
            for row in rows:  # one line per row: no line breaks inside cells
                writer.writerow({c: " ".join(str(row.get(c, "")).split()) for c in columns})


def import_reference(
    reference_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Create ``tz_territories.csv`` and ``ptce.csv`` from the reference tables.

    Run once to create the shipped tables; afterwards the CSV files in
    ``data/`` are the truth and are edited by hand. Every reference row is
    kept with all its source URLs (TZ cells ``" ; "`` become ``" | "``), the
    columns are renamed to the French schema, the projet émergent Sud Oise /
    Villers-Saint-Paul of the webinar is added, and a ``precision`` is set:

    territories
        ``communes`` when codes are given without quartier, ``infra-communal``
        when a quartier/QPV is named (``sous_zone``), ``epci`` when only the
        EPCI is known, ``inconnu`` otherwise; plus the documented per-row
        decisions of :data:`_TERRITORY_DECISIONS`.
    PTCE
        ``epci``/``communes`` when the area is a set of communes (an EPCI or
        a list), ``departement`` when the area is a whole département or only
        the département is known, ``siege`` when only the seat is known,
        ``inconnu`` otherwise.

    Parameters
    ----------
    reference_dir
        Folder with ``tz_territories.csv``, ``tz_emergents.csv`` and
        ``ptce.csv`` in the reference layout.
    out_dir
        Where to write; :data:`DATA_DIR` when omitted.
    overwrite
        Replace existing tables (hand edits are lost). Off by default.

    Returns
    -------
    dict of str to Path
        ``{"territories": ..., "ptce": ...}``.

    Raises
    ------
    FileExistsError
        A table exists and ``overwrite`` is false.
    DataSourceError
        A reference table is missing.
    """
    source = Path(reference_dir)
    target = Path(out_dir) if out_dir is not None else DATA_DIR
    paths = {"territories": target / TERRITORIES_CSV, "ptce": target / PTCE_CSV}
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(
            f"{', '.join(existing)} already exist and are edited by hand; "
            "pass overwrite=True to replace them"
        )
    for name in ("tz_territories.csv", "tz_emergents.csv", "ptce.csv"):
        if not (source / name).is_file():
            raise DataSourceError(f"reference table {source / name} not found")

    territories = []
    for name in ("tz_territories.csv", "tz_emergents.csv"):
        raw = pd.read_csv(source / name, dtype=str, keep_default_na=False)
        for ref in raw.to_dict("records"):
            row = {
                "id": ref["id"],
                "nom": ref["name"],
                "statut": ref["status"],
                "departement": ref["departement"],
                "region_nom": ref["region"],
                "codes_insee": ref["communes_insee"],
                "communes": ref["communes_noms"],
                "sous_zone": ref["sub_area"],
                "qpv_codes": ref["qpv_codes"],
                "epci_nom": ref["epci"],
                "epci_siren": ref["epci_siren"],
                "date_habilitation": ref["habilitation_date"],
                "texte_legal": ref["legal_text"],
                "vague": ref["wave"],
                "ebe": ref["ebe"],
                "sources": " | ".join(split_cell(ref["source_urls"], " ; ")),
                "confiance": ref["confidence"],
                "notes": ref["notes"],
            }
            decision = dict(_TERRITORY_DECISIONS.get(row["id"], {}))
            note = decision.pop("note", "")
            row.update(decision)
            if note:
                row["notes"] = _append_note(row["notes"], note)
            row.setdefault("precision", _territory_precision(row))
            territories.append(row)
    territories.append(dict(_SUD_OISE))

    ptce = []
    raw = pd.read_csv(source / "ptce.csv", dtype=str, keep_default_na=False)
    for ref in raw.to_dict("records"):
        row = {
            "id": ref["id"],
            "nom": ref["name"],
            "porteur": ref["carrier"],
            "siege_insee": ref["seat_insee"],
            "siege_commune": ref["seat_commune"],
            "departement": ref["dep_code"],
            "region_nom": ref["region"],
            "zone_action": ref["area"],
            "codes_insee": ref["area_communes"],
            "thematiques": ref["themes"],
            "soutien_etat": ref["state_support"],
            "site_web": ref["website"],
            "sources": " | ".join(source_items(ref["sources"])),
            "confiance": ref["confidence"],
            "notes": ref["confidence_note"],
        }
        row["precision"] = _ptce_precision(row, ref["dep_name"])
        ptce.append(row)

    _write_csv(paths["territories"], territories, field_names("territories", derived=False))
    _write_csv(paths["ptce"], ptce, field_names("ptce", derived=False))
    return paths


def import_qpv_communes(
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Create ``qpv2024_communes.csv`` from the ANCT list of QPV 2024 by commune.

    The reference list (``shared/reference/additions-2026-12/qpv2024_communes.csv``:
    ``insee_com, lib_com, codes_qp, libelles_qp``, one row per commune, codes
    ``;``-separated and names ``, ``-separated in the same order) becomes one
    row per QPV and commune (:data:`geo.reference.qpv.QPV_LIST_COLUMNS`), sorted. Codes
    and names are kept as the ANCT writes them.

    Parameters
    ----------
    source
        The reference list.
    out_dir
        Where to write; :data:`DATA_DIR` when omitted.
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    FileExistsError
        The file exists and ``overwrite`` is false.
    DataSourceError
        ``source`` is missing.
    SchemaError
        A row has not as many names as codes, or a QPV has two names.
    """
    from geo.reference.qpv import QPV_LIST_COLUMNS

    source = Path(source)
    target = (Path(out_dir) if out_dir is not None else DATA_DIR) / QPV_LIST_CSV
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists; pass overwrite=True to replace it")
    if not source.is_file():
        raise DataSourceError(f"QPV list {source} not found")
    reader = csv.DictReader(io.StringIO(read_text(source, str(source)), newline=""))
    names: dict[str, str] = {}
    pairs: set[tuple[str, str]] = set()
    problems = []
    for record in reader:
        codes = split_cell(record["codes_qp"])
        labels = [n.strip() for n in record["libelles_qp"].split(", ")]
        if len(codes) != len(labels):
            problems.append(
                f"{source} line {reader.line_num}: {len(codes)} codes but {len(labels)} names"
            )
            continue
        for code, label in zip(codes, labels, strict=True):
            if names.setdefault(code, label) != label:
                problems.append(f"{source} line {reader.line_num}: {code} has two names")
            pairs.add((code, record["insee_com"].strip()))
    if problems:
        raise SchemaError(f"{len(problems)} problem(s) in {source}", problems)
    rows = [
        {"code_qp": code, "nom_qp": names[code], "insee_com": commune}
        for code, commune in sorted(pairs)
    ]
    _write_csv(target, rows, QPV_LIST_COLUMNS)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """Import the tables; print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference_dir", help="the reference tables (../shared/reference)")
    parser.add_argument("out_dir", nargs="?", help="where to write (data/ by default)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing tables")
    args = parser.parse_args(argv)
    reference = Path(args.reference_dir)
    written = list(import_reference(reference, args.out_dir, overwrite=args.overwrite).values())
    qpv = reference / "additions-2026-12" / "qpv2024_communes.csv"
    written.append(import_qpv_communes(qpv, args.out_dir, overwrite=args.overwrite))
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
