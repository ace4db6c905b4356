"""Official reference data: COG, commune boundaries, QPV, lookup, geocoding.

Its areas, boundary sources, name lookup and the placement of points on communes. Imports only
geo._core and the top-level base modules (errors, settings, schema, crs).
"""
