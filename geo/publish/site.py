"""A static website of the territories, PTCE and their synergies: ``python -m geo site OUT/``.

:func:`build_site` writes a folder that any static host serves as is and that
also works opened from disk (``file://``): a national page with the key
figures, one page per région and per territory, a data page with the
downloads (GeoJSON, CSV, XLSX, the uMap file) and their sources and licences,
and the map pages drawn by :mod:`geo.publish.maps`, shown in frames. Every page has an
"Intégrer cette carte" block with its iframe snippet and a copy button.

Safety: the pages are Jinja2 template files (``geo/publish/templates/``, or a
webmaster's own with ``templates=``) rendered once each by a sandboxed
environment with autoescape on (:mod:`geo.publish.site_templates`); the data
enter only as their context (:mod:`geo.publish.site_data`), never as template
source, and links are written only for ``http(s)`` URLs. The pages carry no
inline script (one shared ``assets/site.js``), so a site can serve them under a
strict Content-Security-Policy.

Determinism: the same data give the same bytes (sorted ids, fixed ZIP dates in
the XLSX files, stable element ids in the map pages, no build timestamp), so a
site repository shows readable diffs.

This module computes no synergy (see :mod:`geo.analysis.synergies`) and draws no map
itself (see :mod:`geo.publish.maps`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._core.files import atomic_path
from geo.crs import WGS84
from geo.errors import ArgumentError, CRSError, SchemaError
from geo.publish import site_data
from geo.publish.export import plain_table
from geo.publish.frtext import RELATION_LABELS, public_urls, safe_url
from geo.publish.frtext import text as _text
from geo.publish.site_data import SITE_TITLE, TIMELINE_CHART, Record, SiteContext, SiteData
from geo.publish.site_templates import SiteTemplates
from geo.publish.sitefiles import MANIFEST, staged_site, write_manifest
from geo.publish.sitefiles import slug as _slug
from geo.publish.spreadsheet import write_spreadsheet
from geo.publish.static_files import static_text
from geo.schema import field_names

__all__ = ["MANIFEST", "SiteReport", "build_site"]

#: Random element ids of the map pages: folium's ``map_<32 hex>`` names and the
#: maps' ``geo-data-<12 hex>`` data blocks.
_RANDOM_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-z])|(?<=geo-data-)[0-9a-f]{12}(?![0-9a-z])")
_DECIMALS = 5


@dataclass(frozen=True)
class SiteReport:
    """What :func:`build_site` wrote.

    Attributes
    ----------
    out_dir
        The site folder.
    files, total_bytes
        Number and total size of the files written.
    pages
        Number of HTML pages.
    largest_page, largest_page_bytes
        The largest HTML page (path relative to ``out_dir``) and its size.
    largest_territory_page, largest_territory_page_bytes
        The largest territory page, with its map page when it has one of its
        own (shared files excluded).
    """

    out_dir: Path
    files: int
    total_bytes: int
    pages: int
    largest_page: str
    largest_page_bytes: int
    largest_territory_page: str
    largest_territory_page_bytes: int

    def __str__(self) -> str:
        return (
            f"{self.files} files, {self.total_bytes / 1e6:.1f} MB in {self.out_dir}; "
            f"{self.pages} pages, largest {self.largest_page} "
            f"({self.largest_page_bytes / 1024:.0f} KB); largest territory page "
            f"{self.largest_territory_page} ({self.largest_territory_page_bytes / 1024:.0f} KB)"
        )


# --------------------------------------------------------------------------- data


def _check_inputs(territories: Any, ptce: Any) -> None:
    problems = []
    for frame, what, columns in (
        (territories, "territories", ("id", "nom", "statut")),
        (ptce, "ptce", ("id", "nom")),
    ):
        if not isinstance(frame, gpd.GeoDataFrame):
            problems.append(f"{what} must be a GeoDataFrame (see geo.load_{what}())")
            continue
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            problems.append(f"{what} lacks columns {missing} (see geo.load_{what}())")
        elif frame.crs is None:
            raise CRSError(
                f"{what} have no CRS: declare it with .set_crs('EPSG:4326') before building "
                "the site"
            )
    if problems:
        raise SchemaError("cannot build the site: " + "; ".join(problems), problems)


def _prepare(
    territories: gpd.GeoDataFrame, ptce: gpd.GeoDataFrame, synergies: pd.DataFrame | None, radius
) -> SiteData:
    _check_inputs(territories, ptce)
    territories = territories.to_crs(WGS84) if not territories.crs.equals(WGS84) else territories
    ptce = ptce.to_crs(WGS84) if not ptce.crs.equals(WGS84) else ptce
    territories = territories.assign(id=territories["id"].map(_text))
    ptce = ptce.assign(id=ptce["id"].map(_text))
    for frame, what in ((territories, "territories"), (ptce, "ptce")):
        slugs = frame["id"].map(_slug)
        if slugs.duplicated().any():
            dups = frame.loc[slugs.duplicated(keep=False)].groupby(slugs)["id"].agg(list)
            shown = "; ".join(f"{ids} -> {name}.html" for name, ids in dups.items())
            raise SchemaError(
                f"cannot build the site: {what} ids that give the same page file ({shown}): "
                "file names ignore case, accents and punctuation; make these ids differ "
                "by a letter or digit"
            )
    if synergies is None:
        from geo.analysis.synergies import synergies as compute

        synergies = compute(territories, ptce, radius_km=radius, geometry=False)
    links = pd.DataFrame(plain_table(synergies)).copy()  # the link lines go to no page
    for column in ("territory_id", "ptce_id", "relation"):
        links[column] = links[column].map(_text)
    links = links[links["relation"].isin(list(RELATION_LABELS))]
    distance = pd.to_numeric(links.get("distance_km"), errors="coerce")
    links = links.assign(_rank=links["relation"].map(list(RELATION_LABELS).index), _km=distance)
    links = links.sort_values(["_rank", "_km", "territory_id", "ptce_id"], kind="stable")
    links = links.drop(columns=["_rank", "_km"]).reset_index(drop=True)
    territories = territories.sort_values("id", kind="stable").reset_index(drop=True)
    ptce = ptce.sort_values("id", kind="stable").reset_index(drop=True)

    from geo.analysis.observatory import opportunities
    from geo.analysis.timeline import timeline

    by_territory = opportunities(territories, ptce, synergies, radius_km=radius, geometry=False)
    by_ptce = opportunities(
        territories, ptce, synergies, radius_km=radius, by="ptce", geometry=False
    )
    years = timeline(territories, ptce, synergies, radius_km=radius)
    years = site_data.trim_timeline(years)

    t_records = site_data.records(territories)
    p_records = site_data.records(ptce)
    link_records = links.astype(object).where(links.notna(), None).to_dict("records")
    links_of_t: dict[str, list[Record]] = {}
    links_of_p: dict[str, list[Record]] = {}
    for link in link_records:
        links_of_t.setdefault(link["territory_id"], []).append(link)
        links_of_p.setdefault(link["ptce_id"], []).append(link)
    t_of_region: dict[str, list[Record]] = {}
    p_of_region: dict[str, list[Record]] = {}
    for records, by_region in ((t_records, t_of_region), (p_records, p_of_region)):
        for record in records:
            by_region.setdefault(_text(record.get("region")), []).append(record)
    return SiteData(
        territories,
        ptce,
        links,
        t_records,
        {r["id"]: r for r in p_records},
        links_of_t,
        links_of_p,
        t_of_region,
        p_of_region,
        by_territory,
        by_ptce,
        {r["territory_id"]: r for r in site_data.plain_records(by_territory)},
        {r["ptce_id"]: r for r in site_data.plain_records(by_ptce)},
        years,
    )


def _write_chart(out: Path, data: SiteData) -> Path | None:
    """Write the timeline chart with stable SVG ids (matplotlib salts them at random).

    ``None`` without matplotlib (the ``plot`` extra): the page keeps the table.
    """
    try:
        import matplotlib
    except ModuleNotFoundError:
        return None
    from geo.publish.charts import plot_timeline

    with matplotlib.rc_context({"svg.hashsalt": "tzptce-geo"}):
        return plot_timeline(data.timeline, out / TIMELINE_CHART)


# --------------------------------------------------------------------------- data files


def _public_frame(frame: gpd.GeoDataFrame, fields: Sequence[str]) -> pd.DataFrame:
    """Return the public fields of a table, sources reduced to their links."""
    columns = [f for f in fields if f in frame.columns]
    table = pd.DataFrame(frame[columns]).copy()
    for column in columns:
        if column == "population":
            table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
        elif column == "sources":
            table[column] = table[column].map(lambda v: " | ".join(public_urls(v)))
        elif column == "site_web":
            table[column] = table[column].map(lambda v: safe_url(v) or "")
        else:
            table[column] = table[column].map(_text)
    return table


def _geojson_text(table: pd.DataFrame, geoms: np.ndarray) -> str:
    lines = []
    for (_, row), geom in zip(table.iterrows(), geoms, strict=True):
        geometry = None
        if isinstance(geom, shapely.Geometry) and not geom.is_empty:
            rounded = shapely.transform(geom, lambda xy: np.round(xy, _DECIMALS))
            geometry = json.loads(json.dumps(shapely.geometry.mapping(rounded)))
        props = {
            k: (None if pd.isna(v) else (int(v) if k == "population" else v))
            for k, v in row.items()
        }
        feature = {"type": "Feature", "properties": props, "geometry": geometry}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def _write_table(table: pd.DataFrame, path: Path, sheet: str) -> None:
    write_spreadsheet(table, path, sheet_name=sheet)


def _write_data(
    out: Path, data: SiteData, radius_km: float, base_url: str | None
) -> dict[str, Path]:
    from geo.publish.umap import umap_layer_paths, write_umap

    folder = out / "donnees"
    written: dict[str, Path] = {}
    territories = _public_frame(data.territories, field_names("territories", public=True))
    ptce = _public_frame(data.ptce, field_names("ptce", public=True))
    seats = data.ptce.geometry.values.to_numpy()
    seat_points = np.array(
        [
            (g if g.geom_type == "Point" else shapely.point_on_surface(g))
            if isinstance(g, shapely.Geometry) and not g.is_empty
            else None
            for g in seats
        ],
        dtype=object,
    )
    for name, table, geoms in (
        ("territoires", territories, data.territories.geometry.values.to_numpy()),
        ("ptce", ptce, seat_points),
    ):
        path = folder / f"{name}.geojson"
        with atomic_path(path) as tmp:
            tmp.write_text(_geojson_text(table, geoms), encoding="utf-8")
        written[path.name] = path
    ptce_csv = ptce.assign(
        longitude=[round(g.x, _DECIMALS) if g is not None else None for g in seat_points],
        latitude=[round(g.y, _DECIMALS) if g is not None else None for g in seat_points],
    )
    for name, table in (("territoires", territories), ("ptce", ptce_csv)):
        path = folder / f"{name}.csv"
        _write_table(table, path, name)
        written[path.name] = path
    for name, table in (
        ("synergies", data.synergies),
        ("opportunites", data.opportunities),
        ("opportunites-ptce", data.ptce_opportunities),
    ):
        for ext in (".csv", ".xlsx"):
            path = folder / f"{name}{ext}"
            _write_table(table, path, name[:31])
            written[path.name] = path
    path = folder / "evolution.csv"
    _write_table(data.timeline, path, "evolution")
    written[path.name] = path
    written["carte.umap"] = write_umap(
        folder / "carte.umap", data.territories, data.ptce, data.synergies, radius_km=radius_km
    )
    if base_url:  # the uMap map that republishing updates: its layers read files of the site
        online = write_umap(
            folder / "carte-en-ligne.umap",
            data.territories,
            data.ptce,
            data.synergies,
            radius_km=radius_km,
            data_url=base_url + "donnees/",
        )
        written[online.name] = online
        written.update((p.name, p) for p in umap_layer_paths(online))
    return written


# --------------------------------------------------------------------------- maps


def _stable_ids(text: str, seen: dict[str, str]) -> str:
    """Replace the random element ids of a map file by ids numbered in order of appearance.

    ``seen`` carries the numbering from a page to its own ``.js`` and ``.css``.
    """

    def number_id(match: re.Match[str]) -> str:
        found = match.group(0)
        return seen.setdefault(found, f"{len(seen):0{len(found)}x}")

    return _RANDOM_ID.sub(number_id, text)


def _share_code(out: Path, pages: list[Path]) -> list[Path]:
    """Move the map pages' own ``.js``/``.css`` files to ``assets/``, one file per content.

    After :func:`_stable_ids` the pages load the same code: each distinct file
    is written once as ``assets/carte-<sha256 prefix>.<ext>`` (a new name when
    the code changes) and every page points to it.
    """
    import hashlib

    shared: dict[Path, str] = {}
    texts = {page: page.read_text(encoding="utf-8") for page in pages}
    for page in pages:
        for ext, attribute in ((".js", "src"), (".css", "href")):
            own = page.with_suffix(ext)
            reference = f'{attribute}="{quote(page.stem)}{ext}"'
            if not own.is_file() or reference not in texts[page]:
                continue
            code = own.read_text(encoding="utf-8")
            digest = hashlib.sha256(code.encode("utf-8")).hexdigest()[:12]
            target = out / "assets" / f"carte-{digest}{ext}"
            shared[target] = code
            relative = os.path.relpath(target, page.parent).replace(os.sep, "/")
            texts[page] = texts[page].replace(reference, f'{attribute}="{relative}"', 1)
            own.unlink()
    for page, text in texts.items():
        _write_page(page, text)
    return [_write_page(target, code) for target, code in sorted(shared.items())]


def _write_maps(
    out: Path,
    data: SiteData,
    regions: dict[str, str],
    *,
    tiles: bool,
    offline: bool,
    assets_dir: str | os.PathLike[str] | None,
    separate_assets: bool,
) -> list[Path]:
    """Write the national map, one map per région and per located territory (embed mode).

    Ids are made stable. A territory's own map is what its page shows: its perimeter,
    communes and partners, a fraction of the national map's weight.
    """
    from geo.publish.maps import synergy_map, write_map

    jobs: list[tuple[Path, dict[str, Any]]] = [
        (out / "cartes" / "france.html", {"title": SITE_TITLE})
    ]
    for code, name in regions.items():
        jobs.append(
            (
                out / "cartes" / "regions" / f"{_slug(code)}.html",
                {"region": code, "title": f"{name} : territoires zéro chômeur et PTCE"},
            )
        )
    for row in data.t_records:
        if row.get("located"):
            jobs.append(
                (
                    out / "cartes" / "territoires" / f"{_slug(row['id'])}.html",
                    {"territory": row["id"], "title": f"{_text(row['nom'])} et les PTCE proches"},
                )
            )
    pages = []
    for path, options in jobs:
        m = synergy_map(
            data.territories, data.ptce, data.synergies, tiles=tiles, embed=True, **options
        )
        write_map(m, path, offline=offline, assets_dir=assets_dir, separate_assets=separate_assets)
        seen: dict[str, str] = {}
        for file in (path, path.with_suffix(".js"), path.with_suffix(".css")):
            if file == path or (separate_assets and file.is_file()):
                _write_page(file, _stable_ids(file.read_text(encoding="utf-8"), seen))
        pages.append(path)
    if separate_assets:
        return pages + _share_code(out, pages)
    return pages


# --------------------------------------------------------------------------- build


def _write_page(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def build_site(
    out_dir: str | os.PathLike[str],
    *,
    territories: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    ptce: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    synergies: pd.DataFrame | None = None,
    radius_km: float = 20.0,
    base_url: str | None = None,
    tiles: bool = True,
    offline: bool = False,
    assets_dir: str | os.PathLike[str] | None = None,
    separate_assets: bool = False,
    templates: str | os.PathLike[str] | None = None,
) -> SiteReport:
    """Write the static site of territories, PTCE and synergies into ``out_dir``.

    Parameters
    ----------
    out_dir
        The site folder, created when missing. Files of a previous build that
        are no longer produced are removed (listed in ``.tzptce-site-manifest``);
        other files in the folder (a ``.git``, a CNAME...) are left alone.
    territories, ptce
        GeoDataFrames, or files for :func:`geo.load_territories` /
        :func:`geo.load_ptce`; the shipped data when omitted.
    synergies
        The pairs (:func:`geo.synergies`); computed with ``radius_km`` when
        ``None``.
    radius_km
        Proximity radius of the pairs.
    base_url
        The address where the site will be published
        (``"https://info-ptce.fr/carte/"``): used for the permalinks, the
        canonical links and the iframe snippets, which are relative to the
        site's root without it.
    tiles
        Draw the OpenStreetMap tile basemap on the maps (``False``: the
        département outlines only).
    offline, assets_dir
        Write map pages that load nothing from a CDN, with the local asset
        folder filled once by ``python -m geo assets fetch DIR``.
    separate_assets
        Map pages without inline script or style: their code goes to shared
        files under ``assets/`` (written once), so that the whole site can be
        served with ``Content-Security-Policy: script-src 'self'`` (plus the
        CDN hosts unless ``offline``).
    templates
        A folder of Jinja2 templates that replace the shipped ones of the same
        name (``geo/publish/templates/``: ``base.html`` for the frame of every
        page, ``macros.html``, ``index.html``, ``region.html``,
        ``territory.html``, ``data.html``), to fit a site's look. They are
        rendered in a sandbox with autoescape on; data only ever enter as
        their context.

    Returns
    -------
    SiteReport
        Counts and sizes of what was written (``str()`` gives a summary).

    Raises
    ------
    SchemaError
        Inputs without the required columns.
    CRSError
        Inputs without a CRS.
    ArgumentError
        A ``base_url`` that is not an absolute ``http(s)`` URL, ``offline``
        without ``assets_dir``, or a ``templates`` folder whose templates do
        not compile or use names the pages do not have.

    Examples
    --------
    >>> report = build_site("site/")  # doctest: +SKIP
    >>> print(report)  # doctest: +SKIP
    """
    if base_url is not None:
        if safe_url(base_url) is None:
            raise ArgumentError(
                f"base_url={base_url!r}: expected the absolute http(s) address of the site"
            )
        base_url = base_url if base_url.endswith("/") else base_url + "/"
    if offline and assets_dir is None:
        raise ArgumentError(
            "offline=True needs assets_dir=, a folder of the maps' JS/CSS files (fill it once, "
            "online, with: python -m geo assets fetch DIR)"
        )
    pages_templates = SiteTemplates(templates)
    from geo.loading.entities import load_ptce, load_territories
    from geo.reference.cog import EMBEDDED_VINTAGE

    if not isinstance(territories, gpd.GeoDataFrame):
        territories = load_territories(territories)
    if not isinstance(ptce, gpd.GeoDataFrame):
        ptce = load_ptce(ptce)
    data = _prepare(territories, ptce, synergies, radius_km)
    regions = site_data.region_names(data)
    ctx = SiteContext(base_url, float(radius_km), EMBEDDED_VINTAGE, regions, _slug)
    options = {
        "tiles": tiles,
        "offline": offline,
        "assets_dir": assets_dir,
        "separate_assets": separate_assets,
    }
    with staged_site(out_dir) as stage:
        report = _write_site(
            stage, Path(out_dir), ctx, data, regions, radius_km, options, pages_templates
        )
    return report


def _write_site(
    out: Path,
    final: Path,
    ctx: SiteContext,
    data: SiteData,
    regions: dict[str, str],
    radius_km: float,
    options: dict[str, Any],
    pages_templates: SiteTemplates,
) -> SiteReport:
    """Write every file of the site into the empty folder ``out`` (swapped in as ``final``)."""
    render = pages_templates.render
    written: list[Path] = []
    written.append(_write_page(out / "assets" / "site.css", static_text("site.css")))
    written.append(_write_page(out / "assets" / "site.js", static_text("site.js")))
    chart = _write_chart(out, data)
    if chart is not None:
        written.append(chart)
    files = _write_data(out, data, radius_km, ctx.base_url)
    written.extend(files.values())
    pages: list[Path] = [
        _write_page(
            out / "index.html",
            render("index.html", site_data.index_page(ctx, data, chart is not None)),
        ),
        _write_page(
            out / "donnees" / "index.html",
            render("data.html", site_data.data_page(ctx, data, files)),
        ),
    ]
    for code, name in regions.items():
        path = out / "regions" / f"{_slug(code)}.html"
        context = site_data.region_page(ctx, data, code, name)
        pages.append(_write_page(path, render("region.html", context)))
    territory_pages = []
    for row in data.t_records:
        path = out / "territoires" / f"{_slug(row['id'])}.html"
        context = site_data.territory_page(ctx, data, row)
        territory_pages.append(_write_page(path, render("territory.html", context)))
    pages.extend(territory_pages)
    map_pages = _write_maps(out, data, regions, **options)
    written.extend(pages)
    written.extend(map_pages)
    write_manifest(out, written)

    sizes = {p: p.stat().st_size for p in written}
    html_pages = [p for p in written if p.suffix == ".html"]
    largest = max(html_pages, key=lambda p: sizes[p])
    largest_territory = max(territory_pages, key=lambda p: sizes[p], default=largest)
    return SiteReport(
        out_dir=final,
        files=len(written),
        total_bytes=sum(sizes.values()),
        pages=len(html_pages),
        largest_page=largest.relative_to(out).as_posix(),
        largest_page_bytes=sizes[largest],
        largest_territory_page=largest_territory.relative_to(out).as_posix(),
        largest_territory_page_bytes=sizes[largest_territory],
    )
