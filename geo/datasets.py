"""Alias of geo.shipped.build, kept for one release.

The module moved when the package was split into layers: import geo.shipped.build instead.
"""

import importlib
import warnings
from typing import Any

warnings.warn(
    "geo.datasets moved; import geo.shipped.build (the old name goes away next release)",
    DeprecationWarning,
    stacklevel=2,
)


def __getattr__(name: str) -> Any:
    return getattr(importlib.import_module("geo.shipped.build"), name)
