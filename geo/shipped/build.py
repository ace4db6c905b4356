"""Build the shipped data: the tables validated, joined and written as GeoJSON.

:func:`build_frames` validates both tables (:mod:`geo.shipped.validate`),
joins them to the official commune boundaries (:mod:`geo.shipped.referential`)
and returns the territory and PTCE layers (:mod:`geo.shipped.layers`).
:func:`build_data` writes them as ``territories.geojson`` and
``ptce.geojson``: deterministic text (features sorted by ``id``, coordinates
rounded to :data:`~geo.shipped.layers.COORD_DECIMALS` decimals, one feature
per line), written atomically, so that a rebuild of unchanged tables is
byte-identical. Given the ANCT QPV 2024 boundaries (``qpv=``, a file or URL
read by :func:`geo.reference.qpv.load_qpv`), a territory with ``qpv_codes``
is drawn as the union of its QPV (precision ``qpv``).

This module reads and writes local files only; only ``qpv=<URL>`` downloads
(through :func:`geo.reference.qpv.load_qpv`, which honours the offline setting).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo._core.datadir import DATA_DIR_ENV, checkout_data_dir, installed_data_dir
from geo._core.files import atomic_path
from geo.errors import DataSourceError
from geo.schema import field_names
from geo.shipped.layers import COORD_DECIMALS, layer_frame, ptce_records, territory_records
from geo.shipped.referential import commune_boundaries, load_cog, load_qpv_list
from geo.shipped.tables import (
    DATA_DIR,
    PTCE_CSV,
    PTCE_GEOJSON,
    QPV_LIST_CSV,
    TERRITORIES_CSV,
    TERRITORIES_GEOJSON,
    data_folder,
)
from geo.shipped.validate import read_tables

__all__ = ["MAX_GEOJSON_BYTES", "SIMPLIFY_TOLERANCE_DEG", "build_data", "build_frames"]

#: Above this total size of the two GeoJSON files, perimeters are simplified
#: (:data:`SIMPLIFY_TOLERANCE_DEG`) before the union. The boundaries of the
#: embedded source are already simplified; the files stay well below it.
MAX_GEOJSON_BYTES = 3_000_000
SIMPLIFY_TOLERANCE_DEG = 0.0005


def _qpv_shapes(qpv: str | os.PathLike[str] | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the QPV boundaries from a loaded table, a URL or a local file."""
    from geo.reference.qpv import load_qpv

    if isinstance(qpv, gpd.GeoDataFrame):
        return qpv
    text = os.fspath(qpv)
    if re.match(r"^https?://", text, re.IGNORECASE):
        return load_qpv(url=text)
    return load_qpv(path=text)


def _qpv_populations(
    source: str | os.PathLike[str] | dict[str, int] | None,
) -> dict[str, int] | None:
    if source is None or isinstance(source, dict):
        return source
    from geo.reference.qpv import load_qpv_population

    return load_qpv_population(source)


def build_frames(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    tolerance: float = 0.0,
    qpv: str | os.PathLike[str] | gpd.GeoDataFrame | None = None,
    qpv_population: str | os.PathLike[str] | dict[str, int] | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Build the territories and PTCE GeoDataFrames from the two tables.

    Parameters
    ----------
    data_dir
        Folder holding the tables; :data:`~geo.shipped.tables.DATA_DIR` when omitted.
    tolerance
        Simplification of each commune boundary (degrees, topology kept with
        ``shapely.coverage_simplify``) before the union; 0 keeps them as the
        embedded source gives them.
    qpv
        The ANCT QPV 2024 boundaries (the QP2024 GeoJSON, a ZIP holding it,
        or any file :func:`geo.reference.qpv.load_qpv` reads; a path, an ``http(s)``
        URL, or the loaded table). A territory with ``qpv_codes`` is then the
        union of its QPV polygons (and of the whole communes of its
        ``codes_insee`` holding none of them), with precision ``"qpv"``; when a
        code is missing from the file it keeps its communes, and ``notes``
        says why. Without it, such territories keep their communes and
        ``notes`` says so (:data:`~geo.shipped.layers.QPV_NOT_DRAWN`).
    qpv_population
        INSEE's QPV 2024 population table (a path, an ``http(s)`` URL, or the
        mapping read by :func:`geo.reference.qpv.load_qpv_population`). A
        quartier whose QPV codes all have a population gets their sum as
        ``population`` (``population_source="qpv"``). Without it, a quartier's
        population is the figure its source states (``population_citee``) or
        unknown, never its commune's.

    Returns
    -------
    tuple of GeoDataFrame
        Territories (fields ``geo.schema.field_names("territories")``,
        MultiPolygon or None) and PTCE (``field_names("ptce")``, seat Point or
        None), EPSG:4326, sorted by ``id``. Text fields are strings, empty when unknown.

    Raises
    ------
    SchemaError, DataSourceError
        See :func:`~geo.shipped.validate.read_tables`; for ``qpv``,
        :func:`geo.reference.qpv.load_qpv`.
    """
    territories, ptce = read_tables(data_dir)
    cog = load_cog()
    boundaries = commune_boundaries()
    shapes = _qpv_shapes(qpv) if qpv is not None else None
    populations = _qpv_populations(qpv_population)
    qpv_list = load_qpv_list(data_folder(data_dir))
    t_records, t_geoms = territory_records(
        territories, cog, boundaries, tolerance, shapes, qpv_list, populations
    )
    p_records, p_geoms = ptce_records(ptce, cog, boundaries)
    return (
        layer_frame(t_records, t_geoms, field_names("territories")),
        layer_frame(p_records, p_geoms, field_names("ptce")),
    )


# --- GeoJSON writing ----------------------------------------------------------


def _coord(value: float) -> float:
    return round(float(value), COORD_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def _ring(ring: BaseGeometry) -> list[list[float]]:
    return [[_coord(x), _coord(y)] for x, y in ring.coords]


def _geometry_json(geometry: BaseGeometry | None) -> dict[str, Any] | None:
    if geometry is None or geometry.is_empty:
        return None
    if geometry.geom_type == "Point":
        return {"type": "Point", "coordinates": [_coord(geometry.x), _coord(geometry.y)]}
    if geometry.geom_type == "MultiPolygon":
        polygons = [[_ring(p.exterior), *(_ring(r) for r in p.interiors)] for p in geometry.geoms]
        return {"type": "MultiPolygon", "coordinates": polygons}
    raise ValueError(f"unexpected geometry type {geometry.geom_type}")  # pragma: no cover


def _property(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _geojson_text(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> str:
    """One feature per line, properties in schema order: stable, diff-friendly text."""
    lines = []
    for row, geometry in zip(
        frame[list(columns)].itertuples(index=False, name=None), frame.geometry, strict=True
    ):
        feature = {
            "type": "Feature",
            "properties": {c: _property(v) for c, v in zip(columns, row, strict=True)},
            "geometry": _geometry_json(geometry),
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    body = ",\n".join(lines)
    return '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"


def build_data(
    data_dir: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    qpv: str | os.PathLike[str] | gpd.GeoDataFrame | None = None,
    qpv_population: str | os.PathLike[str] | dict[str, int] | None = None,
) -> dict[str, Path]:
    """Validate the tables and write ``territories.geojson`` and ``ptce.geojson``.

    Parameters
    ----------
    data_dir
        Folder holding ``tz_territories.csv`` and ``ptce.csv``;
        :data:`~geo.shipped.tables.DATA_DIR` (the checkout's ``data/``) when omitted.
    out_dir
        Where to write the GeoJSON files; ``data_dir`` when omitted.
    qpv
        The ANCT QPV 2024 boundaries, to draw the territories with QPV codes
        as their QPV (see :func:`build_frames`). The shipped files are built
        without them; a build with them is for local use (the test of the
        committed files compares them with a build without).
    qpv_population
        INSEE's QPV 2024 population table (see :func:`build_frames`).

    Returns
    -------
    dict of str to Path
        ``{"territories": ..., "ptce": ...}``: the written files.

    Raises
    ------
    SchemaError, DataSourceError
        See :func:`~geo.shipped.validate.read_tables` and, for ``qpv``,
        :func:`geo.reference.qpv.load_qpv`; nothing is written then. Also when
        ``data_dir`` and ``out_dir`` are omitted outside a source checkout: the
        installed data are read-only.

    Notes
    -----
    Territory geometry is the union of the boundaries of its perimeter: the
    communes or arrondissements of ``codes_insee``, or, when only the EPCI is
    known (``precision="epci"`` and no codes), every member commune of
    ``epci_siren`` in the COG 2025. PTCE geometry is the town hall of the
    seat commune (``precision_siege="mairie"``), else a point on the surface
    of the seat commune, of the area of action (a set of communes) or, for
    ``precision="departement"``, of the département (``"point-sur-surface"``:
    a marker for maps, not a place a source gave; for an area, the point of
    the commune nearest to the area's centre), else None (``"inconnu"``:
    only the région, or nothing, is known).

    The output is deterministic: features sorted by ``id``, properties in
    schema order, coordinates snapped to a 10⁻⁵ degree grid; rebuilding
    unchanged tables gives byte-identical files. When the two files would
    exceed :data:`MAX_GEOJSON_BYTES`, boundaries are simplified with
    :data:`SIMPLIFY_TOLERANCE_DEG` before the union.

    Examples
    --------
    >>> paths = build_data()  # doctest: +SKIP
    >>> paths["territories"].name  # doctest: +SKIP
    'territories.geojson'
    """
    folder = data_folder(data_dir)
    if (
        data_dir is None
        and out_dir is None
        and checkout_data_dir() is None
        and not os.environ.get(DATA_DIR_ENV)
    ):
        raise DataSourceError(
            f"no source checkout: the data installed with the package ({installed_data_dir()}) "
            "are read-only; pass out_dir=... (--out) to build elsewhere, or run from a "
            "checkout of the project"
        )
    target = Path(out_dir) if out_dir is not None else folder
    populations = _qpv_populations(qpv_population)
    territories, ptce = build_frames(folder, qpv=qpv, qpv_population=populations)
    texts = {
        "territories": _geojson_text(territories, field_names("territories")),
        "ptce": _geojson_text(ptce, field_names("ptce")),
    }
    if sum(len(t.encode("utf-8")) for t in texts.values()) > MAX_GEOJSON_BYTES:
        territories, _ = build_frames(
            folder, tolerance=SIMPLIFY_TOLERANCE_DEG, qpv=qpv, qpv_population=populations
        )
        texts["territories"] = _geojson_text(territories, field_names("territories"))
    target.mkdir(parents=True, exist_ok=True)
    paths = {"territories": target / TERRITORIES_GEOJSON, "ptce": target / PTCE_GEOJSON}
    for key, path in paths.items():
        with atomic_path(path) as tmp:
            tmp.chmod(0o644)  # a data file of the checkout, not a private one
            tmp.write_bytes(texts[key].encode("utf-8"))
    if target.resolve() != folder.resolve():
        # A complete data folder: the tables it was built from and the QPV list, so
        # that TZPTCE_DATA_DIR (or --data-dir) can point every command at it.
        qpv_list = folder / QPV_LIST_CSV
        for source in (
            folder / TERRITORIES_CSV,
            folder / PTCE_CSV,
            qpv_list if qpv_list.is_file() else DATA_DIR / QPV_LIST_CSV,
        ):
            with atomic_path(target / source.name) as tmp:
                tmp.chmod(0o644)
                tmp.write_bytes(source.read_bytes())
    return paths
