"""Command-line commands of the observatory: synergies, opportunities and timeline tables.

Each command loads the territories and PTCE, keeps those of ``--region`` or
``--departement``, calls the public analysis function, writes ``--out``
(a table, a GIS layer or a chart) and prints a French summary. Called by
:mod:`geo.cli`, which parses the arguments and turns library errors into one
line and an exit code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo._core.progress import bar as _progress_bar
from geo._core.progress import step as _step
from geo.cli_args import load_inputs

__all__ = ["cmd_opportunities", "cmd_synergies", "cmd_timeline"]


def _view(args: argparse.Namespace, territories, ptce, links=None):
    """Return the view of --region/--departement (national without one), as the maps do.

    See :func:`geo.publish.area.area_view`: the summaries count the area's own
    territories; PE whose source says the project is blocked are left out.
    """
    import pandas as pd

    from geo.publish.area import area_view

    if links is None:
        links = pd.DataFrame(columns=["territory_id", "ptce_id", "relation"])
    return area_view(territories, ptce, links, region=args.region, departement=args.departement)


def _own(rows, ids):
    return rows[rows["id"].astype(str).isin(ids)]


def cmd_synergies(args: argparse.Namespace) -> int:
    """Run ``synergies``: the territory–PTCE pairs, their summary, and ``--out``."""
    from geo.analysis.summaries import synergy_summary
    from geo.analysis.synergies import synergies
    from geo.cli_analysts import is_gis, write_result
    from geo.publish.export import write_synergies

    with _progress_bar(4, "synergies") as bar:
        territories, ptce = load_inputs(args, bar)
        # Link lines only for a GIS file (.gpkg, .geojson): a table or the summary needs none.
        lines = bool(args.out) and is_gis(args.out)
        table = synergies(territories, ptce, radius_km=args.radius_km, geometry=lines)
        _step(bar, "calcul")
        view = _view(args, territories, ptce, table)
        table = view.links.reset_index(drop=True)
        territories = _own(territories, view.own_territory_ids)
        summary = synergy_summary(territories, ptce, table, radius_km=args.radius_km)
        if args.out and is_gis(args.out):  # the links as lines, for QGIS
            write_result(table, args.out, "liens")
        elif args.out and args.csv_fr and args.out.lower().endswith(".csv"):
            write_result(table, args.out, "synergies", "fr")
        elif args.out:
            write_synergies(table, args.out, territories=territories, ptce=ptce)
        _step(bar, "export")
    counts = table["relation"].value_counts()
    sure = table.loc[table["certainty"] == "sûr", "relation"].value_counts()
    print(
        f"{len(table)} paires territoire–PTCE à {args.radius_km:g} km ou moins: "
        + ", ".join(
            f"{rel} {int(counts.get(rel, 0))} (dont sûres {int(sure.get(rel, 0))})"
            for rel in ("overlap", "adjacent", "near")
        )
    )
    # Nationally, the France rows; for a région or département, its own rows.
    is_france = summary["region"] == "France"
    shown = summary[~is_france] if (args.region or args.departement) else summary[is_france]
    print(shown.to_string(index=False))
    every = shown[shown["statut"] == "ensemble"]
    if "population" in every and len(every):
        print(
            _population_sentence(
                int(every["population"].sum()),
                int(every["population_exact"].sum()),
                int(every["n_population_unknown"].sum()),
            )
        )
    _print_left_out(len(view.stopped_ids))
    if args.out:
        print(f"wrote {args.out}")
    return 0


def _print_left_out(n_stopped: int) -> None:
    """Say which PE the figures above leave out (the blocked ones), when there are any."""
    from geo.publish.frtext import left_out_fr

    note = left_out_fr(n_stopped, counted=True)
    if note:
        print(note)


def _filtered(args: argparse.Namespace, territories, ptce):
    """Return the territories and PTCE of --region/--departement (all active without one).

    The third item is the number of blocked PE left out, for the summary to say.
    """
    view = _view(args, territories, ptce)
    own_t, own_p = _own(territories, view.own_territory_ids), _own(ptce, view.own_ptce_ids)
    return own_t, own_p, len(view.stopped_ids)


_SUMMARY_SHOWN = [
    "region",
    "n_th",
    "n_th_with_ptce",
    "n_th_with_ptce_probable",
    "share_th_with_ptce_pct",
    "n_th_isolated",
    "population_th",
    "population_th_exact",
    "n_th_population_unknown",
    "population_th_with_ptce",
    "population_th_without_ptce",
    "n_pe_with_support_ptce",
    "n_ptce_without_tz",
]


def _population_sentence(known: int, exact: int, unknown: int) -> str:
    """Say, in French, what a population total holds and what it leaves out."""
    from geo.publish.frtext import population_fr

    text = (
        f"Population connue : {population_fr(known)} habitants, dont {population_fr(exact)} "
        f"exacts (communes entières) et {population_fr(known - exact)} approchés (EPCI, "
        "chiffres cités par les sources, QPV)"
    )
    if unknown:
        text += (
            f" ; {unknown} territoire{'s' if unknown > 1 else ''} de population inconnue "
            "non compté" + ("s" if unknown > 1 else "") + " (quartiers sans population QPV "
            "ni chiffre cité : `data build --qpv-population`)"
        )
    return text + "."


def _print_french(table, columns, labels) -> None:
    shown = table[columns].round(1).astype(object)
    shown = shown.where(shown.notna(), "").rename(columns=labels)
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.0f}"))


def cmd_opportunities(args: argparse.Namespace) -> int:
    """Run ``opportunities``: each territory's (or PTCE's) category, the summary, ``--out``."""
    from geo.analysis.observatory import LABELS_FR, opportunities
    from geo.analysis.summaries import opportunity_summary
    from geo.analysis.synergies import synergies
    from geo.cli_analysts import is_gis, write_result
    from geo.cli_args import dialect
    from geo.publish.export import write_table

    with _progress_bar(4, "opportunités") as bar:
        territories, ptce = load_inputs(args, bar)
        # A région's territories (or PTCE) with their partners on both sides of its border.
        own_t, own_p, n_stopped = _filtered(args, territories, ptce)
        shown_t = own_t
        shown_p = own_p if args.by == "ptce" else ptce
        pairs = synergies(territories, ptce, radius_km=args.radius_km, geometry=False)
        table = opportunities(
            territories if args.by == "ptce" else shown_t,
            shown_p,
            pairs[pairs["territory_id"].isin(shown_t["id"]) & pairs["ptce_id"].isin(shown_p["id"])]
            if args.by == "territory"
            else pairs[pairs["ptce_id"].isin(shown_p["id"])],
            radius_km=args.radius_km,
            by=args.by,
        )
        _step(bar, "calcul")
        summary = opportunity_summary(
            shown_t,
            ptce,
            pairs[pairs["territory_id"].isin(shown_t["id"])],
            radius_km=args.radius_km,
        )
        if args.out and is_gis(args.out):  # territory outlines or PTCE points
            write_result(table, args.out, "opportunites")
        elif args.out:
            write_table(table, args.out, sheet_name="opportunites", dialect=dialect(args))
        _step(bar, "export")
    counts = table["category"].value_counts()
    what = "territoires" if args.by == "territory" else "PTCE"
    print(
        f"{len(table)} {what}, PTCE à {args.radius_km:g} km ou moins : "
        + ", ".join(f"{name} {int(n)}" for name, n in counts.items())
    )
    if args.region or args.departement:  # the région(s) of the filtered rows, not France
        summary = summary[summary["region"].isin(set(table[f"{args.by}_region_nom"].dropna()))]
    _print_french(summary, _SUMMARY_SHOWN, LABELS_FR)
    last = summary.iloc[-1] if len(summary) else None
    if last is not None and summary["population_th"].notna().iloc[-1]:
        print(
            "TH — "
            + _population_sentence(
                int(last["population_th"]),
                int(last["population_th_exact"]),
                int(last["n_th_population_unknown"]),
            )
        )
    _print_left_out(n_stopped)
    if args.out:
        print(f"wrote {args.out}")
    return 0


def cmd_timeline(args: argparse.Namespace) -> int:
    """Run ``timeline``: TH, PE, PTCE and pairs year after year, as a table or a chart."""
    from geo.analysis.observatory import LABELS_FR
    from geo.analysis.timeline import TIMELINE_COLUMNS, timeline
    from geo.cli_args import dialect, timeline_format_problem
    from geo.publish.charts import CHART_FORMATS, plot_timeline
    from geo.publish.export import write_table

    with _progress_bar(4, "chronologie") as bar:
        territories, ptce = load_inputs(args, bar)
        # A région's TH, PE and PTCE, and the pairs they form.
        own_t, own_p, _ = _filtered(args, territories, ptce)
        table = timeline(own_t, own_p, radius_km=args.radius_km)
        _step(bar, "calcul")
        written = []
        if args.out and timeline_format_problem(args.out):
            print(f"error: {timeline_format_problem(args.out)}", file=sys.stderr)
            return 2
        if args.out:
            out = Path(args.out)
            if out.suffix.lower() in CHART_FORMATS:
                try:
                    written.append(plot_timeline(table, out))
                except ModuleNotFoundError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    return 1
                written.append(write_table(table, out.with_suffix(".csv"), dialect=dialect(args)))
            else:
                written.append(
                    write_table(table, out, sheet_name="chronologie", dialect=dialect(args))
                )
        _step(bar, "export")
    _print_french(table, TIMELINE_COLUMNS[1:], LABELS_FR)
    for path in written:
        print(f"wrote {path}")
    return 0
