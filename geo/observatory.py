"""Alias of geo.analysis.observatory, kept for one release.

The module moved when the package was split into layers: import geo.analysis.observatory
instead.
"""

import importlib
import warnings
from typing import Any

warnings.warn(
    "geo.observatory moved; import geo.analysis.observatory (the old name goes away next release)",
    DeprecationWarning,
    stacklevel=2,
)


def __getattr__(name: str) -> Any:
    return getattr(importlib.import_module("geo.analysis.observatory"), name)
