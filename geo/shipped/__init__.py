"""Build, validate and report the data shipped with the package.

The GeoJSON layers of data/ are built from the sourced CSV tables, one job a module:
:mod:`~geo.shipped.tables` (the files and reading them), :mod:`~geo.shipped.referential`
(the COG, boundaries and QPV list they are checked against), :mod:`~geo.shipped.validate`
(:func:`~geo.shipped.validate.read_tables`), :mod:`~geo.shipped.layers` (a record and a
geometry per row), :mod:`~geo.shipped.build` (``build_frames``, ``build_data``),
:mod:`~geo.shipped.diff` (what changed between two builds) and :mod:`~geo.shipped.report`
(the quality report, in French).
"""
