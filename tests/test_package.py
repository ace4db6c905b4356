"""The public API of the package."""

from __future__ import annotations


def test_every_public_name_resolves():
    import geo

    for name in geo.__all__:
        assert getattr(geo, name) is not None, name
    assert callable(geo.geocode)  # the function, not the module of the same name


def test_every_error_lists_its_problems():
    from geo import errors

    for cls in (
        errors.CRSError,
        errors.DataSourceError,
        errors.InvalidGeometryError,
        errors.SchemaError,
        errors.UnknownCommuneError,
    ):
        single = cls("one problem")
        assert single.problems == ["one problem"] and str(single) == "one problem"
        assert cls("2 problems", ["a", "b"]).problems == ["a", "b"]
    assert isinstance(errors.DataSourceError("x"), OSError)
    assert isinstance(errors.AmbiguousCommuneError("x"), LookupError)
