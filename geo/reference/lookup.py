"""Find communes from the codes and names people write.

:func:`find_commune` resolves one value to one commune (or arrondissement
municipal); :func:`resolve_communes` resolves a whole column at once, expands
EPCI to their member communes, and reports every value it cannot resolve in a
single error.

Accepted values
---------------
- INSEE codes: ``"78440"``, ``"2A004"``, ``"97407"``, arrondissements
  ``"75113"``/``"69388"``/``"13201"``; a code that lost its leading zero
  (``"1001"``, ``1001``) is read as ``"01001"``.
- Old codes of communes déléguées/associées (``"14011"``): resolved to today's
  commune, with a ``note`` saying so.
- Names as people type them: with or without article (``"Mureaux"``), accents,
  hyphens, ``St``/``Ste``, ``Coeur``/``Cœur``; a département or région hint in
  parentheses (``"Le Port (Réunion)"``, ``"Saint-Denis (93)"``) or as a trailing
  code (``"Saint-Denis 93"``); ``"78440 Les Mureaux"``.
- Arrondissements: ``"Paris 13e"``, ``"Lyon 8e arrondissement"``,
  ``"Marseille 1er"``, ``"13e arrondissement de Paris"``, ``"Paris (13e)"``.
- EPCI (in :func:`resolve_communes` only): SIREN (``"200041010"``) or name with
  a marker: ``"CC Cœur de Savoie"``, ``"Communauté de communes Cœur de Savoie"``,
  ``"CA ..."``, ``"CU ..."``, ``"Métropole de Lyon"``, ``"Rennes Métropole"``,
  or the exact official name.

Rules
-----
Current communes and arrondissements (COG ``COM``/``ARM``) win over communes
déléguées/associées (``COMD``/``COMA``) with the same name; a name spelled
exactly (article included) wins over one that matches only without its article
(``"Port"`` is Port, Ain; ``"Le Port"`` is in La Réunion). Anything else that
matches several communes is ambiguous: add the département.

The index is built once per process from :func:`geo.reference.cog.commune_attributes`
(about a second) and reused (:func:`geo.reference.cog.clear` drops it). This module reads
no network and writes nothing.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from geo._core.text import name_key, without_article
from geo.errors import AmbiguousCommuneError, ArgumentError, UnknownCommuneError, format_problems
from geo.reference import names as _names
from geo.reference.commune_index import (
    CURRENT_TYPES,
    CommuneIndex,
    close_names,
    commune_index,
)
from geo.reference.postcodes import postal_hint

__all__ = [
    "RESULT_COLUMNS",
    "Match",
    "find_commune",
    "resolve_communes",
    "resolve_each",
]

#: Columns of the table returned by :func:`resolve_communes`, in order.
RESULT_COLUMNS = [
    "input_index",
    "value",
    "code_insee",
    "nom",
    "type",
    "departement",
    "matched_by",
    "note",
]

#: COG type of a former commune -> (what it is, what its parent is), for notes.
_OLD_KINDS = {
    "COMD": ("commune déléguée", "commune nouvelle"),
    "COMA": ("commune associée", "commune de rattachement"),
}
_MAX_CANDIDATES = 8


@dataclass(frozen=True, slots=True)
class Match:
    """One commune (or arrondissement municipal) found for an input value.

    Attributes
    ----------
    value
        The input, as given.
    code_insee
        INSEE code of today's commune (``COM``) or arrondissement (``ARM``).
    nom
        Official name, article included (``"Les Mureaux"``).
    type
        ``"COM"`` or ``"ARM"``.
    departement
        Département code (``"78"``, ``"2A"``, ``"974"``).
    matched_by
        ``"code"``, ``"old-code"``, ``"name"``, ``"arrondissement"`` or ``"epci"``.
    note
        What was interpreted, in French, when it is not obvious (old code of a
        commune déléguée, code missing its leading zero, EPCI membership), else
        ``None``.
    """

    value: Any
    code_insee: str
    nom: str
    type: str
    departement: str
    matched_by: str
    note: str | None = None


# --- one value ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Problem:
    kind: Literal["ambiguous", "unknown"]
    text: str  # starts with the quoted value, no row label
    candidates: tuple[str, ...] = ()


def _departements_of(index: CommuneIndex, text: str) -> frozenset[str] | None:
    """Return the département codes ``text`` designates, or ``None``."""
    text = str(text).strip()
    code = _names.departement_code(text)
    if code is not None and code in index.departements:
        return index.departements[code]
    compact = text.replace(" ", "")
    if len(compact) == 5 and (compact.isdigit() or _names.as_code(compact)):
        prefix = compact[:3] if compact.startswith("97") else compact[:2].upper()
        return index.departements.get(prefix)
    key = name_key(text)
    return index.departements.get(key) or index.departements.get(without_article(key))


def _describe_departement(index: CommuneIndex, dep: str) -> str:
    return index.departement_names.get(dep, dep)


def _label(index: CommuneIndex, code: str, typed_key: str | None = None) -> str:
    """``"93066 Seine-Saint-Denis"``, or ``"01307 Port (Ain)"`` when the name differs."""
    nom, _, dep = index.current[code]
    dep_name = _describe_departement(index, dep)
    if typed_key is not None and without_article(name_key(nom)) == without_article(typed_key):
        return f"{code} {dep_name}"
    return f"{code} {nom} ({dep_name})"


def _match(index: CommuneIndex, value: Any, code: str, matched_by: str, note: str | None) -> Match:
    nom, kind, dep = index.current[code]
    return Match(value, code, nom, kind, dep, matched_by, note)


def _quoted(value: Any) -> str:
    return f'"{value}"'


def _by_code(
    index: CommuneIndex, value: Any, code: str, deps: frozenset[str] | None, note: str | None
) -> list[Match] | _Problem:
    if code in index.current:
        found = _match(index, value, code, "code", note)
    elif code in index.old:
        nom, kind, parent = index.old[code]
        what, into = _OLD_KINDS[kind]
        pnom = index.current[parent][0]
        old_note = f"ancien code {code} ({what} {nom}) -> {into} {parent} {pnom}"
        found = _match(index, value, parent, "old-code", old_note)
    else:
        return _Problem("unknown", f"{_quoted(value)} is not an INSEE code{postal_hint(code)}")
    if deps is not None and found.departement not in deps:
        wanted = ", ".join(sorted(deps))
        return _Problem(
            "unknown",
            f"{_quoted(value)} is {found.code_insee} {found.nom} in département "
            f"{found.departement} ({_describe_departement(index, found.departement)}), "
            f"not in {wanted} — check the code or the département",
        )
    return [found]


def _by_name(
    index: CommuneIndex, value: Any, key: str, deps: frozenset[str] | None
) -> list[Match] | _Problem | None:
    """Resolve a commune name key; ``None`` when no commune has that name."""
    entries = index.names.get(without_article(key), [])
    if deps is not None:
        entries = [e for e in entries if index.current[e.target][2] in deps]
    if not entries:
        return None
    exact = [e for e in entries if e.full_key == key]
    entries = exact or entries
    current = [e for e in entries if e.source_type in CURRENT_TYPES]
    former = [e for e in entries if e.source_type not in CURRENT_TYPES]
    entries = current or entries
    targets = list(dict.fromkeys(e.target for e in entries))
    # A current commune won over a former one of the same name elsewhere: say so.
    homonyms = [e for e in former if current and e.target not in targets]
    if len(targets) > 1:
        labels = [_label(index, t, key) for t in targets]
        shown = ", ".join(labels[:_MAX_CANDIDATES])
        if len(labels) > _MAX_CANDIDATES:
            shown += f" and {len(labels) - _MAX_CANDIDATES} more"
        return _Problem(
            "ambiguous",
            f"{_quoted(value)} is ambiguous ({shown}) — add the département, "
            f'e.g. "{value} ({index.current[targets[0]][2]})"',
            tuple(labels),
        )
    entry = entries[0]
    note = None
    if homonyms:
        e = homonyms[0]
        what = _OLD_KINDS[e.source_type][0]
        more = f" (et {len(homonyms) - 1} autres)" if len(homonyms) > 1 else ""
        note = (
            f"homonyme : {what} {e.source_nom} ({e.source_code}) de {e.target} "
            f"{index.current[e.target][0]}{more} ; ajoutez le département si c'est elle"
        )
    if entry.source_type not in CURRENT_TYPES:
        what, into = _OLD_KINDS[entry.source_type]
        pnom = index.current[entry.target][0]
        note = f"{what} {entry.source_nom} ({entry.source_code}) -> {into} {entry.target} {pnom}"
    return [_match(index, value, entry.target, "name", note)]


def _epci_matches(index: CommuneIndex, key: str) -> list[str]:
    """SIREN of the EPCI named ``key``: exact official name, or marker + core name."""
    found = index.epci_full.get(key, [])
    marked, kind, core = _names.epci_parts(key)
    if found or not marked:
        return found
    candidates = index.epci_core.get(core, [])
    typed = [s for s in candidates if kind is None or index.epci[s].type == kind]
    return typed or candidates


def _by_epci(
    index: CommuneIndex, value: Any, sirens: list[str], deps: frozenset[str] | None
) -> list[Match] | _Problem:
    if deps is not None:
        sirens = [s for s in sirens if index.epci[s].departements & deps]
        if not sirens:
            return _Problem(
                "unknown",
                f"{_quoted(value)} is an EPCI with no commune in département "
                f"{', '.join(sorted(deps))} — check the département",
            )
    if len(sirens) > 1:
        labels = [f"{s} {index.epci[s].nom}" for s in sirens]
        return _Problem(
            "ambiguous",
            f"{_quoted(value)} is ambiguous ({', '.join(labels)}) — give the SIREN",
            tuple(labels),
        )
    epci = index.epci[sirens[0]]
    note = f"membre de {epci.nom} ({epci.siren})"
    return [_match(index, value, code, "epci", note) for code in epci.members]


def _resolve(
    index: CommuneIndex, value: Any, deps: frozenset[str] | None, *, suggest: bool = True
) -> list[Match] | _Problem:
    """Resolve one value (commune, arrondissement or EPCI); ``suggest``: close names."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return _Problem("unknown", "empty value — give a name or an INSEE code")
    if isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer()):
        text = str(int(value))
    else:
        text = str(value).strip()
    if not text:
        return _Problem("unknown", "empty value — give a name or an INSEE code")

    code = _names.as_code(text)
    if code is not None:
        note = f"code {text} lu comme {code}" if len(text) == 4 else None
        return _by_code(index, value, code, deps, note)
    siren = _names.as_siren(text)
    if siren is not None:
        if siren in index.epci:
            return _by_epci(index, value, [siren], deps)
        return _Problem("unknown", f"{_quoted(value)} is not the SIREN of an EPCI")
    code_and_name = _names.split_code_and_name(text)
    if code_and_name is not None:
        return _code_and_name(index, value, *code_and_name, deps)

    main, hint = _names.split_hint(text)
    if hint is not None:
        main_key = name_key(main)
        own = _names.arrondissement(main_key)
        if own is None:
            # "Paris (13e)": the parenthesis is the arrondissement, not a département.
            by_hint = _names.arrondissement(main_key, hint)
            if by_hint is not None:
                return _found_arrondissement(index, value, by_hint, deps)
        hinted = _departements_of(index, hint)
        if hinted is not None and deps is not None and not hinted & deps:
            return _Problem(
                "unknown",
                f"{_quoted(value)}: the hint ({hint}) contradicts départements "
                f"{', '.join(sorted(deps))}",
            )
        if hinted is not None:
            deps = hinted if deps is None else hinted & deps
        if own is not None:
            # "Paris 13e (69)": the hint must agree with the arrondissement.
            return _found_arrondissement(index, value, own, deps)
        if hinted is None:
            # Not a département: maybe the parenthesis is part of the name.
            whole = _resolve_name(index, value, name_key(text), deps)
            if whole is not None:
                return whole
            return _Problem(
                "unknown",
                f"{_quoted(value)}: {_quoted(hint)} is neither a département nor a région "
                '— write e.g. "Saint-Denis (93)" or "Le Port (La Réunion)"',
            )
        result = _resolve_name(index, value, main_key, deps)
    else:
        result = _resolve_name(index, value, name_key(text), deps)
    if result is not None:
        return result
    return _unknown(index, value, name_key(main), deps, suggest=suggest)


def _found_arrondissement(
    index: CommuneIndex, value: Any, code: str, deps: frozenset[str] | None
) -> list[Match] | _Problem:
    found = _match(index, value, code, "arrondissement", None)
    if deps is not None and found.departement not in deps:
        return _Problem(
            "unknown",
            f"{_quoted(value)} is {code} {found.nom}, not in département "
            f"{', '.join(sorted(deps))}",
        )
    return [found]


def _resolve_name(
    index: CommuneIndex, value: Any, key: str, deps: frozenset[str] | None
) -> list[Match] | _Problem | None:
    """Arrondissement, EPCI with a marker, commune name, trailing code, exact EPCI name."""
    if not key:
        return None
    arrondissement = _names.arrondissement(key)
    if arrondissement is not None:
        return _found_arrondissement(index, value, arrondissement, deps)
    marked = _names.epci_parts(key)[0]
    sirens = _epci_matches(index, key) if marked else []
    if sirens:
        return _by_epci(index, value, sirens, deps)
    result = _by_name(index, value, key, deps)
    if result is not None:
        return result
    # "Saint-Denis 93", "Les Mureaux 78130": a trailing département or postal code.
    rest, _, last = key.rpartition(" ")
    if rest and (last.isdigit() or _names.departement_code(last)):
        hinted = _departements_of(index, last)
        if hinted is not None:
            narrowed = hinted if deps is None else hinted & deps
            result = _by_name(index, value, rest, narrowed)
            if result is not None:
                return result
    exact = index.epci_full.get(key)
    if exact:
        return _by_epci(index, value, exact, deps)
    return None


def _code_and_name(
    index: CommuneIndex, value: Any, code: str, name: str, deps: frozenset[str] | None
) -> list[Match] | _Problem:
    result = _by_code(index, value, code, deps, None)
    if isinstance(result, _Problem):
        return result
    found = result[0]
    written = without_article(name_key(_names.split_hint(name)[0]))
    known = {without_article(name_key(found.nom))}
    if code in index.old:
        known.add(without_article(name_key(index.old[code][0])))
    if written not in known:
        return _Problem(
            "unknown",
            f"{_quoted(value)}: code {code} is {found.nom}, not {name} — "
            "check which of the two is right",
        )
    return result


def _unknown(
    index: CommuneIndex, value: Any, key: str, deps: frozenset[str] | None, *, suggest: bool
) -> _Problem:
    """Describe a value that matches nothing, with close names when ``suggest``."""
    where = f" in département {', '.join(sorted(deps))}" if deps is not None else ""
    city = _names.plm_city(key)
    if city is not None:
        return _Problem(
            "unknown",
            f"{_quoted(value)} — {city.capitalize()} has no such arrondissement "
            f"(1 to {_names.PLM_COUNT[city]})",
        )
    suggestions = _suggestions(index, key, deps) if suggest else []
    if suggestions:
        what = "EPCI" if _names.epci_parts(key)[0] else "commune"
        return _Problem(
            "unknown",
            f"{_quoted(value)} — no {what} of that name{where}; did you mean "
            f"{' or '.join(suggestions)}?",
        )
    return _Problem(
        "unknown", f"{_quoted(value)} matches no commune name, INSEE code or EPCI{where}"
    )


def _suggestions(index: CommuneIndex, key: str, deps: frozenset[str] | None) -> list[str]:
    """Up to five close names (EPCI, or communes of ``deps``) for an unknown name key."""
    from rapidfuzz import fuzz

    short = without_article(key)
    marked, kind, core = _names.epci_parts(key)
    suggestions: list[str] = []
    if marked:
        scored = []
        for siren, epci in index.epci.items():
            other = index.epci_core_of[siren]
            score = (fuzz.ratio(core, other) + fuzz.token_set_ratio(core, other)) / 2
            score += 5 if kind is not None and epci.type == kind else 0
            scored.append((-score, epci.nom, siren))
        scored.sort()
        for negative, nom, siren in scored[:3]:
            if -negative >= max(70, -scored[0][0] - 10):
                suggestions.append(f'"{nom}" ({siren})')
    else:
        keep: Callable[[str], bool] | None = None
        if deps is not None:
            wanted = deps

            def keep(name: str) -> bool:
                return any(index.current[e.target][2] in wanted for e in index.names[name])

        # An EPCI written without its "CC"/"CA" marker is the strongest hint.
        for siren in index.epci_core.get(core, [])[:2]:
            suggestions.append(f'the EPCI "{index.epci[siren].nom}" ({siren})')
        close = close_names(index).extract(short, limit=10, score_cutoff=75, keep=keep)
        best = close[0][1] if close else 0.0
        ranked: list[tuple[float, int, str]] = []
        for name, score in close:
            if score < best - 8:  # keep the near-best only
                continue
            entries = index.names[name]
            current = [e for e in entries if e.source_type in CURRENT_TYPES] or entries
            for e in current:
                if deps is None or index.current[e.target][2] in deps:
                    population = index.population.get(e.target, 0)
                    ranked.append((-score, -population, f'"{e.source_nom}" ({e.target})'))
        suggestions.extend(label for _, _, label in sorted(ranked)[:3])
    return list(dict.fromkeys(suggestions))[:5]


# --- public API --------------------------------------------------------------


def _departement_filter(index: CommuneIndex, departement: Any) -> frozenset[str] | _Problem | None:
    if departement is None or (isinstance(departement, float) and math.isnan(departement)):
        return None
    if departement is pd.NA or str(departement).strip() == "":
        return None
    found = _departements_of(index, str(departement))
    if found is None:
        from rapidfuzz import fuzz, process

        names = {c: n for c, n in index.departement_names.items()}
        close = process.extractOne(
            name_key(str(departement)),
            {c: name_key(n) for c, n in names.items()},
            scorer=fuzz.ratio,
            score_cutoff=70,
        )
        hint = f' — did you mean "{names[close[2]]}" ({close[2]})?' if close else ""
        return _Problem(
            "unknown",
            f'département "{departement}" is neither a département code ("78", "2A", '
            f'"974") nor a département or région name{hint}',
        )
    return found


def find_commune(value: str | int, departement: str | None = None) -> Match:
    """Find the one commune or arrondissement a code or name stands for.

    Parameters
    ----------
    value
        INSEE code (``"78440"``, ``"2A004"``, ``1001``), old code of a commune
        déléguée (``"14011"``), or name as commonly written (``"les mureaux"``,
        ``"Villers St Paul"``, ``"Le Port (Réunion)"``, ``"Paris 13e"``). See
        the module documentation for every accepted form.
    departement
        Restrict to a département, by code (``"78"``, ``"2A"``, ``"974"``) or
        name (``"Yvelines"``, ``"La Réunion"``, ``"Réunion"``); a région name
        restricts to its départements.

    Returns
    -------
    Match
        The commune (``type="COM"``) or arrondissement (``type="ARM"``).

    Raises
    ------
    AmbiguousCommuneError
        The name matches several communes; the message lists them with their
        département.
    UnknownCommuneError
        Nothing matches (the message suggests close names), the match is not in
        ``departement``, or ``value`` is an EPCI: use :func:`resolve_communes`
        to get its member communes.

    Examples
    --------
    >>> find_commune("Mureaux").code_insee
    '78440'
    >>> find_commune("Saint-Denis", departement="La Réunion").code_insee
    '97411'
    >>> find_commune("14011").note
    'ancien code 14011 (commune déléguée Anctoville) -> commune nouvelle 14581 Aurseulles'
    """
    index = commune_index()
    deps = _departement_filter(index, departement)
    result = deps if isinstance(deps, _Problem) else _resolve(index, value, deps)
    if isinstance(result, _Problem):
        error = AmbiguousCommuneError if result.kind == "ambiguous" else UnknownCommuneError
        if error is AmbiguousCommuneError:
            raise AmbiguousCommuneError(result.text, [result.text], result.candidates)
        raise UnknownCommuneError(result.text, [result.text])
    if result[0].matched_by == "epci":
        epci = index.epci[index.commune_epci[result[0].code_insee]]
        text = (
            f"{_quoted(value)} is an EPCI ({epci.nom}, SIREN {epci.siren}, "
            f"{len(result)} communes), not one commune — use "
            f"geo.resolve_communes([{value!r}]) to get its communes"
        )
        raise UnknownCommuneError(text, [text])
    return result[0]


def resolve_communes(
    values: Iterable[Any],
    departement: str | Sequence[Any] | pd.Series | None = None,
    *,
    where: Sequence[Any] | pd.Index | None = None,
    source: str | None = None,
    errors: Literal["raise", "coerce"] = "raise",
    suggest: bool | None = None,
) -> pd.DataFrame:
    """Resolve many codes or names to communes, expanding EPCI to their communes.

    Parameters
    ----------
    values
        Codes, names, EPCI names or SIREN: anything :func:`find_commune`
        accepts, plus EPCI. A Series keeps its index in ``input_index``; a
        single string is one value.
    departement
        One département (code or name) for every value, or one per value
        (a sequence or Series of the same length; ``None`` for no filter).
    where
        One label per value used in error messages (e.g. ``["row 4", ...]``
        or a DataFrame index; labels that are not strings are written
        ``"row {label}"``). By default ``"row {n}"``, ``n`` = 1-based position.
    source
        Where the values come from (``"data/ptce.csv"``), for the error header.
    errors
        ``"raise"`` (default): raise once, listing every value that could not be
        resolved. ``"coerce"``: keep such values as one row with an empty
        ``code_insee``, ``matched_by=None`` and the problem in ``note``.
    suggest
        Look for close names ("did you mean ...") of the values that match
        nothing. By default only when the problems are raised: with
        ``errors="coerce"`` the ``note`` then only says that nothing matched
        (pass ``suggest=True`` to get the suggestions there too, at about a
        millisecond per unknown value).

    Returns
    -------
    DataFrame
        :data:`RESULT_COLUMNS`: one row per resolved commune, in input order;
        ``input_index`` is the index label of ``values`` (its position when it is
        not a Series). An EPCI value gives one row per member commune
        (``matched_by="epci"``); a commune déléguée resolves to today's commune
        with a ``note``.

    Raises
    ------
    AmbiguousCommuneError
        When every unresolved value is ambiguous; ``.problems`` lists them.
    UnknownCommuneError
        When some value matches nothing; ``.problems`` lists every unresolved
        value (ambiguous ones included) with its row label.
    geo.errors.ArgumentError
        ``departement`` or ``where`` does not have one item per value, or
        ``errors`` is not ``"raise"``/``"coerce"`` (also a ``ValueError``).

    Examples
    --------
    >>> table = resolve_communes(["Paris 13e", "CC Cœur de Savoie", "14011"])
    >>> table.groupby("input_index").size().tolist()
    [1, 41, 1]
    """
    if errors not in ("raise", "coerce"):
        raise ArgumentError(f"errors must be 'raise' or 'coerce', not {errors!r}")
    if suggest is None:
        suggest = errors == "raise"
    index = commune_index()
    if isinstance(values, str):
        values = [values]  # one value, not its characters
    if isinstance(values, pd.Series):
        labels_in = list(values.index)
        items = values.tolist()
    else:
        items = list(values)
        labels_in = list(range(len(items)))
    n = len(items)
    per_row = _per_row_departements(departement, n)
    labels = _row_labels(where, n)

    rows: list[tuple[Any, ...]] = []
    problems: list[_Problem] = []
    messages: list[str] = []
    results = _resolve_all(index, items, per_row, suggest=suggest)
    for position, (value, result) in enumerate(zip(items, results, strict=True)):
        if isinstance(result, _Problem):
            problems.append(result)
            message = f"{labels[position]} {result.text}"
            messages.append(message)
            if errors == "coerce":
                rows.append((labels_in[position], value, None, None, None, None, None, message))
            continue
        for m in result:
            rows.append(
                (
                    labels_in[position],
                    value,
                    m.code_insee,
                    m.nom,
                    m.type,
                    m.departement,
                    m.matched_by,
                    m.note,
                )
            )
    if problems and errors == "raise":
        _raise(problems, messages, source)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(RESULT_COLUMNS)
    return pd.DataFrame(
        {
            name: pd.Series(list(column), dtype=None if name == "input_index" else object)
            for name, column in zip(RESULT_COLUMNS, columns, strict=True)
        }
    )


def _resolve_all(
    index: CommuneIndex, items: list[Any], per_row: list[Any], *, suggest: bool
) -> list[list[Match] | _Problem]:
    """Resolve each value with its département filter (each distinct pair once)."""
    dep_cache: dict[Any, frozenset[str] | _Problem | None] = {}
    cache: dict[tuple[Any, ...], list[Match] | _Problem] = {}
    out: list[list[Match] | _Problem] = []
    for value, dep in zip(items, per_row, strict=True):
        dep_key = dep if isinstance(dep, str) or dep is None else repr(dep)
        if dep_key not in dep_cache:
            dep_cache[dep_key] = _departement_filter(index, dep)
        deps = dep_cache[dep_key]
        if isinstance(deps, _Problem):
            out.append(deps)
            continue
        key = (type(value).__name__, value if _hashable(value) else repr(value), deps)
        result = cache.get(key)
        if result is None:
            result = cache[key] = _resolve(index, value, deps, suggest=suggest)
        out.append(result)
    return out


def resolve_each(
    values: Iterable[Any],
    departement: str | Sequence[Any] | pd.Series | None = None,
    *,
    where: Sequence[Any] | pd.Index | None = None,
    suggest: bool = True,
) -> list[list[Match] | UnknownCommuneError]:
    """Resolve many values, one result per value: its matches, or why it has none.

    Parameters
    ----------
    values, departement, where
        As for :func:`resolve_communes`.
    suggest
        Look for close names ("did you mean ...") of the values that match nothing.

    Returns
    -------
    list
        Per value, in order: the list of :class:`Match` (several for an
        EPCI), or the error it would raise: an
        :class:`~geo.errors.AmbiguousCommuneError` (with ``.candidates``) or
        an :class:`~geo.errors.UnknownCommuneError`, its message starting
        with the value's label. The kind is the type, not a text to search.

    Raises
    ------
    geo.errors.ArgumentError
        ``departement`` or ``where`` does not have one item per value.

    Examples
    --------
    >>> first, second = resolve_each(["Saint-Denis", "78440"])
    >>> type(first).__name__, second[0].nom
    ('AmbiguousCommuneError', 'Les Mureaux')
    """
    index = commune_index()
    items = [values] if isinstance(values, str) else list(values)
    per_row = _per_row_departements(departement, len(items))
    labels = _row_labels(where, len(items))
    out: list[list[Match] | UnknownCommuneError] = []
    for label, result in zip(
        labels, _resolve_all(index, items, per_row, suggest=suggest), strict=True
    ):
        if isinstance(result, _Problem):
            message = f"{label} {result.text}"
            if result.kind == "ambiguous":
                out.append(AmbiguousCommuneError(message, [message], result.candidates))
            else:
                out.append(UnknownCommuneError(message, [message]))
        else:
            out.append(result)
    return out


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _per_row_departements(departement: Any, n: int) -> list[Any]:
    if departement is None or isinstance(departement, str):
        return [departement] * n
    if isinstance(departement, pd.Series):
        departement = departement.tolist()
    departement = list(departement)
    if len(departement) != n:
        raise ArgumentError(
            f"departement has {len(departement)} items for {n} values: give one "
            "département for all, or one per value"
        )
    return departement


def _row_labels(where: Any, n: int) -> list[str]:
    if where is None:
        return [f"row {i + 1}" for i in range(n)]
    labels = list(where)
    if len(labels) != n:
        raise ArgumentError(f"where has {len(labels)} labels for {n} values: give one per value")
    return [label if isinstance(label, str) else f"row {label}" for label in labels]


def _raise(problems: list[_Problem], messages: list[str], source: str | None) -> None:
    place = f" in {source}" if source else ""
    if all(p.kind == "ambiguous" for p in problems):
        header = f"{len(problems)} ambiguous commune name{'s' if len(problems) > 1 else ''}{place}"
        candidates = [c for p in problems for c in p.candidates]
        raise AmbiguousCommuneError(format_problems(header, messages), messages, candidates)
    header = f"{len(problems)} commune{'s' if len(problems) > 1 else ''} not found{place}"
    raise UnknownCommuneError(format_problems(header, messages), messages)
