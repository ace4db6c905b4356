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


# geo.analysis.observatory was split by job: its public names now live in these modules.
_MODULES = ("geo.analysis.observatory", "geo.analysis.summaries", "geo.analysis.timeline")


def __getattr__(name: str) -> Any:
    for module_name in _MODULES:
        module = importlib.import_module(module_name)
        if name in getattr(module, "__all__", ()):
            return getattr(module, name)
    return getattr(importlib.import_module(_MODULES[0]), name)
