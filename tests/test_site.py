"""Static site: built once, served by a real HTTP server, opened in headless Chromium.

The full site of the shipped data is built once per session; the tests that
need other builds (determinism, offline, hostile data, CLI) use a small
subset of the data.
"""

from __future__ import annotations

import filecmp
import functools
import html
import json
import re
import shutil
import threading
import urllib.request
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import jinja2
import pytest
from jinja2.sandbox import SandboxedEnvironment

import geo
from geo import cli
from geo.errors import ArgumentError, SchemaError
from geo.publish import assets as _assets
from geo.publish.site import MANIFEST, build_site
from geo.publish.site_templates import PAGE_TEMPLATES, SiteTemplates
from tests.conftest import BrowserPage, npm_file, nu_errors

SHIPPED_TEMPLATES = Path(geo.__file__).resolve().parent / "publish" / "templates"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORTS = {"desktop": (1366, 768), "phone": (390, 844)}
XSS = '<img src=x onerror="window.__xss=1">'


# --------------------------------------------------------------------------- servers


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class StaticServer:
    """A threaded http.server on 127.0.0.1 serving one folder, as a static host would."""

    def __init__(self, root: Path) -> None:
        handler = functools.partial(_Quiet, directory=str(root))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The full site of the shipped data, served on 127.0.0.1 (built once)."""
    root = tmp_path_factory.mktemp("site")
    server = StaticServer(root)
    report = build_site(root, base_url=server.url, separate_assets=True)
    yield root, server.url, report
    server.close()


@pytest.fixture(scope="session")
def subset():
    """Territories and PTCE of two régions (Hauts-de-France, La Réunion)."""
    territories = geo.load_territories()
    ptce = geo.load_ptce()
    keep = ["32", "04"]
    return (
        territories[territories["region"].isin(keep)].copy(),
        ptce[ptce["region"].isin(keep)].copy(),
    )


# --------------------------------------------------------------------------- links


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []
        self.ids: set[str] = set()
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name):
                self.refs.append((tag, attrs[name]))
        executable = attrs.get("type") in (None, "", "text/javascript", "module")
        if tag == "script" and not attrs.get("src") and executable:  # JSON data blocks are not
            self._in_script = True

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _site_pages(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.html") if not p.relative_to(root).parts[0] == "cartes")


def test_link_checker_every_internal_link_and_asset_resolves(site):
    root, url, report = site
    pages = sorted(root.rglob("*.html"))
    assert report.pages == len(pages)
    targets: dict[str, str] = {}  # URL -> the page that links to it
    anchors: list[tuple[Path, str, str]] = []
    for page in pages:
        page_url = url + page.relative_to(root).as_posix()
        for _, ref in _parse(page).refs:
            absolute = urljoin(page_url, ref)
            if not absolute.startswith(url):
                assert urlsplit(absolute).scheme in ("http", "https"), (page, ref)  # CDN, sources
                continue
            parts = urlsplit(absolute)
            targets.setdefault(parts._replace(fragment="").geturl(), str(page))
            if parts.fragment and "=" not in parts.fragment:
                anchors.append((page, parts.path, parts.fragment))
    assert len(targets) > len(pages)  # pages, assets, data files
    for target, source in sorted(targets.items()):
        with urllib.request.urlopen(target, timeout=10) as response:
            assert response.status == 200, (target, source)
    for page, path, fragment in anchors:
        ids = _parse(root / unquote(path).lstrip("/")).ids
        assert fragment in ids, (page, path, fragment)
    # every page of the site is reachable from index.html
    seen, todo = set(), [root / "index.html"]
    while todo:
        page = todo.pop()
        if page in seen or page.suffix != ".html":
            continue
        seen.add(page)
        for _, ref in _parse(page).refs:
            target = urljoin(url + page.relative_to(root).as_posix(), ref)
            if target.startswith(url):
                todo.append(root / unquote(urlsplit(target).path).lstrip("/"))
    assert set(pages) <= seen, sorted(set(pages) - seen)[:5]


def test_site_layout_sizes_and_report(site):
    root, url, report = site
    territories = geo.load_territories()
    ids = sorted(territories["id"])
    assert sorted(p.stem for p in (root / "territoires").glob("*.html")) == ids
    regions = sorted(set(territories["region"]) | set(geo.load_ptce()["region"]) - {""})
    assert sorted(p.stem for p in (root / "regions").glob("*.html")) == regions
    assert sorted(p.stem for p in (root / "cartes" / "regions").glob("*.html")) == regions
    for name in (
        "territoires.geojson",
        "territoires.csv",
        "ptce.geojson",
        "ptce.csv",
        "synergies.csv",
        "synergies.xlsx",
        "opportunites.csv",
        "opportunites.xlsx",
        "opportunites-ptce.csv",
        "evolution.csv",
        "carte.umap",
        "carte-en-ligne.umap",
        "index.html",
    ):
        assert (root / "donnees" / name).stat().st_size > 0, name
    # the uMap map that republishing updates: its layers read the site's own files
    online = json.loads((root / "donnees" / "carte-en-ligne.umap").read_text(encoding="utf-8"))
    for layer in online["layers"]:
        remote = layer["_umap_options"]["remoteData"]["url"]
        assert remote.startswith(url + "donnees/carte-en-ligne-"), remote
        assert (root / "donnees" / remote.rsplit("/", 1)[1]).is_file(), remote
    sizes = {p: p.stat().st_size for p in root.rglob("*") if p.is_file() and p.name != MANIFEST}
    assert report.files == len(sizes)
    assert report.total_bytes == sum(sizes.values())
    largest = max((p for p in sizes if p.suffix == ".html"), key=sizes.get)
    assert report.largest_page_bytes == sizes[largest]
    assert str(report).startswith(f"{report.files} files")
    manifest = (root / MANIFEST).read_text(encoding="utf-8").splitlines()
    assert manifest == sorted(p.relative_to(root).as_posix() for p in sizes)


def test_pages_french_accessible_structure_public_fields(site):
    root, url, _ = site
    internal = set()
    for frame in (geo.load_territories(), geo.load_ptce()):
        internal |= {n for n in frame["notes"] if isinstance(n, str) and len(n) > 25}
    for page in _site_pages(root):
        text = page.read_text(encoding="utf-8")
        assert text.startswith('<!DOCTYPE html>\n<html lang="fr">'), page
        assert '<a class="skip" href="#contenu">Aller au contenu</a>' in text
        assert '<main id="contenu"' in text and text.count("<h1>") == 1, page
        assert "user-scalable" not in text and "maximum-scale" not in text
        assert _parse(page).inline_scripts == 0, page  # CSP: script-src 'self'
        assert "NO-PUBLIC-SOURCE-FOUND" not in text, page
        assert not any(note in text for note in internal), page
    mureaux = (root / "territoires" / "les-mureaux.html").read_text(encoding="utf-8")
    assert "est un territoire habilité" in mureaux
    assert '<h2 id="ptce">PTCE partenaires</h2>' in mureaux and "chevauchement" in mureaux
    assert f'href="{url}territoires/les-mureaux.html"' in mureaux  # permalink
    assert "Précision du périmètre" in mureaux and "Population" in mureaux
    category = geo.opportunities(geo.load_territories(), geo.load_ptce()).set_index("territory_id")
    assert category.loc["les-mureaux", "category"] == "co-localisé"  # a seed pair
    assert "<dt>Catégorie (observatoire)</dt><dd>co-localisé : " in mureaux
    snippet = re.search(r"<textarea[^>]*>(.*?)</textarea>", mureaux, re.S).group(1)
    snippet = html.unescape(snippet)  # the textarea's text, as the browser shows it
    assert "allowfullscreen" in snippet and 'title="Carte : ' in snippet
    # a map of its own opened on it: a fraction of the national map's weight
    assert f'src="{url}cartes/territoires/les-mureaux.html#territoire=les-mureaux"' in snippet
    national = (root / "cartes" / "france.html").stat().st_size
    own = []
    for page in (root / "territoires").glob("*.html"):
        found = re.search(r'<iframe class="map" src="\.\./([^"#]+)#territoire=', page.read_text())
        assert found, page
        if found.group(1) != "cartes/france.html":  # the few territories with no perimeter
            own.append((root / found.group(1)).stat().st_size)
    assert len(own) == sum(geo.load_territories().geometry.notna())
    assert max(own) < national / 2, (max(own), national)
    index = (root / "index.html").read_text(encoding="utf-8")
    for label in ("territoires habilités (TH)", "projets émergents (PE)", "TH isolés"):
        assert label in index
    isolated = category[(category["territory_statut"] == "TH") & (category["category"] == "isolé")]
    assert f'<span class="n">{len(isolated)}</span> TH isolés' in index
    # the timeline chart and its data table, from geo.timeline
    assert '<img src="assets/evolution.svg"' in index and 'alt="Graphique de' in index
    years = geo.timeline(geo.load_territories(), geo.load_ptce())
    th_2022 = int(years.set_index("period").loc["2022", "th_total"])
    assert re.search(rf'<th scope="row">2022</th><td class="num">{th_2022}</td>', index)
    assert "date inconnue" in index
    data_page = (root / "donnees" / "index.html").read_text(encoding="utf-8")
    assert "Licence Ouverte" in data_page and "COG 2025" in data_page


def test_csp_friendly_map_pages_share_their_code(site):
    root, _, _ = site
    maps_pages = sorted((root / "cartes").rglob("*.html"))
    located = sum(geo.load_territories().geometry.notna())
    assert len(maps_pages) == 1 + len(list((root / "regions").glob("*.html"))) + located
    shared = sorted(p.name for p in (root / "assets").glob("carte-*"))
    assert sorted(Path(n).suffix for n in shared) == [".css", ".js"]  # once for all maps
    for page in maps_pages:
        text = page.read_text(encoding="utf-8")
        parsed = _parse(page)
        assert parsed.inline_scripts == 0 and "<style>" not in text, page
        local = {ref for _, ref in parsed.refs if not ref.startswith("https://")}
        assert {Path(ref).name for ref in local} == set(shared), page
        for tag in re.findall(r"<(?:script|link)[^>]+https://[^>]+>", text):
            assert 'integrity="sha384-' in tag and 'crossorigin="anonymous"' in tag, tag
    assert not list((root / "cartes").rglob("*.js")) and not list((root / "cartes").rglob("*.css"))


def test_downloads_public_fields_only(site):
    root, _, _ = site
    territories = json.loads((root / "donnees" / "territoires.geojson").read_text("utf-8"))
    ptce = json.loads((root / "donnees" / "ptce.geojson").read_text("utf-8"))
    for collection, table in (
        (territories, "territories"),
        (ptce, "ptce"),
    ):
        keys = {k for f in collection["features"] for k in f["properties"]}
        assert keys == set(geo.schema.field_names(table, public=True))
        sources = " ".join(f["properties"].get("sources") or "" for f in collection["features"])
        assert "NO-PUBLIC-SOURCE-FOUND" not in sources
    ids = [f["properties"]["id"] for f in territories["features"]]
    assert ids == sorted(ids) == sorted(geo.load_territories()["id"])
    header = (root / "donnees" / "ptce.csv").read_text("utf-8").splitlines()[0].split(",")
    assert header[-2:] == ["longitude", "latitude"] and "notes" not in header


# --------------------------------------------------------------------------- determinism


def _tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.mark.slow
def test_two_builds_identical_trees(subset, tmp_path):
    territories, ptce = subset
    first = build_site(tmp_path / "a", territories=territories, ptce=ptce)
    second = build_site(tmp_path / "b", territories=territories.iloc[::-1], ptce=ptce.iloc[::-1])
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert a == b and len(a) == first.files + 1  # + the manifest
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", a, shallow=False)
    assert mismatch == [] and errors == []
    assert first.total_bytes == second.total_bytes
    # a rebuild in place rewrites the same bytes and leaves the site's own files alone
    (tmp_path / "a" / "CNAME").write_text("carte.example.org\n")
    (tmp_path / "a" / "territoires" / "ancien.html").write_text("old")
    manifest = tmp_path / "a" / MANIFEST
    manifest.write_text(manifest.read_text() + "territoires/ancien.html\n")
    build_site(tmp_path / "a", territories=territories.iloc[1:], ptce=ptce)
    assert (tmp_path / "a" / "CNAME").is_file()
    assert not (tmp_path / "a" / "territoires" / "ancien.html").exists()
    gone = sorted(territories["id"])[0]
    assert not (tmp_path / "a" / "territoires" / f"{gone}.html").exists()


def test_build_errors(subset, tmp_path):
    territories, ptce = subset
    with pytest.raises(ArgumentError, match="base_url"):
        build_site(tmp_path, territories=territories, ptce=ptce, base_url="javascript:x")
    with pytest.raises(ArgumentError, match="assets fetch"):
        build_site(tmp_path, territories=territories, ptce=ptce, offline=True)
    with pytest.raises(SchemaError, match="statut"):
        build_site(tmp_path, territories=territories.drop(columns="statut"), ptce=ptce)
    assert list(tmp_path.iterdir()) == []


def test_cli_site(subset, tmp_path, capsys):
    territories, ptce = subset
    territories.to_file(tmp_path / "t.geojson", driver="GeoJSON")
    ptce.to_file(tmp_path / "p.geojson", driver="GeoJSON")
    code = cli.main(
        [
            "site",
            str(tmp_path / "out"),
            "--territories",
            str(tmp_path / "t.geojson"),
            "--ptce",
            str(tmp_path / "p.geojson"),
            "--base-url",
            "https://carte.example.org/tz",
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "pages, largest" in out.out
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert 'href="https://carte.example.org/tz/index.html"' in page  # canonical, slash added
    assert cli.main(["site", str(tmp_path / "x"), "--offline"]) == 2


# --------------------------------------------------------------------------- templates


def test_template_syntax_in_data_stays_text(subset, tmp_path):
    # the mutant: a page built with from_string(data) or a |safe on a data field
    territories, ptce = subset
    territories, ptce = territories.copy(), ptce.copy()
    first, p_first = territories.index[0], ptce.index[0]
    name = "{{7*7}} {% if true %}oui{% endif %} {{ config }}"
    territories.loc[first, "nom"] = name
    territories.loc[first, "ebe"] = "{{ ''.__class__ }}"
    ptce.loc[p_first, "nom"] = "{#7*7#} <b>gras</b>"
    build_site(tmp_path, territories=territories, ptce=ptce)
    page = (tmp_path / "territoires" / f"{territories.loc[first, 'id']}.html").read_text("utf-8")
    assert f"<h1>{name}</h1>" in page and f"<title>{name} – " in page
    assert "<dd>{{ &#39;&#39;.__class__ }}</dd>" in page
    assert "49" not in page.replace("2049", "")  # no 7*7 anywhere
    index = (tmp_path / "index.html").read_text("utf-8")
    assert f">{name}</a></th>" in index
    region = (tmp_path / "regions" / f"{ptce.loc[p_first, 'region']}.html").read_text("utf-8")
    assert '<th scope="row">{#7*7#} &lt;b&gt;gras&lt;/b&gt;</th>' in region


def test_site_templates_are_files_in_a_strict_sandbox(tmp_path):
    shipped = SiteTemplates().environment
    assert isinstance(shipped, SandboxedEnvironment)
    assert shipped.autoescape is True and shipped.undefined is jinja2.StrictUndefined
    assert isinstance(shipped.loader, jinja2.PackageLoader)
    assert sorted(shipped.list_templates()) == sorted(
        p.name for p in SHIPPED_TEMPLATES.glob("*.html")
    )
    assert set(PAGE_TEMPLATES) | {"base.html", "macros.html"} == set(shipped.list_templates())
    own = SiteTemplates(tmp_path).environment.loader
    assert isinstance(own, jinja2.ChoiceLoader)
    assert [type(loader) for loader in own.loaders] == [
        jinja2.FileSystemLoader,
        jinja2.PackageLoader,
    ]
    assert own.loaders[0].searchpath == [str(tmp_path)]


def test_webmaster_templates_replace_the_shipped_ones(subset, tmp_path):
    territories, ptce = subset
    folder = tmp_path / "gabarits"
    folder.mkdir()
    base = (SHIPPED_TEMPLATES / "base.html").read_text(encoding="utf-8")
    banner = '<div class="bandeau">Réseau — {{ site_title }}</div>\n'
    (folder / "base.html").write_text(base.replace("<body>\n", "<body>\n" + banner))
    build_site(tmp_path / "out", territories=territories, ptce=ptce, templates=folder)
    pages = _site_pages(tmp_path / "out")
    assert len(pages) > 10
    shown = '<div class="bandeau">Réseau — Territoires zéro chômeur et PTCE</div>'
    assert [p.name for p in pages if shown not in p.read_text(encoding="utf-8")] == []
    territory = tmp_path / "out" / "territoires" / f"{territories['id'].iloc[0]}.html"
    assert '<h2 id="fiche">Fiche du territoire</h2>' in territory.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("template", "text", "match"),
    [
        ("base.html", "<p>{% if x %}</p>\n", r"base\.html, line 1 .*gabarits"),  # syntax
        (
            "region.html",
            '{% extends "base.html" %}\n{% block body %}{{ regoin }}{% endblock %}',
            r"region\.html, line 2 .*'regoin' is undefined",
        ),
        (
            "data.html",
            "<p>{{ ''.__class__.__mro__ }}</p>",
            r"data\.html, line 1 .*unsafe",
        ),  # sandbox
    ],
)
def test_broken_webmaster_templates_are_named(subset, tmp_path, template, text, match):
    territories, ptce = subset
    (tmp_path / "gabarits").mkdir()
    (tmp_path / "gabarits" / template).write_text(text, encoding="utf-8")
    with pytest.raises(ArgumentError, match=match):
        build_site(
            tmp_path / "out", territories=territories, ptce=ptce, templates=tmp_path / "gabarits"
        )


def test_templates_option_must_be_a_folder(subset, tmp_path):
    territories, ptce = subset
    with pytest.raises(ArgumentError, match=r"templates=.*expected a folder"):
        build_site(tmp_path, territories=territories, ptce=ptce, templates=tmp_path / "none")
    assert not list(tmp_path.iterdir())  # checked before anything is written


# --------------------------------------------------------------------------- browser


#: One site visit: a desktop window with axe-core in every frame.
Visit = functools.partial(BrowserPage, viewport=(1366, 768), axe=True)


def _axe(page) -> list[dict]:
    """Run axe-core on the page and its map frame (axe is in every frame: init script)."""
    # From file:// axe cannot fetch the stylesheets it preloads (CORS): it reads the CSSOM.
    preload = not page.url.startswith("file:")
    result = page.evaluate(
        """([tags, preload]) => axe.run(document,
               {runOnly: {type: 'tag', values: tags}, iframes: true, preload: preload})""",
        [WCAG_TAGS, preload],
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
    ]


def _map_features(frame) -> int:
    return frame.evaluate(
        "() => { const m = Object.values(window).find(v => window.L && v instanceof L.Map);"
        " return m ? document.querySelectorAll('.leaflet-interactive').length : -1; }"
    )


_PAGES = ["index.html", "regions/32.html", "territoires/les-mureaux.html"]


@pytest.mark.browser
@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("scheme", ["http", "file"])
def test_browser_pages_axe_and_no_errors(browser, site, scheme, viewport):
    root, url, _ = site
    visit = Visit(browser, viewport=VIEWPORTS[viewport])
    try:
        for name in _PAGES:
            target = url + name if scheme == "http" else (root / name).as_uri()
            page = visit.open(target)
            assert page.evaluate("document.documentElement.lang") == "fr"
            violations = _axe(page)
            assert violations == [], (name, violations)
            frames = page.frames[1:]
            assert len(frames) == 1 and _map_features(frames[0]) > 0, name
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= VIEWPORTS[viewport][0], (name, width)  # no sideways scrolling
        assert visit.errors == []
    finally:
        visit.close()


@pytest.mark.browser
def test_browser_copy_button_and_links_from_file(browser, site):
    root, url, _ = site
    visit = Visit(browser, origin=url.rstrip("/"))
    try:
        page = visit.open(url + "territoires/les-mureaux.html")
        # the map frame opens the territory (permalink) without taking focus or scrolling
        page.frame_locator("iframe.map").locator(".geo-dtitle").wait_for()
        page.wait_for_timeout(300)
        assert page.evaluate("[window.scrollY, document.activeElement.tagName]") == [0, "BODY"]
        button = page.get_by_role("button", name="Copier le code d'intégration")
        button.click()
        status = page.locator('[role="status"]')
        status.wait_for()
        page.wait_for_function("document.querySelector('[role=status]').textContent.length > 0")
        assert status.inner_text() == "Code copié dans le presse-papiers."
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == page.locator("textarea").input_value()
        assert copied.startswith("<iframe ") and "allowfullscreen" in copied
        # without JavaScript the code is plain selectable text and no dead button shows
        no_js = browser.new_context(java_script_enabled=False)
        try:
            static = no_js.new_page()
            static.route(
                "**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort()
            )
            static.goto(url + "territoires/les-mureaux.html")
            assert static.locator("textarea").input_value() == copied
            assert not static.get_by_role(
                "button", name="Copier le code d'intégration"
            ).is_visible()
        finally:
            no_js.close()
        # from disk, links lead to real pages
        page = visit.open((root / "index.html").as_uri())
        page.get_by_role("link", name="Hauts-de-France").first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/regions/32.html") and page.locator("h1").inner_text()
        assert visit.errors == []
    finally:
        visit.close()


@pytest.mark.browser
def test_browser_embed_snippet_in_a_host_page(browser, site, tmp_path):
    root, url, _ = site
    snippet = (root / "territoires" / "les-mureaux.html").read_text(encoding="utf-8")
    code = re.search(r"<textarea[^>]*>(.*?)</textarea>", snippet, re.S).group(1)
    code = html.unescape(code)  # the textarea's text, as the browser shows it
    host_dir = tmp_path / "host"
    host_dir.mkdir()
    (host_dir / "index.html").write_text(
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Hôte</title></head>'
        f"<body><h1>Un site partenaire</h1><p>Avant la carte.</p>{code}<p>Après.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    host = StaticServer(host_dir)  # another origin, as info-ptce.fr would be
    visit = Visit(browser)
    try:
        page = visit.open(host.url + "index.html")
        frame_element = page.locator("iframe")
        frame_element.scroll_into_view_if_needed()
        assert frame_element.get_attribute("allowfullscreen") is not None
        assert frame_element.get_attribute("title").startswith("Carte : ")
        page.wait_for_timeout(300)
        frame = page.frame_locator("iframe")
        frame.locator(".leaflet-container").wait_for()
        inner = next(f for f in page.frames if f.url.startswith(url))
        assert "cartes/territoires/" in inner.url  # the territory's own, light map
        assert _map_features(inner) > 0
        # embed mode: activation hint, full-screen link; the permalink opened the territory
        assert inner.locator(".geo-app.geo-embed").count() == 1
        assert inner.get_by_role("link", name="Ouvrir la carte en plein écran").count() == 1
        title = inner.locator(".geo-dtitle")
        title.wait_for()
        mureaux = geo.load_territories().set_index("id").loc["les-mureaux", "nom"]
        assert title.inner_text() == mureaux
        assert visit.errors == []
    finally:
        visit.close()
        host.close()


def _fill_assets(target: Path) -> Path:
    urls = list(_assets.MAP_ASSETS)
    for url in list(urls):
        if url.endswith(".css"):
            urls += _assets.css_references(npm_file(url).read_text(encoding="utf-8"), url)
    for url in urls:
        destination = _assets.asset_path(target, url)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(npm_file(url), destination)
    return target


@pytest.mark.browser
def test_browser_offline_site_from_disk(browser, subset, tmp_path):
    territories, ptce = subset
    assets = _fill_assets(tmp_path / "assets")
    report = build_site(
        tmp_path / "site",
        territories=territories,
        ptce=ptce,
        offline=True,
        assets_dir=assets,
        tiles=False,
    )
    maps_html = [
        p.read_text(encoding="utf-8") for p in (tmp_path / "site" / "cartes").rglob("*.html")
    ]
    assert maps_html and all(_assets.asset_urls(text) == [] for text in maps_html)
    visit = Visit(browser, allow_network=False)
    try:
        for name in ("index.html", "regions/04.html"):
            page = visit.open((tmp_path / "site" / name).as_uri())
            assert _map_features(page.frames[1]) > 0, name
        assert visit.errors == [] and visit.external == []
    finally:
        visit.close()
    assert report.pages == len(list((tmp_path / "site").rglob("*.html")))


@pytest.mark.browser
def test_browser_hostile_names_stay_text(browser, subset, tmp_path):
    territories, ptce = subset
    territories = territories.copy()
    first = territories.index[0]
    territories.loc[first, "nom"] = XSS + "</script><script>window.__xss=1</script>"
    territories.loc[first, "ebe"] = '" onmouseover="window.__xss=1'
    territories.loc[first, "sources"] = "javascript:window.__xss=1 | https://ok.example/a?b=1&c=2"
    build_site(tmp_path, territories=territories, ptce=ptce)
    page_path = tmp_path / "territoires" / f"{territories.loc[first, 'id']}.html"
    text = page_path.read_text(encoding="utf-8")
    assert XSS not in text and "&lt;img src=x" in text
    assert 'href="javascript:' not in text and 'href="https://ok.example/a?b=1&amp;c=2"' in text
    visit = Visit(browser)
    try:
        for path in (page_path, tmp_path / "index.html", tmp_path / "regions" / "32.html"):
            page = visit.open(path.as_uri())
            page.mouse.move(200, 300)
            assert page.evaluate("window.__xss") is None, path
        assert visit.errors == []
    finally:
        visit.close()


@pytest.mark.slow
def test_nu_html_checker_no_errors_on_every_page_kind(site):
    root, _url, _report = site
    pages = _site_pages(root)
    kinds = {}
    for page in pages:  # one page of each folder: index, régions, territoires, données...
        kinds.setdefault(page.relative_to(root).parts[:-1], page)
    maps_dir = root / "cartes"
    map_pages = sorted(maps_dir.rglob("*.html"))[:2] if maps_dir.is_dir() else []
    checked = [*kinds.values(), *map_pages]
    assert len(checked) >= 4, checked
    assert nu_errors(checked) == []


@pytest.mark.browser
def test_browser_timeline_chart_text_readable_on_a_phone(browser, site):
    _root, url, _ = site
    visit = Visit(browser, viewport=VIEWPORTS["phone"])
    try:
        page = visit.open(url + "index.html")
        chart = page.locator("figure.chart")
        if chart.count() == 0:
            pytest.skip("no timeline chart (the plot extra is not installed)")
        # the chart keeps its own 900 px (smallest text 9 pt at 100 dpi = 12.5 px) and scrolls
        # inside its figure, which the keyboard can reach; the page itself does not scroll sideways
        assert chart.locator("img").bounding_box()["width"] >= 900
        assert chart.evaluate("f => f.scrollWidth > f.clientWidth && f.tabIndex === 0")
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["phone"][0]
        assert visit.errors == []
    finally:
        visit.close()
