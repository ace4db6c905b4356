"""The folium side of the synergy maps (private; used by :mod:`geo.publish.maps`).

folium and branca render each element's ``header``/``html``/``script`` macro,
wrap the output in a new ``jinja2.Template`` and render that again; any data
text inside such output would be evaluated as Jinja2. So no element here has
data in a template: the map's own templates hold only names and numbers set
in this module, and everything that comes from data is added to the page by
:class:`PageElement` as :class:`RawHTML` children, which return their text
as it is (no template, no second rendering). That text is made by
:func:`geo.publish.pagedata.json_block`, the one serialiser of page data.

Folium elements a synergy map uses, and why each is safe:

- :class:`Map` (``folium.Map``): its templates render the map's name,
  numbers and a fixed set of options given here; no viewport lock.
- :class:`PageElement` (a ``branca.element.MacroElement`` with no template):
  adds :class:`RawHTML` children only.
- the root ``branca.element.Figure``: its template is replaced by
  :data:`FIGURE_TEMPLATE` (``lang="fr"``); the ``<title>`` text is escaped by
  :func:`geo.publish.pagedata.html_text` and rendered once, never re-parsed.
"""

from __future__ import annotations

import re
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from folium.template import Template

__all__ = ["FIGURE_TEMPLATE", "Map", "PageElement", "RawHTML", "page_figure"]

#: The page skeleton: folium's, with ``lang="fr"``, a viewport that allows
#: zooming and no empty inline script.
FIGURE_TEMPLATE = Template(
    "<!DOCTYPE html>\n"
    '<html lang="fr">\n'
    "<head>\n"
    '<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    "{% if this.title %}<title>{{this.title}}</title>{% endif %}"
    "    {{this.header.render(**kwargs)}}\n"
    "</head>\n"
    "<body>\n<main>\n"
    "    {{this.html.render(**kwargs)}}\n</main>\n"
    "{% set script = this.script.render(**kwargs) %}"
    "{% if script.strip() %}<script>\n{{ script }}\n</script>\n{% endif %}"
    "</body>\n"
    "</html>\n"
)


_VIEWPORT = re.compile(r"<meta\s+name=\"viewport\"[^>]*>", re.DOTALL)


class RawHTML(Element):
    """A page fragment written as it is: no template, never rendered again.

    Only :class:`PageElement` creates these, with text from
    :mod:`geo.publish.pagedata` (data) or ``geo/publish/static/map.js`` (static code).
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RawHTML"
        self._text = text

    def render(self, **kwargs: Any) -> str:
        """Return the element's text as is (never rendered as a template)."""
        return self._text


class Map(folium.Map):
    """A folium map that loads Leaflet only and never locks the zoom."""

    default_js = []  # noqa: RUF012 (folium's attribute; PageElement adds the assets)
    default_css = []  # noqa: RUF012

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>#{{ this.get_name() }} { position: relative; width: 100%; height: 100%; }
            </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
            <div class="folium-map geo-map" id={{ this.get_name()|tojson }}></div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {
                    center: {{ this.location|tojson }},
                    crs: L.CRS.{{ this.crs }},
                    ...{{this.options|tojavascript}}
                }
            );
        {% endmacro %}
        """
    )


def page_figure(m: folium.Map) -> Figure:
    """Give ``m``'s page the French skeleton; return the root figure."""
    figure = m.get_root()
    if isinstance(figure, Figure):
        figure._template = FIGURE_TEMPLATE
    return figure  # type: ignore[return-value]


class PageElement(MacroElement):
    """Add one synergy map's assets, data table and start call to a folium page.

    Parameters
    ----------
    map_name
        The folium name of the map (``m.get_name()``), a plain identifier.
    head
        ``(name, html)`` fragments for ``<head>`` (description, CSS), in
        order; a name already on the page is written once.
    start
        JavaScript run after the map is created (names only, no data).
    body
        ``(name, html)`` fragments for the body, after the map's ``<div>``
        (text alternative, asset links, runtime, data block); a name already
        in the head (folium's own Leaflet links) or the body is written once.
    """

    _template = Template("")

    def __init__(
        self,
        map_name: str,
        head: list[tuple[str, str]],
        start: str,
        body: list[tuple[str, str]] = (),  # type: ignore[assignment]
    ) -> None:
        super().__init__()
        self._name = "GeoTzptcePage"
        self.map_name = map_name
        self.head = head
        self.body = list(body)
        self.start = start

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Add the element's scripts and styles to the figure."""
        figure = self.get_root()
        if not isinstance(figure, Figure):  # pragma: no cover - folium always has one
            return
        # a plain folium.Map locks the zoom (user-scalable=no): drop its viewport tag,
        # the page skeleton has one that allows zooming (folium's header holds no data)
        header = figure.header._children.get(self.map_name)
        source = getattr(header, "_template_str", None) or ""
        if "user-scalable" in source:
            figure.header._children[self.map_name] = RawHTML(_VIEWPORT.sub("", source))
        # the skeleton declares <meta charset>: a second declaration is invalid HTML
        figure.header._children.pop("meta_http", None)
        for name, text in self.head:
            figure.header.add_child(RawHTML(text), name=name)
        for name, text in self.body:
            if name not in figure.header._children:  # Leaflet already in a folium map's head
                figure.html.add_child(RawHTML(text), name=name)
        figure.script.add_child(RawHTML(self.start), name=self.get_name())
