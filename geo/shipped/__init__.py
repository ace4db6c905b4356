"""Build, validate and report the data shipped with the package.

The GeoJSON layers of data/ are built from the sourced CSV tables.
"""
