"""The one way data reaches a map page (private; used by :mod:`geo.publish.maps`).

Every text that comes from a table (ids, names, sources, URLs, notes, extra
columns) and every string generated from it (link texts, legend entries,
search entries, titles) reaches the page as **one JSON data table**, made by
:func:`page_json` and embedded by :func:`json_block` as a
``<script type="application/json">`` element that the browser never runs.
The page's static JavaScript reads it with ``JSON.parse`` and builds every
popup, tooltip, list entry and legend line with ``textContent`` and DOM
calls, never with ``innerHTML``.

Why JSON with ``\\uXXXX`` escapes: ``<``, ``>`` and ``&`` cannot close the
script element or open a comment; ``'`` cannot end an attribute; and
``{``, ``}``, ``%`` and ``#`` cannot form a Jinja2 delimiter (``{{``,
``{%``, ``{#``), so even if some code renders the page text again as a
template (folium and branca do that with each element's output) the data
are inert. :func:`geo.publish.maps` inserts the block with an element that folium
never re-renders (see :class:`geo.publish.foliummap.RawHTML`), so the escapes are a
second line of defence, not the only one.

The only other place a data text may appear is the page ``<title>``, as HTML
text escaped by :func:`html_text` (the same string also travels in the JSON
table). Nothing here imports folium or jinja2.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["html_text", "json_block", "page_json"]

#: Characters written as ``\\uXXXX`` inside the JSON text.
ESCAPED = "<>&{}%#'\u2028\u2029"
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


def _clean(value: Any) -> Any:
    """Replace non-finite floats by ``None`` (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def page_json(value: Any) -> str:
    """Serialise ``value`` as JSON that is safe anywhere in an HTML page.

    Parameters
    ----------
    value
        JSON-compatible data (dicts, lists, strings, numbers, booleans,
        ``None``); non-finite floats become ``null``.

    Returns
    -------
    str
        JSON text in which ``<``, ``>``, ``&``, ``{``, ``}``, ``%``, ``#``,
        ``'`` and the line separators U+2028 and U+2029 appear inside
        strings only as ``\\uXXXX`` escapes. The braces of the JSON syntax
        remain, never as ``{{``, ``{%`` or ``{#``.

    Examples
    --------
    >>> print(page_json({"nom": "Atelier {# 2024 </script>"}))
    {"nom":"Atelier \\u007b\\u0023 2024 \\u003c/script\\u003e"}
    """
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # NaN or infinity somewhere: null instead
        text = json.dumps(
            _clean(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
    # outside strings JSON has only brackets, commas, colons, numbers and literals:
    # every special character is inside a string, and is escaped there
    return _STRING.sub(_escape_string, text)


def _escape_string(match: re.Match[str]) -> str:
    return match.group().translate(_JSON_ESCAPES)


# A JSON string literal as json.dumps writes it (keys included).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_ESCAPES = str.maketrans({c: f"\\u{ord(c):04x}" for c in ESCAPED})
_HTML_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#39;",
        "{": "&#123;",
        "}": "&#125;",
        "%": "&#37;",
        "#": "&#35;",
    }
)


def json_block(element_id: str, value: Any) -> str:
    """Return a ``<script type="application/json">`` element holding ``value``.

    Parameters
    ----------
    element_id
        The element's id (letters, digits, ``-`` and ``_``; made by the
        caller, never taken from data).
    value
        What :func:`page_json` serialises.

    Returns
    -------
    str
        The element's HTML.

    Raises
    ------
    ValueError
        An id that is not a plain identifier.
    """
    if not _ID.fullmatch(element_id):
        raise ValueError(f"not a plain element id: {element_id!r}")
    return (
        f'<script type="application/json" id="{element_id}" class="geo-map-data">'
        f"{page_json(value)}</script>"
    )


def html_text(value: Any) -> str:
    """Escape a text for an HTML text node (the ``<title>``), ``{``, ``}``, ``%``, ``#`` too.

    Examples
    --------
    >>> html_text("Calcul {{7*7}} <b>")
    'Calcul &#123;&#123;7*7&#125;&#125; &lt;b&gt;'
    """
    return str(value).translate(_HTML_ESCAPES)
