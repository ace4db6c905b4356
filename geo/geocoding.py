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
* Retries and backoff on 429/5xx come from :mod:`geo._download`; offline mode
  (or an unreachable service) falls back to town halls with a warning.

The BAN answers the arrondissement in Paris, Lyon and Marseille
(``citycode="75111"``); ``code_insee_commune`` gives the commune (``75056``).
"""

from __future__ import annotations

import io
import json
import math
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import settings
from ._download import get_json, is_offline, request
from ._io import atomic_path
from .errors import DataSourceError, SchemaError
from .lookup import commune_of_address

__all__ = ["GEOCODE_COLUMNS", "GeocodingWarning", "geocode"]

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
]

_CACHE_NAME = "geocode-ban-v1.json"
_BATCH_ROWS = 5000
_HINT = "addresses are placed at their commune's town hall instead"
_SPACES = re.compile(r"\s+")
_CODE = re.compile(r"\d{5}|2[AB]\d{3}")


class GeocodingWarning(UserWarning):
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
        and ``precision``: ``"adresse"`` (BAN answer accepted), ``"mairie"``
        (town hall of the commune), ``"point-sur-surface"`` (commune without
        town-hall point: a point inside its boundary) or ``"inconnu"``.

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
    frame = _inputs(addresses, citycodes)
    accepted_types = set(result_types)
    cache = _load_cache()
    keys = [_key(q, c) for q, c in zip(frame["adresse"], frame["code"], strict=True)]
    answers: dict[str, dict[str, Any] | None] = {}
    to_ask: dict[str, tuple[str, str | None]] = {}
    for key, query, code in zip(keys, frame["adresse"], frame["code"], strict=True):
        if not query:
            continue
        if not refresh and key in cache:
            answers[key] = cache[key]
        else:
            to_ask[key] = (query, code)

    failure: str | None = None
    if to_ask:
        if is_offline():
            failure = "offline mode (geo.settings.offline or TZPTCE_OFFLINE)"
        else:
            try:
                fresh = _ask_batch(to_ask) if len(to_ask) > batch_threshold else _ask_each(to_ask)
            except DataSourceError as exc:
                failure = str(exc)
                fresh = {}
            answers.update(fresh)
            if fresh:
                cache.update(fresh)
                _save_cache(cache)

    result = _build(frame, keys, answers, min_score, accepted_types)
    _warn(result, frame, keys, answers, failure, min_score)
    return result


# --- inputs and cache ------------------------------------------------------------


def _inputs(addresses, citycodes) -> pd.DataFrame:
    if isinstance(addresses, str):
        addresses = [addresses]
    series = addresses if isinstance(addresses, pd.Series) else pd.Series(list(addresses))
    text = series.map(lambda v: _SPACES.sub(" ", str(v)).strip() if pd.notna(v) else "")
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
    cleaned = [_clean_code(v) for v in codes]
    bad = [
        f"row {i + 1} {raw!r}"
        for i, (raw, v) in enumerate(zip(codes, cleaned, strict=True))
        if v is not None and not _CODE.fullmatch(v)
    ]
    if bad:
        raise SchemaError(f"citycodes that are not INSEE codes: {'; '.join(bad)}", bad)
    codes = pd.Series(cleaned, index=series.index, dtype=object)
    return pd.DataFrame({"adresse": text, "code": codes}, index=series.index)


def _clean_code(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip().upper()
    if not text:
        return None
    return text.zfill(5) if text.isdigit() and len(text) < 5 else text


def _key(query: str, code: str | None) -> str:
    return f"{code or ''}|{query.lower()}"


def _cache_path():
    return settings.default_cache_dir() / _CACHE_NAME


def _load_cache() -> dict[str, dict[str, Any] | None]:
    path = _cache_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # corrupt cache: rebuilt from scratch
    return data if isinstance(data, dict) else {}


def _save_cache(cache: dict[str, dict[str, Any] | None]) -> None:
    with atomic_path(_cache_path()) as tmp:
        tmp.write_text(json.dumps(cache, ensure_ascii=False, sort_keys=True), encoding="utf-8")


# --- the BAN ------------------------------------------------------------------------


def _ask_each(to_ask: dict[str, tuple[str, str | None]]) -> dict[str, dict[str, Any] | None]:
    url = settings.ban_url.rstrip("/") + "/search/"
    out: dict[str, dict[str, Any] | None] = {}
    for key, (query, code) in to_ask.items():
        params = {"q": query, "limit": "1"}
        if code:
            params["citycode"] = code
        document = get_json(url, params, description="BAN geocoding", hint=_HINT)
        features = document.get("features") if isinstance(document, dict) else None
        if not isinstance(features, list):
            raise DataSourceError(
                f"BAN geocoding failed: {url} did not answer a FeatureCollection; {_HINT}"
            )
        out[key] = _from_feature(features[0]) if features else None
    return out


def _from_feature(feature: dict[str, Any]) -> dict[str, Any] | None:
    try:
        lon, lat = feature["geometry"]["coordinates"][:2]
    except (KeyError, TypeError, ValueError):
        return None
    props = feature.get("properties") or {}
    return {
        "lon": float(lon),
        "lat": float(lat),
        "score": _float(props.get("score")),
        "result_type": props.get("type"),
        "citycode": props.get("citycode"),
        "label": props.get("label"),
    }


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _ask_batch(to_ask: dict[str, tuple[str, str | None]]) -> dict[str, dict[str, Any] | None]:
    url = settings.ban_url.rstrip("/") + "/search/csv/"
    items = list(to_ask.items())
    out: dict[str, dict[str, Any] | None] = {}
    with_codes = any(code for _, (_, code) in items)
    for start in range(0, len(items), _BATCH_ROWS):
        chunk = items[start : start + _BATCH_ROWS]
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
        response = request(
            "POST",
            url,
            data=form,
            files={"data": ("adresses.csv", body, "text/csv")},
            description="BAN batch geocoding",
            hint=_HINT,
        )
        answers = _parse_batch(response.content, url)
        for rank, (key, _) in enumerate(chunk):
            if rank in answers:
                out[key] = answers[rank]
    return out


def _parse_batch(content: bytes, url: str) -> dict[int, dict[str, Any] | None]:
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
    for row in table.to_dict("records"):
        rank = int(row["rang"])
        status = row.get("result_status", "ok")
        if status not in ("ok", "not-found"):
            continue  # "error"/"skipped": not an answer, ask again next time
        lon, lat = _float(row["longitude"]), _float(row["latitude"])
        if status == "not-found" or lon is None or lat is None:
            out[rank] = None
            continue
        out[rank] = {
            "lon": lon,
            "lat": lat,
            "score": _float(row["result_score"]),
            "result_type": row["result_type"] or None,
            "citycode": row["result_citycode"] or None,
            "label": row.get("result_label") or None,
        }
    return out


# --- result table ---------------------------------------------------------------------


def _communes() -> pd.DataFrame:
    from .sources import cog_lookup

    return cog_lookup()


def _surface_points(codes: set[str]) -> dict[str, tuple[float, float]]:
    if not codes:
        return {}
    import shapely

    from .communes import load_communes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = load_communes(codes=sorted(codes), types=("COM", "ARM", "COMD", "COMA"))
    table = table[table["code_insee"].isin(codes) & table.geometry.notna()]
    points = shapely.point_on_surface(table.geometry.values.to_numpy())
    return {
        code: (float(shapely.get_x(p)), float(shapely.get_y(p)))
        for code, p in zip(table["code_insee"], points, strict=True)
    }


def _build(
    frame: pd.DataFrame,
    keys: list[str],
    answers: dict[str, dict[str, Any] | None],
    min_score: float,
    accepted_types: set[str],
) -> pd.DataFrame:
    communes = _communes()
    parent = communes["parent"].where(communes["type"] == "ARM")
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
                row.update(lon=answer["lon"], lat=answer["lat"], precision="adresse")
                row["citycode"] = answer.get("citycode") or code
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


def _warn(
    result: pd.DataFrame,
    frame: pd.DataFrame,
    keys: list[str],
    answers: dict[str, dict[str, Any] | None],
    failure: str | None,
    min_score: float,
) -> None:
    problems = []
    for position, (idx, key) in enumerate(zip(result.index, keys, strict=True)):
        precision = result.at[idx, "precision"]
        if precision == "adresse":
            continue
        query = frame.at[idx, "adresse"]
        if not query:
            why = "empty address"
        elif key not in answers:
            why = "no usable BAN answer" if failure is None else "BAN not reached"
        elif answers[key] is None:
            why = "no BAN answer"
        else:
            answer = answers[key] or {}
            why = (
                f"BAN score {answer.get('score') or 0:.2f} < {min_score}"
                if (answer.get("score") or 0) < min_score
                else f"BAN result type {answer.get('result_type')!r}"
            )
        where = {
            "mairie": "placed at the town hall",
            "point-sur-surface": "placed inside the commune",
        }.get(precision, "not placed")
        problems.append(f"row {position + 1} {query!r}: {why}, {where}")
    if not problems:
        return
    header = f"{len(problems)} of {len(result)} addresses not geocoded precisely"
    if failure:
        header += f" ({failure})"
    shown = "; ".join(problems[:20])
    more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
    warnings.warn(f"{header}: {shown}{more}", GeocodingWarning, stacklevel=3)
