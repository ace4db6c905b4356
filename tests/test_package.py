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


def test_subprocesses_import_this_checkout():
    # A `python -m geo` run by a test must test the code beside the tests, not the
    # checkout the venv's editable install points at (a git worktree has its own).
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run(
        [sys.executable, "-c", "import geo; print(geo.__file__)"],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    )
    here = Path(__file__).resolve().parent.parent / "geo" / "__init__.py"
    assert Path(done.stdout.strip()).resolve() == here
