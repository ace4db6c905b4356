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

Layers the user adds with folium (``Marker`` with an ``Icon``, ``Popup``,
``GeoJson``, ``Choropleth``, plugins...) render as folium renders them: the
page then also loads the JavaScript and CSS that folium declares on its
``Map`` for such elements (:data:`USER_ASSETS`: jQuery for popups,
Leaflet.awesome-markers and its icon fonts for ``Icon``); plugins bring
their own. A ``LayerControl`` added by the user also lists the synergy
map's layers (``geoTzptce.joinControl`` in ``static/map.js``). Whatever the
user writes in their elements is theirs: it is rendered by folium, not by
this package's serialiser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.template import Template

__all__ = [
    "FIGURE_TEMPLATE",
    "FRAME_TITLE",
    "USER_ASSETS",
    "Map",
    "PageElement",
    "RawHTML",
    "page_figure",
    "user_asset_urls",
]

#: The accessible name of a map's frame in a notebook.
FRAME_TITLE = "Carte interactive des territoires zéro chômeur et des PTCE"

#: The assets folium's ``Map`` declares for the elements users add (folium's
#: own names and URLs): jQuery (``Popup`` with HTML), Leaflet.awesome-markers
#: and the glyphicon and Font Awesome fonts (``Icon``). Bootstrap is left out:
#: no map element needs it and its CSS would restyle the whole page.
USER_ASSETS = {
    "js": ("jquery", "awesome_markers"),
    "css": (
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    ),
}

#: d3 3.5.5, which branca's colour scales (the legend of a ``Choropleth``) load;
#: branca writes this URL in its ``ColorMap.render``, not in ``default_js``.
BRANCA_D3_JS = "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js"


def user_asset_urls() -> tuple[str, ...]:
    """Return the CDN URLs of :data:`USER_ASSETS` (folium's own) and branca's d3.

    What a page loads for the folium elements users commonly add, beside the
    synergy map's own assets; plugins declare more of their own.
    """
    js = [url for name, url in folium.Map.default_js if name in USER_ASSETS["js"]]
    css = [url for name, url in folium.Map.default_css if name in USER_ASSETS["css"]]
    return (*js, *css, BRANCA_D3_JS)


#: The page skeleton: folium's, with ``lang="fr"``, a viewport that allows
#: zooming and no empty inline script.
FIGURE_TEMPLATE = Template(
    "<!DOCTYPE html>\n"
    '<html lang="fr">\n'
    "<head>\n"
    '<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    "{% if this.title %}<title>{{this.title}}</title>{% endif %}"
    # Leaflet loads in the body, after the text alternative: the scripts that folium
    # elements put in the head (plugins, Icon's awesome-markers) then follow it there.
    "{% set late = 'leaflet' not in this.header._children %}"
    "{% for name, child in this.header._children.items() %}"
    "{% if not (late and child._name == 'JavascriptLink') %}"
    "{{ child.render(**kwargs) }}\n{% endif %}{% endfor %}"
    "</head>\n"
    "<body>\n<main>\n"
    "    {{this.html.render(**kwargs)}}\n</main>\n"
    "{% for name, child in this.header._children.items() %}"
    "{% if late and child._name == 'JavascriptLink' %}"
    "{{ child.render(**kwargs) }}\n{% endif %}{% endfor %}"
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
    """A folium map that loads Leaflet only and never locks the zoom.

    In a notebook (``_repr_html_``) the map's frame has a ``title``
    (:data:`FRAME_TITLE`, a fixed text: no data outside the page), so that
    screen readers name it.
    """

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

    def _repr_html_(self, **kwargs: Any) -> str:
        """Show the map in a notebook: folium's frame, named by :data:`FRAME_TITLE`."""
        out = super()._repr_html_(**kwargs)
        return out.replace("<iframe ", f'<iframe title="{FRAME_TITLE}" ', 1)


def _descendants(element: Element) -> Iterator[Element]:
    for child in element._children.values():
        yield child
        yield from _descendants(child)


def _user_elements(m: Element) -> list[Element]:
    """Elements of ``m`` that the user added (not this module's)."""
    return [
        e for e in _descendants(m) if not isinstance(e, PageElement | RawHTML | folium.TileLayer)
    ]


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
        parent = self._parent
        if parent is None:  # pragma: no cover - always added to a map
            return
        if _user_elements(parent):
            # what folium's Map declares for these elements (FIGURE_TEMPLATE writes
            # them after Leaflet when Leaflet loads in the body)
            for name, url in folium.Map.default_js:
                if name in USER_ASSETS["js"]:
                    figure.header.add_child(JavascriptLink(url), name=name)
            for name, url in folium.Map.default_css:
                if name in USER_ASSETS["css"]:
                    figure.header.add_child(CssLink(url), name=name)
        for child in list(parent._children.values()):
            if isinstance(child, folium.LayerControl):
                # the user's control is created after this script: join it once it exists
                call = f"geoTzptce.joinControl({self.map_name}, {child.get_name()});"
                figure.script.add_child(
                    RawHTML(f"setTimeout(function () {{ {call} }}, 0);"),
                    name=f"{self.get_name()}_{child.get_name()}",
                )
