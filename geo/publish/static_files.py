"""The browser's files shipped with the package: ``geo/publish/static/*.js`` and ``*.css``.

The map runtime (``map.js``, ``map.css``) and the site's stylesheet and script (``site.css``,
``site.js``) are real files, linted with eslint and unit-tested with Node's test runner; this
module only reads them at build time, to inline them in a page or to write them beside it.
No data is ever formatted into them.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

__all__ = ["static_text"]


@cache
def static_text(name: str) -> str:
    """Return the text of one shipped browser file.

    Parameters
    ----------
    name
        The file's name in ``geo/publish/static/``, e.g. ``"map.js"``.

    Returns
    -------
    str
        Its UTF-8 text.

    Examples
    --------
    >>> "geoTzptce" in static_text("map.js")
    True
    """
    return (files("geo.publish") / "static" / name).read_text(encoding="utf-8")
