"""Public pages on a slow connection: time until the list is visible, map page vs territory page.

Issue #21: on a slow connection the map page showed nothing for 12.7 s, 12x the
static territory page. Both pages are served from a local HTTP server and opened
in headless Chromium (Debian ``/usr/bin/chromium``) with Chromium's own network
emulation ("Fast 3G": 150 ms latency, 1.6 Mbit/s down, 750 kbit/s up), cache
disabled:

- project: the national synergy map of the shipped data written for offline
  use (Leaflet and its plugins inlined, so that every byte crosses the
  throttled link), until the first entry of its list is visible (the list
  written into the page), and until its interactive list is (the whole page
  loaded and run: what the old page needed before showing anything);
- peer, in the same run: the static site's territory page of the first
  territory (its facts list), the lightest public page of the same data.

The ratio is map / territory page (below 1: the map page's list shows sooner).
Needs the browser test assets (``scripts/install-test-deps``).

Run: ``python benchmarks/bench_pages.py [--quick]`` (``--quick``: one load each
instead of three).
"""

from __future__ import annotations

import functools
import shutil
import statistics
import tempfile
import threading
import warnings
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from _timing import quick, row

import geo
from geo.publish import assets, mapfile
from geo.publish.site import build_site

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "tests" / "browser" / "node_modules"
CHROMIUM = "/usr/bin/chromium"
FAST_3G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6 * 1024 * 1024 / 8,
    "uploadThroughput": 750 * 1024 / 8,
}
VISIBLE_JS = """(selector) => {
  const e = document.querySelector(selector);
  if (!e) return false;
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.top < innerHeight;
}"""


def _npm_copy(url: str) -> Path:
    """The npm copy of a CDN file (jsDelivr ``npm/pkg@v/...``, cdnjs ``libs/pkg/v/...``)."""
    parts = urlsplit(url)
    if parts.netloc == "cdn.jsdelivr.net":
        spec, _, rest = parts.path[len("/npm/") :].partition("/")
        package, candidates = spec.rpartition("@")[0], [rest]
    else:
        package, _version, rest = parts.path[len("/ajax/libs/") :].split("/", 2)
        candidates = [f"dist/{rest}", rest]
    for relative in candidates:
        for name in (relative, relative.replace(".min.js", ".js")):
            if (NODE_MODULES / package / name).is_file():
                return NODE_MODULES / package / name
    raise FileNotFoundError(f"{url}: no npm copy in {NODE_MODULES} (scripts/install-test-deps)")


def _assets_from_npm(target: Path) -> Path:
    """Fill an asset folder for ``offline=True`` from the npm copies (no network)."""
    urls = list(assets.MAP_ASSETS)
    for url in list(urls):
        if url.endswith(".css"):
            css = _npm_copy(url).read_text(encoding="utf-8")
            urls += assets.css_references(css, url)
    for url in urls:
        destination = assets.asset_path(target, url)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_npm_copy(url), destination)
    return target


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _time_to_visible(browser, url: str, *selectors: str) -> list[float]:
    """Seconds from navigation start until each selector is visible, on throttled Fast 3G."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", FAST_3G)
    # outside requests (tiles) never leave the machine
    page.route("**/*", lambda r, q: r.continue_() if "127.0.0.1" in q.url else r.abort())
    try:
        page.goto(url, wait_until="commit")
        times = []
        for selector in selectors:
            page.wait_for_function(VISIBLE_JS, arg=selector, polling=50, timeout=120_000)
            times.append(page.evaluate("() => performance.now()") / 1000)
        return times
    finally:
        context.close()


def main() -> None:
    warnings.simplefilter("ignore")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        asset_dir = _assets_from_npm(root / "assets")
        page = mapfile.make_map(root / "carte.html", offline=True, assets_dir=asset_dir)
        build_site(root / "site")
        territory = sorted((root / "site" / "territoires").glob("*.html"))[0]
        server = ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        map_url = f"{base}/carte.html"
        site_url = f"{base}/{territory.relative_to(root).as_posix()}"
        map_kb = page.stat().st_size / 1024
        site_kb = territory.stat().st_size / 1024
        runs = 1 if quick() else 3
        ours, ready, theirs = [], [], []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-background-networking",
                    "--disable-sync",
                    "--disable-component-update",
                ],
            )
            for _ in range(runs):  # alternately: the shared machine's noise on both
                first, usable = _time_to_visible(
                    browser, map_url, ".geo-slist li, .geo-cards li", ".geo-cards li"
                )
                ours.append(first)
                ready.append(usable)
                theirs.append(_time_to_visible(browser, site_url, "dl.facts")[0])
            browser.close()
        server.shutdown()
        print(
            f"map page {map_kb:.0f} KiB (offline, assets inlined); "
            f"territory page {site_kb:.0f} KiB (its frame loads lazily)"
        )
        print("map page, list visible (s):", [round(t, 2) for t in ours])
        print(
            "map page, interactive list (Leaflet and data loaded) (s):",
            [round(t, 2) for t in ready],
        )
        print("territory page, facts visible (s):", [round(t, 2) for t in theirs])
        row(
            "map page: list visible on Fast 3G (national, shipped data)",
            statistics.median(ours),
            "static territory page",
            statistics.median(theirs),
            target="issue #21: was 12.7 s, 12x",
        )
        row(
            "map page: interactive list on Fast 3G (all of the page loaded)",
            statistics.median(ready),
            "static territory page",
            statistics.median(theirs),
        )


if __name__ == "__main__":
    geo.load_territories()  # warm the caches before any timing
    main()
