"""The one view of an area: which territories, PTCE and links an output shows.

A national map, a région or département map, the uMap export, the site's
région pages and the command line's summaries all ask :func:`area_view` what
to show, so that they never disagree (issue 18: for Bretagne the map showed 10
territories and the uMap export 8). The rule, written once:

- **national**: every territory and PTCE, every link between them;
- **région / département**: the territories and PTCE *of* the area (their
  ``region``/``region_nom`` or ``departement`` column, :func:`geo.reference.areas.in_area`),
  every link with one end in the area, and the partners at the other end of
  those links, even across the area's border (``own_*`` keeps the area's own);
- **territory**: that territory, its links and their PTCE.

A PE whose ``statut_detail`` says the project is blocked or stopped is not an
active PE: it is left out unless ``include_stopped=True`` (or asked for by id),
and the view counts those it leaves out (``stopped_ids``) for the outputs to say so.

An unknown région, département or territory id raises one error class,
:class:`geo.reference.areas.UnknownAreaError`, with the closest names ("did you
mean"). This module only selects rows: it draws nothing and reads no file.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo._core.text import closest
from geo.errors import ArgumentError
from geo.publish.frtext import text as _text
from geo.reference import cog
from geo.reference.areas import EmptyAreaError, UnknownAreaError, area_code, area_name, in_area

__all__ = ["AreaView", "area_view"]


@dataclass(frozen=True)
class AreaView:
    """What an output of one area shows (see the module documentation)."""

    kind: str  #: ``national``, ``region``, ``departement`` or ``territory``
    code: str | None  #: INSEE code of the area, or the territory id
    label: str  #: French name: ``"France"``, ``"Bretagne"``, ``"Yvelines (78)"``...
    territory_ids: frozenset[str]  #: every territory shown
    ptce_ids: frozenset[str]  #: every PTCE shown
    own_territory_ids: frozenset[str]  #: the territories of the area itself
    own_ptce_ids: frozenset[str]  #: the PTCE of the area itself
    links: pd.DataFrame  #: the links shown (rows of the synergy table given)
    #: the blocked or stopped PE of the area that the view leaves out
    stopped_ids: frozenset[str] = frozenset()

    def title(self, base: str) -> str:
        """Return the title of an output of this view, from the general ``base``.

        ``base`` for a national view, ``base — <area>`` for a région or a
        département, ``<territory> : PTCE et synergies`` for a territory.

        Examples
        --------
        >>> view = AreaView("region", "53", "Bretagne", frozenset(), frozenset(),
        ...                 frozenset(), frozenset(), pd.DataFrame())
        >>> view.title("Territoires zéro chômeur et PTCE")
        'Territoires zéro chômeur et PTCE — Bretagne'
        >>> AreaView("territory", "t1", "Les Mureaux", frozenset(), frozenset(), frozenset(),
        ...          frozenset(), pd.DataFrame()).title("Territoires zéro chômeur et PTCE")
        'Les Mureaux : PTCE et synergies'
        """
        if self.kind == "territory":
            return f"{self.label} : PTCE et synergies"
        return base if self.kind == "national" else f"{base} — {self.label}"

    def territories(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return the rows of ``frame`` shown by this view, in their order."""
        return frame[frame["id"].map(_text).isin(self.territory_ids)]

    def ptce(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return the PTCE rows of ``frame`` shown by this view, in their order."""
        return frame[frame["id"].map(_text).isin(self.ptce_ids)]


def _stopped(territories: pd.DataFrame) -> pd.Series:
    """Territories whose source says the project is blocked or stopped."""
    if "statut_detail" not in territories.columns:
        return pd.Series(False, index=territories.index)
    return territories["statut_detail"].map(_text) != ""


def _label(kind: str, code: str) -> str:
    if kind == "region":
        names = dict(zip(cog.regions()["code"], cog.regions()["nom"], strict=True))
        return names.get(code, code)
    names = dict(zip(cog.departements()["code"], cog.departements()["nom"], strict=True))
    return f"{names[code]} ({code})" if code in names else code


def area_view(
    territories: pd.DataFrame,
    ptce: pd.DataFrame,
    links: pd.DataFrame,
    *,
    region: str | None = None,
    departement: str | None = None,
    territory: str | None = None,
    include_stopped: bool = False,
) -> AreaView:
    """Decide which territories, PTCE and links an output of an area shows.

    Parameters
    ----------
    territories, ptce
        Tables with an ``id`` column (and ``region``/``region_nom``,
        ``departement``, ``nom``, ``statut_detail`` when present).
    links
        A synergy table (``territory_id``, ``ptce_id``, ``relation``...).
    region, departement, territory
        At most one: a région or département (code or name, as
        :func:`geo.reference.areas.in_area` reads them), or a territory id.
        None of them: the national view.
    include_stopped
        Keep the PE whose ``statut_detail`` says the project is blocked or
        stopped (left out by default: they are not active PE).

    Returns
    -------
    AreaView

    Raises
    ------
    UnknownAreaError
        An unknown région or département (with the closest names), an
        unknown territory id (with the closest ids), or an area with no
        territory and no PTCE (:class:`geo.reference.areas.EmptyAreaError`,
        naming the area's code and name).
    ArgumentError
        Several of ``region``, ``departement``, ``territory``.
    """
    given = {
        k: v
        for k, v in (("region", region), ("departement", departement), ("territory", territory))
        if v is not None and str(v).strip()
    }
    if len(given) > 1:
        raise ArgumentError(
            f"only one of region=, departement=, territory= may be given, got {given}"
        )
    t_ids = territories["id"].map(_text)
    p_ids = ptce["id"].map(_text)
    stopped = _stopped(territories)
    active = t_ids[~stopped] if not include_stopped else t_ids
    kind, value = next(iter(given.items()), ("national", None))
    link_t = links["territory_id"].map(_text) if len(links) else pd.Series([], dtype=object)
    link_p = links["ptce_id"].map(_text) if len(links) else pd.Series([], dtype=object)
    known = link_t.isin(set(t_ids)) & link_p.isin(set(p_ids))
    if kind == "territory":
        tid = _text(value)
        if tid not in set(t_ids):
            close = closest(tid, list(t_ids))
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise UnknownAreaError(
                f"territory {tid!r}: no territory with this id{hint} (python -m geo data ids)"
            )
        own_t, own_p, inside = {tid}, set(), {tid}
        name = territories.loc[t_ids == tid, "nom"].map(_text)
        label = name.iloc[0] if "nom" in territories.columns and len(name) else tid
        code: str | None = tid
    elif kind == "national":
        own_t, own_p, label, code = set(active), set(p_ids), "France", None
        inside = set(t_ids)
    else:
        code = area_code(value, kind) if _is_known(value, kind) else _text(value)
        inside = _inside(territories, t_ids, kind, value)
        own_p = _inside(ptce, p_ids, kind, value)
        if not inside and not own_p:
            # the same message for 2a, 2A and Corse-du-Sud: the area's code and name
            raise EmptyAreaError(f"no territory or PTCE in {area_name(value, kind)}")
        own_t = inside & set(active)  # may be empty: only stopped projects there
        label = _label(kind, code)
    shown_links = known & link_t.isin(set(active) | own_t)
    if kind != "national":
        shown_links &= link_t.isin(own_t) | link_p.isin(own_p)
    chosen = links[shown_links.to_numpy()] if len(links) else links
    shown_t = own_t | set(link_t[shown_links])
    return AreaView(
        kind=kind,
        code=code,
        label=label,
        territory_ids=frozenset(shown_t),
        ptce_ids=frozenset(own_p | set(link_p[shown_links])),
        own_territory_ids=frozenset(own_t),
        own_ptce_ids=frozenset(own_p),
        links=chosen,
        stopped_ids=frozenset((inside & set(t_ids[stopped])) - shown_t),
    )


def _inside(frame: pd.DataFrame, ids: pd.Series, kind: str, value: object) -> set[str]:
    """Ids of the rows of ``frame`` in the area (none when it has no such column)."""
    columns = ("region", "region_nom") if kind == "region" else ("departement",)
    if not any(c in frame.columns for c in columns):
        return set()
    if kind == "region" and "region" not in frame.columns:
        frame = frame.assign(region=frame["region_nom"])
    return set(ids[in_area(frame, **{kind: str(value)}).to_numpy()])


def _is_known(value: object, kind: str) -> bool:
    """Whether the COG knows this région or département (else rows may spell it so)."""
    try:
        area_code(value, kind)
    except UnknownAreaError:
        return False
    return True
