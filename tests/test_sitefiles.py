"""The site's file names and its build-then-swap step: long, reserved, accented, colliding ids,
symbolic links out of OUT, failed builds, files of others kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import geo
import geo.publish.site as site_module
from geo.errors import DataSourceError, SchemaError
from geo.publish.site import build_site
from geo.publish.sitefiles import MANIFEST, MAX_SLUG, WINDOWS_RESERVED, slug

LONG = "Territoire " + "très " * 60 + "long"


@pytest.fixture(scope="module")
def small():
    """Three territories and three PTCE of Hauts-de-France."""
    territories = geo.load_territories()
    ptce = geo.load_ptce()
    return (
        territories[territories["region"] == "32"].head(3).copy(),
        ptce[ptce["region"] == "32"].head(3).copy(),
    )


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def test_slug_transliterates_caps_and_avoids_reserved_names():
    assert slug("Échirolles") == "echirolles"
    assert slug("Cœur-de-Savoie") == "coeur-de-savoie"
    long_a, long_b = slug(LONG + " A"), slug(LONG + " B")
    assert len(long_a) <= MAX_SLUG and long_a != long_b  # same start, own hash
    assert long_a[:60] == long_b[:60] and long_a == slug(LONG + " A")  # stable
    for name in ("con", "AUX", "nul", "Com1", "lpt9", "prn"):
        result = slug(name)
        assert result.lower() not in WINDOWS_RESERVED and result.startswith(name.lower() + "-")
    assert slug("???") != slug("!!!") and slug("???").startswith("x-")


def test_site_long_reserved_accented_ids(small, tmp_path):
    territories, ptce = small
    territories = territories.copy()
    territories["id"] = ["Échirolles", "con", LONG]
    build_site(tmp_path, territories=territories, ptce=ptce, tiles=False)  # used to fail
    names = {p.name for p in (tmp_path / "territoires").iterdir()}
    assert "echirolles.html" in names and "con.html" not in names
    assert slug("con") + ".html" in names and slug(LONG) + ".html" in names
    assert max(len(n) for n in names) <= MAX_SLUG + len(".html")
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for tid in territories["id"]:
        assert f'href="territoires/{slug(tid)}.html"' in index


def test_site_colliding_ids_named(small, tmp_path):
    territories, ptce = small
    territories = territories.copy()
    territories["id"] = ["Saint-Denis", "saint denis", "autre"]
    same = r"\['Saint-Denis', 'saint denis'\] -> saint-denis\.html"
    with pytest.raises(SchemaError, match=same):
        build_site(tmp_path / "out", territories=territories, ptce=ptce, tiles=False)
    assert not (tmp_path / "out").exists()


def test_site_refuses_symlink_out_of_out(small, tmp_path):
    territories, ptce = small
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep", encoding="utf-8")
    out = tmp_path / "site"
    out.mkdir()
    (out / "territoires").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DataSourceError, match=r"symbolic link .* lead out of the folder") as info:
        build_site(out, territories=territories, ptce=ptce, tiles=False)
    assert "territoires" in str(info.value) and "remove" in str(info.value)
    assert [p.name for p in outside.iterdir()] == ["precious.txt"]
    assert sorted(p.name for p in out.iterdir()) == ["territoires"]
    assert [p.name for p in tmp_path.iterdir() if ".tzptce-build-" in p.name] == []


def test_site_failed_build_leaves_previous_tree(small, tmp_path, monkeypatch):
    territories, ptce = small
    out = tmp_path / "site"
    build_site(out, territories=territories, ptce=ptce, tiles=False)
    before = _tree(out)

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(site_module, "_write_maps", broken)  # fails after pages and data
    changed = territories.assign(nom="Autre nom")
    with pytest.raises(OSError, match="No space left"):
        build_site(out, territories=changed, ptce=ptce, tiles=False)
    assert _tree(out) == before  # not half-built: every file as before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no staging folder left


def test_site_swap_keeps_foreign_files_drops_old_pages(small, tmp_path):
    territories, ptce = small
    out = tmp_path / "site"
    build_site(out, territories=territories, ptce=ptce, tiles=False)
    (out / "CNAME").write_text("carte.example\n", encoding="utf-8")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (out / "territoires" / "note-perso.txt").write_text("mine", encoding="utf-8")
    gone = out / "territoires" / f"{slug(territories['id'].iloc[-1])}.html"
    assert gone.is_file()
    build_site(out, territories=territories.head(2), ptce=ptce, tiles=False)
    assert (out / "CNAME").read_text(encoding="utf-8") == "carte.example\n"
    assert (out / ".git" / "HEAD").is_file()
    assert (out / "territoires" / "note-perso.txt").read_text(encoding="utf-8") == "mine"
    assert not gone.exists()
    listed = (out / MANIFEST).read_text(encoding="utf-8").splitlines()
    assert "CNAME" not in listed and "index.html" in listed
    assert os.listdir(tmp_path) == ["site"]


def test_site_swap_inside_a_mount_point(small, tmp_path, monkeypatch):
    territories, ptce = small
    out = tmp_path / "site"
    build_site(out, territories=territories, ptce=ptce, tiles=False)
    (out / "CNAME").write_text("carte.example\n", encoding="utf-8")
    gone = out / "territoires" / f"{slug(territories['id'].iloc[-1])}.html"
    real_ismount = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == out or real_ismount(p))
    build_site(out, territories=territories.head(2), ptce=ptce, tiles=False)
    assert (out / "CNAME").read_text(encoding="utf-8") == "carte.example\n"
    assert not gone.exists() and (out / "index.html").is_file()
    assert not [p for p in out.iterdir() if ".tzptce-build-" in p.name or ".tzptce-old-" in p.name]
    assert os.listdir(tmp_path) == ["site"]
