"""Measurements and the observatory's questions.

Synergies (overlap and proximity in each zone's legal metric CRS), nearest PTCE, opportunities,
radius sensitivity and the timeline. Takes frames, returns frames; never reads a user's files
nor writes pages.
"""
