"""Geocode postal addresses with the BAN (Base Adresse Nationale) geocoder.

:func:`geocode` places addresses at their BAN position when the answer is
good enough (score and result type), and otherwise at the town hall of their
commune (``precision="mairie"``), so that a PTCE seat is always drawn at the
best known place and says how precise it is.

* Few addresses: one ``GET /search/?q=...&limit=1`` each; many: one
  ``POST /search/csv/`` per batch (see ``UPSTREAM.md`` for both formats).
* Answers are cached on disk (``geocode-ban-v1.json`` in
  :func:`geo.settings.default_cache_dir`), keyed by query and commune code:
  an address is asked once.
* Retries and backoff on 429/5xx come from :mod:`geo._core.download`; offline mode
  (or an unreachable service) falls back to town halls with a warning.
* Every BAN position is checked, fresh or cached: coordinates that are not
  numbers, out of range, ``[0, 0]``, or a point outside the département of
  the address's commune (beyond :data:`DEPARTEMENT_TOLERANCE_DEG`) are never
  taken as the address: the town hall is used, and ``reason`` says why.
  Cache entries that are malformed are ignored (asked again).
* A failed request costs only its own addresses (or its own batch): every
  answer received is kept and cached, and the ``reason`` column says why
  each address was not placed precisely. After
  :data:`MAX_FAILURES_IN_A_ROW` failed requests in a row the rest is not
  asked (the service is down). Queries shorter than 3 characters, which the
  BAN refuses (HTTP 400), are not sent.

The BAN answers the arrondissement in Paris, Lyon and Marseille
(``citycode="75111"``); ``code_insee_commune`` gives the commune (``75056``).
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from geo import settings
from geo._core.columns import is_blank
from geo._core.download import get_json, is_offline, request
from geo._core.files import atomic_path, check_cache_file
from geo._core.warn import warn
from geo.errors import DataSourceError, GeoWarning, NoNetworkError, SchemaError
from geo.reference.names import as_code, normalise_code
from geo.reference.postcodes import commune_of_address

__all__ = [
    "DEPARTEMENT_TOLERANCE_DEG",
    "GEOCODE_COLUMNS",
    "MAX_FAILURES_IN_A_ROW",
    "MIN_QUERY_CHARS",
    "GeocodingWarning",
    "geocode",
]

#: Columns of the table returned by :func:`geocode`, in order.
GEOCODE_COLUMNS = [
    "adresse",
    "lon",
    "lat",
    "score",
    "result_type",
    "citycode",
    "code_insee_commune",
    "label",
    "precision",
    "reason",
]

#: Shortest query the BAN accepts (it answers HTTP 400 below).
MIN_QUERY_CHARS = 3
#: After this many failed requests in a row, the remaining addresses are not asked.
MAX_FAILURES_IN_A_ROW = 3

#: How far (degrees, about 2 km) a BAN position may lie outside the boundary of
#: its commune's département (simplified boundaries, coastal addresses).
DEPARTEMENT_TOLERANCE_DEG = 0.02

_CACHE_NAME = "geocode-ban-v1.json"
_BATCH_ROWS = 5000
_HINT = "addresses are placed at their commune's town hall instead"
_SPACES = re.compile(r"\s+")


class _Failure(NamedTuple):
    """Why the BAN gave no answer for a query: a short label and the details."""

    label: str
    detail: str | None = None

    def __str__(self) -> str:
        return f"{self.label}: {self.detail}" if self.detail else self.label


_OFFLINE = _Failure("BAN not asked", "offline mode (geo.settings.offline or TZPTCE_OFFLINE)")
_TOO_SHORT = _Failure(
    f"address too short for the BAN (fewer than {MIN_QUERY_CHARS} characters), not sent"
)


class GeocodingWarning(GeoWarning):
    """Some addresses were not geocoded precisely (town hall used instead)."""


def geocode(
    addresses: str | Sequence[str] | pd.Series,
    *,
    citycodes: str | Sequence[str | None] | pd.Series | None = None,
    min_score: float = 0.5,
    result_types: Iterable[str] = ("housenumber", "street", "locality"),
    batch_threshold: int = 20,
    refresh: bool = False,
) -> pd.DataFrame:
    """Geocode French postal addresses with the BAN, falling back to town halls.

    Parameters
    ----------
    addresses
        One address or several (``"12 rue de la Paix 75002 Paris"``). A
        Series keeps its index in the result.
    citycodes
        INSEE code of each address's commune (one code for all, or one per
        address, ``None`` where unknown). It restricts the BAN search to that
        commune and gives the town hall used as fallback.
    min_score
        Answers scoring below this (0-1) are not accepted.
    result_types
        BAN result types accepted as an address position; a ``municipality``
        answer only tells the commune, so it falls back to the town hall.
    batch_threshold
        Above this many addresses to ask, use the CSV batch endpoint.
    refresh
        Ask the BAN again even for cached queries.

    Returns
    -------
    DataFrame
        :data:`GEOCODE_COLUMNS`, one row per address: ``lon``/``lat``
        (WGS84), BAN ``score``, ``result_type``, ``citycode`` (arrondissement
        kept), ``code_insee_commune`` (arrondissement -> commune), ``label``,
        ``precision``: ``"adresse"`` (BAN answer accepted), ``"mairie"``
        (town hall of the commune), ``"point-sur-surface"`` (commune without
        town-hall point: a point inside its boundary) or ``"inconnu"``; and
        ``reason``: ``None`` when ``precision="adresse"``, else why the BAN
        position was not used (``"empty address"``, ``"address too short
        ..."``, ``"BAN not asked: offline mode ..."``, ``"BAN request failed:
        <error>"``, ``"no BAN answer"``, ``"BAN score 0.31 < 0.5"``, ``"BAN
        result type 'municipality'"``...). The index is the Series' index
        (repeated labels allowed), else 0..n-1.

    Raises
    ------
    SchemaError
        ``citycodes`` does not match ``addresses`` in length, or holds
        values that are not INSEE codes.

    Warns
    -----
    GeocodingWarning
        Lists the addresses placed at a town hall or not placed, and why
        (offline, service unreachable, low score...).

    Examples
    --------
    >>> geocode(["20 avenue de Ségur 75007 Paris"])  # doctest: +SKIP
    """
    frame, index = _inputs(addresses, citycodes)
    accepted_types = set(result_types)
    cache = _load_cache()
    keys = [_key(q, c) for q, c in zip(frame["adresse"], frame["code"], strict=True)]
    answers: dict[str, dict[str, Any] | None] = {}
    failures: dict[str, _Failure] = {}
    to_ask: dict[str, tuple[str, str | None]] = {}
    for key, query, code in zip(keys, frame["adresse"], frame["code"], strict=True):
        if not query:
            continue
        if len(query) < MIN_QUERY_CHARS:
            failures[key] = _TOO_SHORT
        elif not refresh and key in cache:
            answers[key] = cache[key]
        else:
            to_ask[key] = (query, code)

    if to_ask:
        if is_offline():
            failed = dict.fromkeys(to_ask, _OFFLINE)
        else:
            ask = _ask_batch if len(to_ask) > batch_threshold else _ask_each
            fresh, failed = ask(to_ask)
            answers.update(fresh)
            if fresh:
                cache.update(fresh)
                _save_cache(cache)
        for key, failure in failed.items():
            if key in cache:  # refresh=True and the BAN failed: the cached answer stands
                answers[key] = cache[key]
            else:
                failures[key] = failure

    rejected: dict[str, str] = {}
    result = _build(frame, keys, answers, min_score, accepted_types, rejected)
    reasons = _reasons(result, frame, keys, answers, failures, min_score, rejected)
    result["reason"] = pd.Series(reasons, index=result.index, dtype=object)
    _warn(result, frame, keys, failures)
    result.index = index
    return result


# --- inputs and cache ------------------------------------------------------------


def _inputs(addresses, citycodes) -> tuple[pd.DataFrame, pd.Index]:
    """Return the cleaned inputs on a RangeIndex, and the index of the result."""
    if isinstance(addresses, str):
        addresses = [addresses]
    series = addresses if isinstance(addresses, pd.Series) else pd.Series(list(addresses))
    index = series.index
    series = series.reset_index(drop=True)  # labels may repeat: work by position
    text = series.map(lambda v: "" if is_blank(v) else _SPACES.sub(" ", str(v)).strip())
    if citycodes is None or isinstance(citycodes, str):
        codes = pd.Series([citycodes] * len(series), index=series.index, dtype=object)
    else:
        values = list(citycodes)
        if len(values) != len(series):
            raise SchemaError(
                f"citycodes has {len(values)} values for {len(series)} addresses: give one "
                f"code per address (None where unknown) or a single code for all"
            )
        codes = pd.Series(values, index=series.index, dtype=object)
    cleaned = [None if is_blank(v) else as_code(normalise_code(v)) for v in codes]
    bad = [
        f"row {i + 1} {raw!r}"
        for i, (raw, v) in enumerate(zip(codes, cleaned, strict=True))
        if v is None and not is_blank(raw)
    ]
    if bad:
        raise SchemaError(
            f"citycodes that are not INSEE codes (e.g. '78440', '2A004'): {'; '.join(bad)}", bad
        )
    codes = pd.Series(cleaned, index=series.index, dtype=object)
    return pd.DataFrame({"adresse": text, "code": codes}, index=series.index), index


def _key(query: str, code: str | None) -> str:
    return f"{code or ''}|{query.lower()}"


def _cache_path():
    return settings.default_cache_dir() / _CACHE_NAME


def _load_cache() -> dict[str, dict[str, Any] | None]:
    """Return the usable cached answers; warn about unusable ones (they are asked again)."""
    path = _cache_path()
    if not check_cache_file(path):
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _warn_cache(path, [f"the file is not JSON ({exc})"], "every address is asked again")
        return {}
    if not isinstance(data, dict):
        _warn_cache(path, [f"it holds a {type(data).__name__}, not an object"], "rebuilt")
        return {}
    good = {k: v for k, v in data.items() if isinstance(k, str) and _valid_entry(v)}
    bad = [f"{k!r}: {_entry_problem(v)}" for k, v in data.items() if k not in good]
    if bad:
        _warn_cache(path, bad, "these addresses are asked the BAN again")
    return good


def _entry_problem(entry: Any) -> str:
    if isinstance(entry, dict) and {"lon", "lat"} <= set(entry):
        problem = _coordinates_problem(entry.get("lon"), entry.get("lat"))
        if problem is not None:
            return problem
    return f"not a BAN answer ({str(entry)[:80]})"


def _warn_cache(path: os.PathLike[str], problems: list[str], action: str) -> None:
    shown = "; ".join(problems[:5]) + (
        f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    )
    warn(
        f"geocoding cache {path}: {len(problems)} unusable entr"
        f"{'ies' if len(problems) > 1 else 'y'} ({shown}): {action}",
        GeocodingWarning,
    )


def _valid_entry(entry: Any) -> bool:
    """Whether a cached entry is ``None`` (no answer) or a well-formed BAN answer."""
    if entry is None:
        return True
    if not isinstance(entry, dict) or not {"lon", "lat"} <= set(entry):
        return False
    if _coordinates_problem(entry.get("lon"), entry.get("lat")) is not None:
        return False
    score = entry.get("score")
    if score is not None and _number(score) is None:
        return False
    return all(
        entry.get(name) is None or isinstance(entry.get(name), str)
        for name in ("result_type", "citycode", "label")
    )


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` (text, booleans, NaN, infinity...)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _coordinates_problem(lon: Any, lat: Any) -> str | None:
    """Why ``(lon, lat)`` is no position in degrees, or ``None``."""
    x, y = _number(lon), _number(lat)
    if x is None or y is None:
        return f"BAN coordinates {[lon, lat]!r} are not numbers"
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        return f"BAN coordinates [{x:g}, {y:g}] out of range (longitude ±180, latitude ±90)"
    if x == 0 and y == 0:
        return "BAN coordinates [0, 0] are no position"
    return None


def _save_cache(cache: dict[str, dict[str, Any] | None]) -> None:
    with atomic_path(_cache_path()) as tmp:
        tmp.write_text(json.dumps(cache, ensure_ascii=False, sort_keys=True), encoding="utf-8")


# --- the BAN ------------------------------------------------------------------------


Answers = dict[str, dict[str, Any] | None]
Failures = dict[str, _Failure]


def _given_up() -> _Failure:
    return _Failure(
        "BAN not asked", f"given up after {MAX_FAILURES_IN_A_ROW} failed requests in a row"
    )


def _ask_each(to_ask: dict[str, tuple[str, str | None]]) -> tuple[Answers, Failures]:
    """One GET per query; a failure costs only its own query."""
    url = settings.ban_url.rstrip("/") + "/search/"
    out: Answers = {}
    failed: Failures = {}
    in_a_row = 0
    for key, (query, code) in to_ask.items():
        if in_a_row >= MAX_FAILURES_IN_A_ROW:
            failed[key] = _given_up()
            continue
        params = {"q": query, "limit": "1"}
        if code:
            params["citycode"] = code
        try:
            document = get_json(url, params, description="BAN geocoding", hint=_HINT)
            features = document.get("features") if isinstance(document, dict) else None
            if not isinstance(features, list):
                raise DataSourceError(
                    f"BAN geocoding failed: {url} did not answer a FeatureCollection; {_HINT}"
                )
        except DataSourceError as exc:
            failed[key] = _Failure("BAN request failed", str(exc))
            # No network: every other request would fail the same way; stop now.
            in_a_row = MAX_FAILURES_IN_A_ROW if isinstance(exc, NoNetworkError) else in_a_row + 1
            continue
        in_a_row = 0
        out[key] = _from_feature(features[0]) if features else None
    return out, failed


def _from_feature(feature: Any) -> dict[str, Any] | None:
    try:
        lon, lat = feature["geometry"]["coordinates"][:2]
    except (KeyError, TypeError, ValueError):
        return None
    props = feature.get("properties")
    props = props if isinstance(props, dict) else {}
    return {
        "lon": _number(lon) if _number(lon) is not None else lon,  # kept for the reason
        "lat": _number(lat) if _number(lat) is not None else lat,
        "score": _float(props.get("score")),
        "result_type": _text(props.get("type")),
        "citycode": _text(props.get("citycode")),
        "label": _text(props.get("label")),
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _float(value: Any) -> float | None:
    return _number(value)


def _ask_batch(to_ask: dict[str, tuple[str, str | None]]) -> tuple[Answers, Failures]:
    """One POST per chunk of :data:`_BATCH_ROWS`; a failure costs only its own chunk."""
    url = settings.ban_url.rstrip("/") + "/search/csv/"
    items = list(to_ask.items())
    out: Answers = {}
    failed: Failures = {}
    with_codes = any(code for _, (_, code) in items)
    in_a_row = 0
    for start in range(0, len(items), _BATCH_ROWS):
        chunk = items[start : start + _BATCH_ROWS]
        if in_a_row >= MAX_FAILURES_IN_A_ROW:
            failed.update(dict.fromkeys((key for key, _ in chunk), _given_up()))
            continue
        table = pd.DataFrame(
            {
                "rang": range(len(chunk)),
                "adresse": [query for _, (query, _) in chunk],
            }
        )
        form: list[tuple[str, str]] = [("columns", "adresse")]
        if with_codes:
            table["code_insee"] = [code or "" for _, (_, code) in chunk]
            form.append(("citycode", "code_insee"))
        body = table.to_csv(index=False).encode("utf-8")
        try:
            response = request(
                "POST",
                url,
                data=form,
                files={"data": ("adresses.csv", body, "text/csv")},
                description="BAN batch geocoding",
                hint=_HINT,
            )
            answers, statuses = _parse_batch(response.content, url)
        except DataSourceError as exc:
            failed.update(
                dict.fromkeys((key for key, _ in chunk), _Failure("BAN request failed", str(exc)))
            )
            # No network: every other request would fail the same way; stop now.
            in_a_row = MAX_FAILURES_IN_A_ROW if isinstance(exc, NoNetworkError) else in_a_row + 1
            continue
        in_a_row = 0
        for rank, (key, _) in enumerate(chunk):
            if rank in answers:
                out[key] = answers[rank]
            else:
                status = statuses.get(rank)
                failed[key] = _Failure(
                    f"BAN batch status {status!r}" if status else "no row in the BAN batch answer"
                )
    return out, failed


def _parse_batch(
    content: bytes, url: str
) -> tuple[dict[int, dict[str, Any] | None], dict[int, str]]:
    """Return the answers by rank, and the status of the ranks without an answer."""
    try:
        table = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataSourceError(
            f"BAN batch geocoding failed: {url} answered no CSV ({exc}); {_HINT}"
        ) from exc
    needed = {"rang", "latitude", "longitude", "result_score", "result_type", "result_citycode"}
    missing = sorted(needed - set(table.columns))
    if missing:
        raise DataSourceError(
            f"BAN batch geocoding failed: the CSV of {url} lacks the columns {missing}; {_HINT}"
        )
    out: dict[int, dict[str, Any] | None] = {}
    statuses: dict[int, str] = {}
    for row in table.to_dict("records"):
        try:
            rank = int(row["rang"])
        except ValueError:
            continue
        status = row.get("result_status", "ok")
        if status not in ("ok", "not-found"):
            statuses[rank] = status  # "error"/"skipped": not an answer, ask again next time
            continue
        lon, lat = row["longitude"].strip(), row["latitude"].strip()
        if status == "not-found" or not lon or not lat:
            out[rank] = None
            continue
        out[rank] = {
            "lon": _number(lon) if _number(lon) is not None else lon,  # kept for the reason
            "lat": _number(lat) if _number(lat) is not None else lat,
            "score": _float(row["result_score"]),
            "result_type": row["result_type"] or None,
            "citycode": row["result_citycode"] or None,
            "label": row.get("result_label") or None,
        }
    return out, statuses


# --- result table ---------------------------------------------------------------------


def _communes() -> pd.DataFrame:
    from geo.reference.cog import cog_lookup

    return cog_lookup()


def _surface_points(codes: set[str]) -> dict[str, tuple[float, float]]:
    if not codes:
        return {}
    import shapely

    from geo.reference.communes import load_communes
    from geo.reference.placement import seat_point

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = load_communes(codes=sorted(codes), types=("COM", "ARM", "COMD", "COMA"))
    table = table[table["code_insee"].isin(codes) & table.geometry.notna()]
    points = [seat_point(seat_geometry=g)[0] for g in table.geometry]  # the placement rule
    return {
        code: (float(shapely.get_x(p)), float(shapely.get_y(p)))
        for code, p in zip(table["code_insee"], points, strict=True)
        if p is not None
    }


class _PositionCheck:
    """Check that a BAN position is a position, inside its commune's département."""

    def __init__(self, communes: pd.DataFrame) -> None:
        self.communes = communes
        self.areas: dict[str, Any] = {}

    def problem(self, answer: dict[str, Any], code: str | None) -> str | None:
        lon, lat = answer.get("lon"), answer.get("lat")
        problem = _coordinates_problem(lon, lat)
        if problem is not None or not code or code not in self.communes.index:
            return problem
        departement = self.communes.at[code, "departement"]
        if not isinstance(departement, str) or not departement:
            return None
        area = self._area(departement)
        if area is None:
            return None
        import shapely

        point = shapely.Point(float(lon), float(lat))  # type: ignore[arg-type]
        if shapely.dwithin(area, point, DEPARTEMENT_TOLERANCE_DEG).any():
            return None
        return (
            f"BAN position [{float(lon):g}, {float(lat):g}] is outside département "  # type: ignore[arg-type]
            f"{departement} of commune {code}"
        )

    def _area(self, departement: str):
        """Return the commune boundaries of a département (an array), loaded once."""
        if departement not in self.areas:
            from geo.reference.communes import load_communes

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                table = load_communes(departements=[departement])
            geoms = table.geometry[table.geometry.notna()].to_numpy()
            self.areas[departement] = geoms if len(geoms) else None
        return self.areas[departement]


def _build(
    frame: pd.DataFrame,
    keys: list[str],
    answers: dict[str, dict[str, Any] | None],
    min_score: float,
    accepted_types: set[str],
    rejected: dict[str, str],
) -> pd.DataFrame:
    """Build the result table; ``rejected`` receives why an acceptable answer's position is not."""
    communes = _communes()
    parent = communes["parent"].where(communes["type"] == "ARM")
    checker = _PositionCheck(communes)
    rows = []
    for key, query, code in zip(keys, frame["adresse"], frame["code"], strict=True):
        answer = answers.get(key) if query else None
        row: dict[str, Any] = {
            "adresse": query or None,
            "lon": np.nan,
            "lat": np.nan,
            "score": np.nan,
            "result_type": None,
            "citycode": code,
            "label": None,
            "precision": "inconnu",
            "reason": None,  # filled by _reasons
        }
        if answer:
            row.update(
                score=answer.get("score") if answer.get("score") is not None else np.nan,
                result_type=answer.get("result_type"),
                citycode=code or answer.get("citycode"),
                label=answer.get("label"),
            )
            score = answer.get("score") or 0.0
            if score >= min_score and answer.get("result_type") in accepted_types:
                problem = checker.problem(answer, code or answer.get("citycode"))
                if problem is None:
                    row.update(lon=answer["lon"], lat=answer["lat"], precision="adresse")
                    row["citycode"] = answer.get("citycode") or code
                else:
                    rejected[key] = problem
        if query and row["citycode"] is None:
            # No commune given nor answered (offline...): the postcode tells it.
            row["citycode"] = commune_of_address(query)
        rows.append(row)
    out = pd.DataFrame(rows, index=frame.index)
    known = out["citycode"].where(out["citycode"].isin(communes.index))
    out["code_insee_commune"] = known.map(parent).fillna(known)
    _fallback(out, communes)
    return out[GEOCODE_COLUMNS]


def _fallback(out: pd.DataFrame, communes: pd.DataFrame) -> None:
    todo = out["precision"].ne("adresse") & out["citycode"].isin(communes.index)
    for idx in out.index[todo]:
        code = out.at[idx, "citycode"]
        for candidate in (code, out.at[idx, "code_insee_commune"]):
            lon = communes.at[candidate, "mairie_lon"] if candidate in communes.index else None
            if lon is not None and pd.notna(lon):
                out.at[idx, "lon"] = float(lon)
                out.at[idx, "lat"] = float(communes.at[candidate, "mairie_lat"])
                out.at[idx, "precision"] = "mairie"
                break
    rest = todo & out["precision"].eq("inconnu")
    points = _surface_points(set(out.loc[rest, "citycode"]))
    for idx in out.index[rest]:
        point = points.get(out.at[idx, "citycode"])
        if point is not None:
            out.at[idx, "lon"], out.at[idx, "lat"] = point
            out.at[idx, "precision"] = "point-sur-surface"


def _reasons(
    result: pd.DataFrame,
    frame: pd.DataFrame,
    keys: list[str],
    answers: Answers,
    failures: Failures,
    min_score: float,
    rejected: dict[str, str],
) -> list[str | None]:
    """Why each row is not at its BAN position (``None`` for those that are)."""
    reasons: list[str | None] = []
    for position, key in enumerate(keys):
        if result.at[position, "precision"] == "adresse":
            reasons.append(None)
            continue
        answer = answers.get(key)
        if not frame.at[position, "adresse"]:
            why = "empty address"
        elif key in failures:
            why = str(failures[key])
        elif key in rejected:
            why = f"BAN answer rejected: {rejected[key]}"
        elif key not in answers:
            why = "no usable BAN answer"
        elif answer is None:
            why = "no BAN answer"
        elif (answer.get("score") or 0) < min_score:
            why = f"BAN score {answer.get('score') or 0:.2f} < {min_score}"
        else:
            why = f"BAN result type {answer.get('result_type')!r}"
        reasons.append(why)
    return reasons


def _warn(result: pd.DataFrame, frame: pd.DataFrame, keys: list[str], failures: Failures) -> None:
    problems = []
    details: dict[str, None] = {}
    for position, key in enumerate(keys):
        precision = result.at[position, "precision"]
        if precision == "adresse":
            continue
        failure = failures.get(key)
        if failure is not None:
            why = failure.label
            if failure.detail:
                details[failure.detail] = None
        else:
            why = result.at[position, "reason"]
        where = {
            "mairie": "placed at the town hall",
            "point-sur-surface": "placed inside the commune",
        }.get(precision, "not placed")
        problems.append(f"row {position + 1} {frame.at[position, 'adresse']!r}: {why}, {where}")
    if not problems:
        return
    header = f"{len(problems)} of {len(result)} addresses not geocoded precisely"
    if details:
        listed = list(details)
        extra = f"; and {len(listed) - 3} other failures" if len(listed) > 3 else ""
        header += f" ({'; '.join(listed[:3])}{extra})"
    shown = "; ".join(problems[:20])
    more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
    warn(f"{header}: {shown}{more}", GeocodingWarning)
