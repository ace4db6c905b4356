"""Alias of geo.shipped.build, kept for one release.

The module moved when the package was split into layers, then was split by job:
import geo.shipped.build (build_frames, build_data), geo.shipped.validate
(read_tables), geo.shipped.report (data_report, report_numbers, qpv_summary),
geo.shipped.diff (data_diff) or geo.shipped.tables (DATA_DIR, file names) instead.
"""

import importlib
import warnings
from typing import Any

warnings.warn(
    "geo.datasets moved; import geo.shipped.build (the old name goes away next release)",
    DeprecationWarning,
    stacklevel=2,
)

#: Where the public names of the old module live now.
_MODULES = (
    "geo.shipped.build",
    "geo.shipped.validate",
    "geo.shipped.report",
    "geo.shipped.diff",
    "geo.shipped.layers",
    "geo.shipped.tables",
)


def __getattr__(name: str) -> Any:
    modules = [importlib.import_module(m) for m in _MODULES]
    for module in modules:  # a public name first, where it is defined
        if name in getattr(module, "__all__", ()):
            return getattr(module, name)
    for module in modules:
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module 'geo.datasets' has no attribute {name!r}")
