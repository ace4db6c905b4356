"""Everything that leaves the library for another tool.

Web maps, the static site, uMap files, charts, static maps and table exports. Publishers take
frames, not paths; only the CLI and geo/__init__ import this layer.
"""
