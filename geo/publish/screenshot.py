"""PNG screenshots of written maps with headless Chromium (private).

Used by scripts (benchmarks, the README picture), never by the library's
drawing code. Needs the ``playwright`` Python package and a Chromium binary
(``/usr/bin/chromium`` by default). With ``assets_dir`` the CDN assets are
served from a local asset directory (see :mod:`geo.publish.assets`), so the picture
can be taken with no network; tiles that cannot load leave the département
outlines as the basemap. With ``offline`` the browser makes no request
outside the local files: every other URL is aborted, the browser's own
background traffic is turned off and host names resolve to nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from geo._core.files import atomic_path
from geo.errors import DataSourceError
from geo.publish.assets import asset_path

__all__ = ["CHROMIUM", "screenshot"]

#: Chromium binary used when none is given.
CHROMIUM = os.environ.get("TZPTCE_CHROMIUM", "/usr/bin/chromium")

#: Chromium switches that turn off its own traffic (updates, sync, safe
#: browsing, metrics, DNS prefetch); with ``offline`` every host name also
#: resolves to nothing, so no request can leave the machine.
_QUIET_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-sync",
    "--metrics-recording-only",
    "--no-first-run",
    "--no-pings",
    "--dns-prefetch-disable",
    "--disable-features=NetworkPrediction,OptimizationHints,MediaRouter,Translate",
)
_OFFLINE_ARGS = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",)

_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}

_BLANK_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def screenshot(
    html_path: str | os.PathLike[str],
    png_path: str | os.PathLike[str],
    *,
    width: int = 1200,
    height: int = 900,
    assets_dir: str | os.PathLike[str] | None = None,
    offline: bool = False,
    executable_path: str | None = None,
    wait_ms: int = 800,
) -> Path:
    """Open a map page in headless Chromium and save a PNG of it.

    Parameters
    ----------
    html_path
        A page written by :func:`geo.publish.maps.write_map`.
    png_path
        Target PNG, written atomically.
    width, height
        Viewport size in pixels.
    assets_dir
        Serve CDN scripts and stylesheets from this asset directory.
    offline
        Abort every other network request (tiles are then blank).
    executable_path
        Chromium binary; :data:`CHROMIUM` by default.
    wait_ms
        Extra time for tiles and animations before the picture.

    Returns
    -------
    Path
        ``png_path``.

    Raises
    ------
    DataSourceError
        When Chromium or playwright is missing, or the page raised a
        JavaScript error.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise DataSourceError(
            "screenshots need the playwright package: pip install playwright"
        ) from exc
    binary = executable_path or CHROMIUM
    if not Path(binary).is_file():
        raise DataSourceError(f"Chromium not found at {binary}; set TZPTCE_CHROMIUM")
    html_path = Path(html_path).resolve()
    errors: list[str] = []

    def route(route, request) -> None:  # type: ignore[no-untyped-def]
        url = request.url
        if url.startswith("file:"):
            route.continue_()
            return
        if assets_dir is not None and urlsplit(url).scheme in ("http", "https"):
            try:
                local = asset_path(assets_dir, url)
            except DataSourceError:
                local = None
            if local is not None and local.is_file():
                # as the CDN does: CORS, so that the page's Subresource Integrity is checked
                headers = {
                    "Access-Control-Allow-Origin": "*",
                    "Content-Type": _TYPES.get(local.suffix, "application/octet-stream"),
                }
                route.fulfill(path=str(local), headers=headers)
                return
        if offline:
            if request.resource_type == "image":
                route.fulfill(status=200, content_type="image/png", body=_BLANK_PNG)
            else:
                route.abort()
            return
        route.continue_()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=binary, args=[*_QUIET_ARGS, *(_OFFLINE_ARGS if offline else ())]
        )
        try:
            context = browser.new_context(
                viewport={"width": width, "height": height}, service_workers="block"
            )
            context.route("**/*", route)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(html_path.as_uri(), wait_until="load")
            page.wait_for_timeout(wait_ms)
            if errors:
                raise DataSourceError(f"the map page raised JavaScript errors: {errors}")
            with atomic_path(png_path) as tmp:
                page.screenshot(path=str(tmp), type="png")
        finally:
            browser.close()
    return Path(png_path)
