"""WCAG contrast of colours as a browser computes them, for the map tests.

``contrast(fg, bg, alpha)`` is the WCAG 2 contrast ratio of ``fg`` drawn at ``alpha`` over
``bg`` (relative luminance of sRGB colours); ``rgba(css)`` reads a computed CSS colour.
``POSITRON_LAND`` is the land colour of "Positron" (CARTO light_all), the default background
of a new uMap map.
"""

from __future__ import annotations

import re

POSITRON_LAND = (250, 250, 248)


def rgba(css: str) -> tuple[tuple[float, float, float], float]:
    """A CSS colour (``rgb(...)``, ``rgba(...)``, ``#rrggbb``, ``#rgb``): RGB and alpha."""
    if css.startswith("#"):
        h = css.lstrip("#")
        h = "".join(c * 2 for c in h) if len(h) == 3 else h
        r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
        return (r, g, b), 1.0
    numbers = [float(x) for x in re.findall(r"[\d.]+", css)]
    assert len(numbers) in (3, 4), css
    r, g, b = numbers[:3]
    return (r, g, b), (numbers[3] if len(numbers) == 4 else 1.0)


def _luminance(rgb) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg, bg, alpha: float = 1.0) -> float:
    """WCAG contrast ratio of ``fg`` drawn at ``alpha`` over ``bg``.

    >>> round(contrast((0, 0, 0), (255, 255, 255)), 1)
    21.0
    >>> round(contrast((217, 95, 2), (242, 242, 242), 0.5), 2)  # issue 20: TH at uMap's 0.5
    1.83
    """
    mixed = tuple(alpha * f + (1 - alpha) * b for f, b in zip(fg, bg, strict=True))
    hi, lo = sorted((_luminance(mixed), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
