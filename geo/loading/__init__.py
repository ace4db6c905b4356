"""Read a user's (or the shipped) territories and PTCE into checked frames.

Imports geo.reference and geo._core; knows nothing of analysis or publishing.
"""
