"""The public API of the package."""

from __future__ import annotations


def test_every_public_name_resolves():
    import geo

    for name in geo.__all__:
        assert getattr(geo, name) is not None, name
    assert callable(geo.geocode)  # the function, not the module of the same name
