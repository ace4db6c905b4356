"""Validate the shipped tables: every row checked, every problem named at once.

:func:`read_tables` reads ``tz_territories.csv`` and ``ptce.csv`` and checks
each row against the schema's allowed values and the official referential
(INSEE codes and their names, EPCI SIREN, départements, régions, QPV 2024
codes, dates, stated populations); all the problems of both tables are raised
in one :class:`~geo.errors.SchemaError`, each naming its file, line and id.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable

import pandas as pd

from geo._core.text import name_key, without_article
from geo.errors import SchemaError, format_problems
from geo.reference.names import PLM_PARENTS
from geo.schema import (
    CONFIANCES,
    PTCE_PRECISIONS,
    STATUT_DETAILS,
    STATUTS,
    TERRITORY_PRECISIONS,
    field_names,
)
from geo.shipped.referential import (
    Cog,
    QpvList,
    code_problem,
    load_cog,
    load_qpv_list,
    names_match,
)
from geo.shipped.tables import (
    HTTP_URL,
    PTCE_CSV,
    TERRITORIES_CSV,
    Table,
    data_folder,
    read_table,
    split_cell,
)

__all__ = ["read_tables"]

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2}|/\d{2})?)?$")
_SIREN = re.compile(r"^\d{9}$")


_QPV_CODE = re.compile(r"^QN(?:\d{3}|0?2[AB])\d{2}[A-Z]$")


def _check_common(table: Table, cog: Cog, problems: list[str]) -> None:
    """Check what both tables share: ids, confidence, département, région."""
    frame = table.frame
    counts = Counter(frame["id"])
    for i, row in frame.iterrows():
        where = table.where(i)
        if not row["id"]:
            problems.append(f"line {row['_line']}: empty id")
        elif counts[row["id"]] > 1:
            lines = frame.loc[frame["id"] == row["id"], "_line"].tolist()
            problems.append(f"{where}: duplicate id (lines {', '.join(map(str, lines))})")
        elif not _SLUG.match(row["id"]):
            problems.append(f"{where}: id must be a lowercase slug like 'les-mureaux'")
        if not row["nom"]:
            problems.append(f"{where}: empty nom")
        if row["confiance"] not in CONFIANCES:
            problems.append(f"{where}: confiance {row['confiance']!r} not in {CONFIANCES}")
        for dep in split_cell(row["departement"]):
            if dep not in cog.departements:
                problems.append(f"{where}: unknown département code {dep!r}")
        if row["region_nom"]:
            key = without_article(name_key(row["region_nom"]))
            code = cog.region_by_key.get(key)
            if code is None:
                problems.append(
                    f"{where}: unknown région {row['region_nom']!r}; use an official name "
                    f"such as {sorted(cog.region_names.values())[:3]}..."
                )
            else:
                deps = [d for d in split_cell(row["departement"]) if d in cog.region_of_dep]
                if deps and cog.region_of_dep[deps[0]] != code:
                    problems.append(
                        f"{where}: région {row['region_nom']!r} does not contain département "
                        f"{deps[0]} (région {cog.region_names[cog.region_of_dep[deps[0]]]})"
                    )


def _check_codes(
    where: str, codes: Iterable[str], names: str, field: str, cog: Cog, problems: list[str]
) -> bool:
    """Check INSEE codes and, when given, their names. Return True when all codes exist."""
    codes = list(codes)
    ok = True
    for code in codes:
        problem = code_problem(cog, code, field)
        if problem:
            problems.append(f"{where}: {problem}")
            ok = False
    if len(set(codes)) != len(codes):
        problems.append(f"{where}: duplicate codes in {field}")
    name_list = split_cell(names)
    if ok and name_list:
        if len(name_list) != len(codes):
            problems.append(
                f"{where}: {len(codes)} code(s) in {field} but {len(name_list)} name(s); "
                "give one official name per code, or leave the names empty"
            )
        else:
            for code, name in zip(codes, name_list, strict=True):
                official = cog.located.at[code, "nom"]
                if not names_match(name, official):
                    problems.append(
                        f"{where}: name {name!r} does not match code {code} ({official}); "
                        "fix the code or the name"
                    )
    return ok


def _check_qpv_codes(
    where: str, row: pd.Series, codes: list[str], qpv: QpvList, problems: list[str]
) -> None:
    """Check ``qpv_codes``: known QPV 2024 codes, each in one of the row's communes."""
    wanted = split_cell(row["qpv_codes"])
    if not wanted:
        return
    if row["precision"] != "infra-communal":
        problems.append(
            f"{where}: qpv_codes are given but precision is {row['precision']!r}; a territory "
            "made of QPV has precision 'infra-communal' (the build draws it as 'qpv' when "
            "given the QPV boundaries)"
        )
    if len(set(wanted)) != len(wanted):
        problems.append(f"{where}: duplicate codes in qpv_codes")
    communes = {PLM_PARENTS.get(c, c) for c in codes}
    for code in wanted:
        if not _QPV_CODE.match(code):
            problems.append(
                f"{where}: qpv_codes {code!r} is not a QPV code (like 'QN07819M': QN, "
                "département, number, letter)"
            )
        elif code not in qpv.communes:
            problems.append(
                f"{where}: unknown QPV code {code!r} in qpv_codes: not in the ANCT list of "
                f"QPV 2024 ({qpv.path.name}, {len(qpv.communes)} QPV)"
            )
        elif communes and not communes & qpv.communes[code]:
            where_qpv = ", ".join(sorted(qpv.communes[code]))
            problems.append(
                f"{where}: QPV {code} ({qpv.names[code]}) lies in commune(s) {where_qpv}, "
                f"none of codes_insee {';'.join(codes)!r}: fix the QPV code or the communes"
            )


def _validate_territories(table: Table, cog: Cog, qpv: QpvList) -> list[str]:
    problems: list[str] = []
    _check_common(table, cog, problems)
    for i, row in table.frame.iterrows():
        where = table.where(i)
        if row["statut"] not in STATUTS:
            problems.append(f"{where}: statut {row['statut']!r} not in {STATUTS}")
        precision = row["precision"]
        if precision in ("adresse", "point", "mairie"):
            problems.append(
                f"{where}: precision {precision!r} is set when a user's file places a "
                "territory by an address or coordinates; the tables name communes, "
                "quartiers or an EPCI"
            )
        elif precision == "qpv":
            problems.append(
                f"{where}: precision 'qpv' is set by the build, not in the table: write "
                "'infra-communal' and the qpv_codes"
            )
        elif precision not in TERRITORY_PRECISIONS:
            problems.append(f"{where}: precision {precision!r} not in {TERRITORY_PRECISIONS}")
        codes = split_cell(row["codes_insee"])
        codes_ok = _check_codes(where, codes, row["communes"], "codes_insee", cog, problems)
        _check_qpv_codes(where, row, codes if codes_ok else [], qpv, problems)
        if codes_ok and codes and row["departement"]:
            deps = set(split_cell(row["departement"]))
            for code in codes:
                dep = cog.located.at[code, "departement"]
                if dep not in deps:
                    problems.append(
                        f"{where}: commune {code} is in département {dep}, not in "
                        f"departement {row['departement']!r}"
                    )
        siren = row["epci_siren"]
        if siren and (not _SIREN.match(siren) or siren not in cog.epci_members):
            problems.append(
                f"{where}: epci_siren {siren!r} is not an EPCI of the COG 2025; "
                "leave it empty when the EPCI no longer exists and say so in notes"
            )
        if precision in ("communes", "infra-communal") and not codes:
            problems.append(f"{where}: precision {precision!r} needs codes_insee")
        if precision == "epci" and not codes and not siren:
            problems.append(f"{where}: precision 'epci' needs epci_siren (or codes_insee)")
        if precision == "inconnu" and (codes or siren):
            problems.append(
                f"{where}: precision 'inconnu' but codes_insee/epci_siren are given; "
                "set precision to 'communes', 'infra-communal' or 'epci'"
            )
        if row["date_habilitation"] and not _DATE.match(row["date_habilitation"]):
            problems.append(
                f"{where}: date_habilitation {row['date_habilitation']!r} is not "
                "AAAA, AAAA-MM, AAAA-MM-JJ or AAAA-MM/MM"
            )
        if row["statut"] == "PE" and row["date_habilitation"]:
            problems.append(f"{where}: a projet émergent (PE) has no date_habilitation")
        if row["statut_detail"] and row["statut_detail"] not in STATUT_DETAILS:
            problems.append(
                f"{where}: statut_detail {row['statut_detail']!r} not in {STATUT_DETAILS} "
                "(leave it empty for an active territory)"
            )
        _check_population(where, row, problems)
    return problems


def _check_population(where: str, row: pd.Series, problems: list[str]) -> None:
    """Check that a stated population is a whole number with the URL stating it."""
    figure, url = row["population_citee"], row["population_url"]
    if figure and not figure.isdigit():
        problems.append(
            f"{where}: population_citee {figure!r} is not a whole number of inhabitants "
            "(write 7500 for « ≈ 7 500 hab. »)"
        )
    if figure and not url:
        problems.append(
            f"{where}: population_citee {figure} has no population_url: give the URL of "
            "the page that states it"
        )
    if url and not HTTP_URL.match(url):
        problems.append(f"{where}: population_url {url!r} is not an http(s) URL")
    if url and not figure:
        problems.append(f"{where}: population_url is given without population_citee")


def _validate_ptce(table: Table, cog: Cog) -> list[str]:
    problems: list[str] = []
    _check_common(table, cog, problems)
    for i, row in table.frame.iterrows():
        where = table.where(i)
        precision = row["precision"]
        if precision not in PTCE_PRECISIONS:
            problems.append(f"{where}: precision {precision!r} not in {PTCE_PRECISIONS}")
        seat = row["siege_insee"]
        if seat:
            if _check_codes(where, [seat], row["siege_commune"], "siege_insee", cog, problems):
                dep = cog.located.at[seat, "departement"]
                if row["departement"] and dep not in split_cell(row["departement"]):
                    problems.append(
                        f"{where}: seat {seat} is in département {dep}, not {row['departement']!r}"
                    )
        elif row["siege_commune"]:
            problems.append(
                f"{where}: siege_commune {row['siege_commune']!r} has no siege_insee; "
                "add its INSEE code"
            )
        codes = split_cell(row["codes_insee"])
        _check_codes(where, codes, "", "codes_insee", cog, problems)
        if precision in ("communes", "epci") and not codes:
            problems.append(f"{where}: precision {precision!r} needs codes_insee")
        if precision == "siege" and not seat:
            problems.append(f"{where}: precision 'siege' needs siege_insee")
        if precision == "departement" and not row["departement"]:
            problems.append(f"{where}: precision 'departement' needs departement")
        if precision == "inconnu" and (codes or seat):
            problems.append(f"{where}: precision 'inconnu' but a seat or codes_insee is given")
    return problems


def read_tables(
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and validate ``tz_territories.csv`` and ``ptce.csv``.

    Parameters
    ----------
    data_dir
        Folder holding the two tables; :data:`~geo.shipped.tables.DATA_DIR` when omitted.

    Returns
    -------
    tuple of DataFrame
        Territories and PTCE, all columns as strings (empty string = no
        value), plus ``_line`` (line of the row in its file). The files may
        be UTF-8 (with or without BOM) or Windows-1252, as spreadsheets save
        them; columns ``geo.schema.field_names(table, derived=False)``.

    Raises
    ------
    DataSourceError
        A table is missing or cannot be read.
    SchemaError
        Undecodable or malformed CSV, missing columns, or invalid rows:
        duplicate or malformed ids, unknown INSEE codes, EPCI SIREN,
        départements or régions, names that do not match their code, values
        outside the allowed lists. All problems of
        both tables are listed in one message. Missing sources are *not* an
        error: :func:`~geo.shipped.report.data_report` lists them.
    """
    folder = data_folder(data_dir)
    territories = read_table(folder / TERRITORIES_CSV, field_names("territories", derived=False))
    ptce = read_table(folder / PTCE_CSV, field_names("ptce", derived=False))
    cog = load_cog()
    qpv = load_qpv_list(folder)
    problems = [
        f"{territories.path.name} {p}" for p in _validate_territories(territories, cog, qpv)
    ]
    problems += [f"{ptce.path.name} {p}" for p in _validate_ptce(ptce, cog)]
    if problems:
        raise SchemaError(
            format_problems(
                f"{len(problems)} problem(s) in the data tables of {folder}; fix the rows "
                "and run `python -m geo data build` again",
                problems,
            ),
            problems,
        )
    return territories.frame, ptce.frame
