"""uMap's description syntax, written once: data stays text, links stay links.

uMap renders a popup by resolving ``{field}`` placeholders in the feature's
``description``, then turning line starts, ``**``, ``[[...]]``, ``{{...}}``, ``{{{...}}}``
and bare ``http(s)://`` text into HTML, then parsing the result as HTML (DOMPurify keeps
``a``, ``img``, ``iframe``); layer and map captions go through the same renderer
(uMap 3.8, ``umap/static/umap/js/modules/utils.js``: ``greedyTemplate``, ``toHTML``).

This module is the one serialiser of the uMap export for that target: every piece of uMap
syntax the export writes (headings, bold labels, links) is written here, and every value
from the data goes through :func:`umap_text`, which writes every character that is not a
letter, a digit or a space as an HTML character reference. None of uMap's patterns matches
such text (they all need literal punctuation), and the HTML parser turns the references
back into the very characters typed. Links are built only from ``http(s)`` URLs,
percent-encoded so that they cannot leave uMap's link syntax. Raw fields kept as feature
properties need none of this: uMap shows those as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from geo.publish.frtext import safe_url
from geo.publish.frtext import text as _text

__all__ = ["URL_SAFE", "umap_line", "umap_link", "umap_popup", "umap_text"]


def umap_text(value: Any) -> str:
    """Return data text that uMap shows exactly as typed, whatever its content.

    Every character that is not a letter, a digit or a space is written as an HTML
    character reference (``&#123;`` for ``{``). uMap's popup and caption renderer
    resolves ``{field}`` placeholders and turns ``[[...]]``, ``{{...}}``, ``{{{...}}}``,
    ``**``, line starts (``# ``, ``* ``, ``---``) and bare ``http(s):`` text into markup,
    then parses the result as HTML: every one of those patterns needs a literal
    punctuation character, so none matches, and the HTML parser turns each reference back
    into the character typed. Use it for text placed in a ``description`` (popups, layer
    and map captions), never for plain properties (uMap shows those as text).

    Parameters
    ----------
    value
        A cell from the data.

    Returns
    -------
    str
        The encoded text, stripped; ``""`` for missing values.

    Examples
    --------
    >>> umap_text("{{https://x.example/p.png}}")
    '&#123;&#123;https&#58;&#47;&#47;x&#46;example&#47;p&#46;png&#125;&#125;'
    >>> umap_text("Saint-Denis (93)")
    'Saint&#45;Denis &#40;93&#41;'
    """
    return "".join(c if c == " " or c.isalnum() else f"&#{ord(c)};" for c in _text(value))


# Kept as they are in a link target: they cannot start or end uMap's link syntax
# (``[[url|label]]``), a placeholder, an image or emphasis. ``&`` is written ``&amp;``.
URL_SAFE = "-.~:/?#@!$+,;=%&"


def umap_link(url: str, label: str | None = None) -> str:
    """Return uMap's link syntax for an ``http(s)`` URL, or ``""`` for anything else.

    The URL is percent-encoded except for the characters of :data:`URL_SAFE`
    (percent-encoding any other character gives an equivalent URL), so that it cannot
    close the link or open another construct; the label goes through :func:`umap_text`.

    Parameters
    ----------
    url
        A URL from the data; only absolute ``http``/``https`` URLs make a link.
    label
        Text of the link; the URL's host when ``None``.

    Returns
    -------
    str
        ``[[url|label]]``, or ``""``.

    Examples
    --------
    >>> umap_link("https://ex.org/a?b=1&c=[2]")
    '[[https://ex.org/a?b=1&amp;c=%5B2%5D|ex&#46;org]]'
    >>> umap_link("javascript:alert(1)")
    ''
    """
    safe = safe_url(url)
    if safe is None:
        return ""
    # "_" too: uMap turns "h_t_t_p" into "http" (an unreserved character may always be
    # percent-encoded: RFC 3986, 2.3).
    target = quote(safe, safe=URL_SAFE).replace("_", "%5F").replace("&", "&amp;")
    text = label if label is not None else (urlsplit(safe).hostname or safe)
    return f"[[{target}|{umap_text(text)}]]"


def umap_line(label: str, value: str) -> str:
    """Return ``**label** : value``, one line of a popup; ``""`` when ``value`` is empty.

    ``label`` is this package's own text, never data; ``value`` is data that went through
    :func:`umap_text` or :func:`umap_link`.

    Examples
    --------
    >>> umap_line("Porteur", umap_text("A*B"))
    '**Porteur** : A&#42;B'
    >>> umap_line("Porteur", "")
    ''
    """
    return f"**{label}** : {value}" if value else ""


def umap_popup(title: str, lines: Iterable[str]) -> str:
    """Return a popup's text: a ``# title`` heading, then the lines that are not empty.

    ``title`` is data that went through :func:`umap_text`; ``lines`` come from
    :func:`umap_line`.

    Examples
    --------
    >>> print(umap_popup("Pôle", [umap_line("Siège", "Lyon"), ""]))
    # Pôle
    **Siège** : Lyon
    """
    return "\n".join([f"# {title}", *(line for line in lines if line)])
