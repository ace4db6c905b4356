"""Downloaded and file boundary sources, against a real local HTTP server."""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import warnings
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import pytest
import shapely

import geo.settings
from geo._core import bodies as _bodies
from geo._core import download as _download
from geo.errors import ArgumentError, CRSError, DataSourceError, SchemaError
from geo.reference import sources
from geo.reference.communes import load_communes
from geo.reference.sources import OutdatedCodeWarning, load_epci_communes, read_boundary_file
from tests.conftest import ROOT, Reply

ETALAB_PATH = "/contours-administratifs/2025/geojson/communes-50m.geojson.gz"
CODES_78 = ["78440", "78646", "78498", "78361"]  # Les Mureaux, Versailles, Poissy, Mantes
PARIS = ["75056", "75101", "75111"]


@pytest.fixture(scope="module")
def embedded():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = load_communes(types=("COM", "ARM"), codes=[*CODES_78, *PARIS])
    return table[table["code_insee"].isin([*CODES_78, *PARIS])].reset_index(drop=True)


def _feature(row, properties):
    geometry = json.loads(shapely.to_geojson(row.geometry))
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def etalab_body(embedded, *, key="code") -> bytes:
    """Communes + arrondissements in the Etalab contours-administratifs format."""
    features = []
    for row in embedded.itertuples():
        props = {
            key: row.code_insee,
            "nom": row.nom,
            "departement": row.departement,
            "region": row.region,
            "epci": row.epci_siren,
        }
        if row.type == "ARM":
            props["commune"] = row.parent
        if row.code_insee == "75056":
            props["plm"] = True
        features.append(_feature(row, props))
    document = {"type": "FeatureCollection", "features": features}
    return gzip.compress(json.dumps(document).encode("utf-8"))


def api_geo_body(embedded, codes) -> bytes:
    """Communes in API Géo's GeoJSON format (format=geojson&geometry=contour)."""
    features = []
    for row in embedded[embedded["code_insee"].isin(codes)].itertuples():
        props = {
            "nom": row.nom,
            "code": row.code_insee,
            "codeDepartement": row.departement,
            "siren": "217800000",
            "codeEpci": row.epci_siren,
            "codeRegion": row.region,
            "codesPostaux": ["78000"],
            "population": int(row.population),
        }
        features.append(_feature(row, props))
    return json.dumps({"type": "FeatureCollection", "features": features}).encode("utf-8")


@pytest.fixture()
def etalab_server(local_server, monkeypatch, seeded_cache):
    monkeypatch.setattr(
        geo.settings,
        "etalab_url",
        local_server.url
        + "/contours-administratifs/{year}/geojson/communes-{resolution}.geojson.gz",
    )
    monkeypatch.setattr(geo.settings, "api_geo_url", local_server.url)
    return local_server


# --- Etalab bulk file -------------------------------------------------------------


def test_etalab_success_and_cache_reuse(etalab_server, embedded, seeded_cache):
    etalab_server.route(ETALAB_PATH, Reply(200, etalab_body(embedded)))
    table = load_communes(source="etalab", departements="78")
    assert sorted(table["code_insee"]) == sorted(CODES_78)
    assert (table["geometry_source"] == "etalab-2025-50m").all()
    assert table.crs.to_epsg() == 4326
    mureaux = table.set_index("code_insee").loc["78440"]
    assert mureaux["nom"] == "Les Mureaux"
    assert mureaux["epci_siren"] == "200059889"
    assert len(etalab_server.hits(ETALAB_PATH)) == 1
    assert (seeded_cache / "communes-etalab-2025-50m.parquet").is_file()
    assert not list(seeded_cache.glob("*.geojson.gz"))  # raw download removed

    paris = load_communes(source="etalab", codes="75056", types=("COM", "ARM"))
    assert sorted(paris["code_insee"]) == ["75056", "75101", "75111"]
    arm = paris.set_index("code_insee").loc["75111"]
    assert (arm["type"], arm["parent"]) == ("ARM", "75056")
    assert len(etalab_server.hits(ETALAB_PATH)) == 1  # second call read the cache


def test_etalab_file_naming_the_code_insee_is_accepted(etalab_server, embedded):
    etalab_server.route(ETALAB_PATH, Reply(200, etalab_body(embedded, key="insee")))
    table = load_communes(source="etalab", departements="78")
    assert sorted(table["code_insee"]) == sorted(CODES_78)


def test_etalab_file_without_any_code_is_refused(etalab_server, embedded):
    etalab_server.route(ETALAB_PATH, Reply(200, etalab_body(embedded, key="numero")))
    with pytest.raises(DataSourceError, match="code or insee"):
        load_communes(source="etalab", departements="78")


def test_etalab_cache_rebuilt_after_corruption(etalab_server, embedded, seeded_cache):
    etalab_server.route(ETALAB_PATH, Reply(200, etalab_body(embedded)))
    load_communes(source="etalab")
    cached = seeded_cache / "communes-etalab-2025-50m.parquet"
    cached.write_bytes(cached.read_bytes()[:100])
    table = load_communes(source="etalab")
    assert len(table) == 5  # 4 communes of 78 + Paris
    assert len(etalab_server.hits(ETALAB_PATH)) == 2
    assert len(load_communes(source="etalab", refresh=True)) == 5
    assert len(etalab_server.hits(ETALAB_PATH)) == 3


def _wrong_schema(table, kind):
    if kind == "a column missing":
        return table.drop(columns=["nom"])
    if kind == "codes as numbers":
        return table.assign(
            code_insee=table["code_insee"].str.replace("A|B", "0", regex=True).astype(int)
        )
    if kind == "another CRS":
        return table.to_crs(2154)
    if kind == "no CRS":
        return table.set_crs(None, allow_override=True)
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["a column missing", "codes as numbers", "another CRS", "no CRS"])
def test_etalab_cache_with_the_right_checksum_but_a_wrong_schema_is_rebuilt(
    etalab_server, embedded, seeded_cache, kind
):
    from geo._core.files import cache_key, read_checked_parquet, write_checked_parquet

    etalab_server.route(ETALAB_PATH, Reply(200, etalab_body(embedded)))
    load_communes(source="etalab")
    cached = seeded_cache / "communes-etalab-2025-50m.parquet"
    key = cache_key(cached.name)
    # Written with its own checksum and key: only the schema tells it is wrong.
    write_checked_parquet(
        _wrong_schema(read_checked_parquet(cached, key=key), kind), cached, key=key
    )
    table = load_communes(source="etalab", departements="78")
    assert len(etalab_server.hits(ETALAB_PATH)) == 2  # rebuilt from the source
    assert table.crs == "EPSG:4326"
    assert sorted(table["code_insee"]) == sorted(CODES_78)
    assert table.set_index("code_insee").loc["78440", "nom"] == "Les Mureaux"


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_cache_path_that_is_not_a_file_gives_one_clear_error(
    etalab_server, embedded, seeded_cache, kind
):
    etalab_server.route(ETALAB_PATH, Reply(200, etalab_body(embedded)))
    cached = seeded_cache / "communes-etalab-2025-50m.parquet"
    if kind == "directory":
        cached.mkdir()
    else:
        os.mkfifo(cached)
    why = "is a directory, not a file" if kind == "directory" else "is not a regular file"
    with pytest.raises(
        DataSourceError, match=rf"cache file .*50m\.parquet cannot be used: it {why}; remove it"
    ):
        load_communes(source="etalab")
    assert etalab_server.hits(ETALAB_PATH) == []  # told before downloading anything


def test_etalab_404_names_url_status_and_alternative(etalab_server):
    with pytest.raises(DataSourceError) as info:
        load_communes(source="etalab")
    message = str(info.value)
    assert etalab_server.url + ETALAB_PATH in message
    assert "HTTP 404" in message
    assert "source='embedded'" in message and "path=" in message
    assert len(etalab_server.hits(ETALAB_PATH)) == 1  # a 404 is not retried


def test_etalab_500_then_success_is_retried(etalab_server, embedded):
    etalab_server.route(ETALAB_PATH, Reply(500), Reply(503), Reply(200, etalab_body(embedded)))
    table = load_communes(source="etalab", departements="78")
    assert len(table) == 4
    assert len(etalab_server.hits(ETALAB_PATH)) == 3


def test_etalab_500_every_time_fails_after_retries(etalab_server, monkeypatch):
    monkeypatch.setattr(geo.settings, "download_retries", 2)
    etalab_server.route(ETALAB_PATH, Reply(500, b"oops"))
    with pytest.raises(DataSourceError, match=r"HTTP 500.*after 3 tries"):
        load_communes(source="etalab")
    assert len(etalab_server.hits(ETALAB_PATH)) == 3


def test_slow_answer_times_out(etalab_server, embedded, monkeypatch):
    monkeypatch.setattr(geo.settings, "timeout_s", (2.0, 0.3))
    monkeypatch.setattr(geo.settings, "download_retries", 1)
    etalab_server.route(ETALAB_PATH, Reply(200, etalab_body(embedded), delay_s=1.0))
    with pytest.raises(DataSourceError, match="timeout") as info:
        load_communes(source="etalab")
    assert ETALAB_PATH in str(info.value)
    assert len(etalab_server.hits(ETALAB_PATH)) == 2


def test_truncated_gzip_is_rejected(etalab_server, embedded, seeded_cache):
    body = etalab_body(embedded)
    etalab_server.route(ETALAB_PATH, Reply(200, body[: len(body) // 2]))
    with pytest.raises(DataSourceError, match="corrupt gzip"):
        load_communes(source="etalab")
    assert not [p for p in seeded_cache.iterdir() if "embedded" not in p.name]  # nothing left


def test_body_cut_short_is_retried_then_reported(etalab_server, embedded, monkeypatch):
    monkeypatch.setattr(geo.settings, "download_retries", 1)
    body = etalab_body(embedded)
    etalab_server.route(ETALAB_PATH, Reply(200, body, truncate_to=len(body) // 3))
    with pytest.raises(DataSourceError, match=r"(truncated|connection lost).*after 2 tries"):
        load_communes(source="etalab")
    assert len(etalab_server.hits(ETALAB_PATH)) == 2


def test_body_cut_short_once_then_complete(etalab_server, embedded):
    body = etalab_body(embedded)
    etalab_server.route(
        ETALAB_PATH, Reply(200, body, truncate_to=len(body) // 3), Reply(200, body)
    )
    assert len(load_communes(source="etalab")) == 5


def test_body_that_is_not_geojson(etalab_server):
    html = gzip.compress(b"<html><body>Maintenance</body></html>")
    etalab_server.route(ETALAB_PATH, Reply(200, html))
    with pytest.raises(DataSourceError, match=r"not GeoJSON.*Maintenance"):
        load_communes(source="etalab")


def test_unknown_resolution(etalab_server):
    with pytest.raises(SchemaError, match="resolution"):
        load_communes(source="etalab", resolution="20m")
    assert etalab_server.requests == []


# --- offline mode -------------------------------------------------------------------


def _forbid_sockets(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a socket was opened in offline mode")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_offline_setting_opens_no_socket(etalab_server, monkeypatch):
    monkeypatch.setattr(geo.settings, "offline", True)
    _forbid_sockets(monkeypatch)
    with pytest.raises(DataSourceError, match=r"offline.*source='embedded'"):
        load_communes(source="etalab")
    with pytest.raises(DataSourceError, match="offline"):
        load_communes(source="api-geo", departements="78")
    with pytest.raises(DataSourceError, match="offline"):
        _download.get_json(etalab_server.url + "/anything")
    monkeypatch.undo()
    assert etalab_server.requests == []


_OFFLINE_SCRIPT = """
import socket
import geo.settings
from geo.reference import sources
from geo._core.download import is_offline
from geo.errors import DataSourceError

def refuse(*args, **kwargs):
    raise AssertionError("a socket was opened in offline mode")

socket.socket.connect = refuse
socket.create_connection = refuse
print("DEFAULT", geo.settings.offline, is_offline())
try:
    sources.load_remote("etalab")
except DataSourceError as exc:
    print("REFUSED", exc)
geo.settings.offline = False
print("OVERRIDDEN", is_offline())
"""


def test_offline_environment_variable(tmp_path):
    # TZPTCE_OFFLINE is read when geo.settings is imported: a fresh interpreter.
    env = {**os.environ, "TZPTCE_OFFLINE": "1", "TZPTCE_CACHE_DIR": str(tmp_path)}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", _OFFLINE_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "DEFAULT True True"
    assert lines[1].startswith("REFUSED offline mode") and "TZPTCE_OFFLINE" in lines[1]
    assert lines[2] == "OVERRIDDEN False"
    assert not list(tmp_path.iterdir())  # nothing downloaded nor left behind


def test_offline_setting_overrides_the_environment(local_server, monkeypatch):
    monkeypatch.setenv("TZPTCE_OFFLINE", "1")  # too late to matter: settings decide
    monkeypatch.setattr(geo.settings, "offline", False)
    local_server.route("/api", Reply(200, b'{"ok": true}'))
    assert not _download.is_offline()
    assert _download.get_json(local_server.url + "/api") == {"ok": True}
    monkeypatch.setattr(geo.settings, "offline", True)
    monkeypatch.delenv("TZPTCE_OFFLINE")
    assert _download.is_offline()


def test_offline_still_reads_a_valid_cache(etalab_server, embedded, monkeypatch):
    etalab_server.route(ETALAB_PATH, Reply(200, etalab_body(embedded)))
    load_communes(source="etalab")
    monkeypatch.setattr(geo.settings, "offline", True)
    assert len(load_communes(source="etalab")) == 5
    assert len(etalab_server.hits(ETALAB_PATH)) == 1


# --- API Géo ----------------------------------------------------------------------------


def test_api_geo_per_departement(etalab_server, embedded, seeded_cache):
    etalab_server.route("/communes", Reply(200, api_geo_body(embedded, CODES_78)))
    table = load_communes(source="api-geo", departements="78")
    assert sorted(table["code_insee"]) == sorted(CODES_78)
    assert (table["geometry_source"] == "api-geo").all()
    assert table.set_index("code_insee").at["78646", "nom"] == "Versailles"
    (hit,) = etalab_server.hits("/communes")
    query = parse_qs(urlsplit(hit.path).query)
    assert query == {"codeDepartement": ["78"], "format": ["geojson"], "geometry": ["contour"]}
    assert (seeded_cache / "communes-api-geo-2025-78.parquet").is_file()
    load_communes(source="api-geo", departements=["78"])
    assert len(etalab_server.hits("/communes")) == 1  # cached


def test_api_geo_paris_adds_arrondissements(etalab_server, embedded):
    com = "/communes?codeDepartement=75&format=geojson&geometry=contour"
    arm = (
        "/communes?type=arrondissement-municipal&codeParent=75056&format=geojson&geometry=contour"
    )
    etalab_server.route(com, Reply(200, api_geo_body(embedded, ["75056"])))
    etalab_server.route(arm, Reply(200, api_geo_body(embedded, ["75101", "75111"])))
    table = load_communes(source="api-geo", departements="75", types=("COM", "ARM"))
    assert sorted(table["code_insee"]) == ["75056", "75101", "75111"]
    assert set(table.loc[table["type"] == "ARM", "parent"]) == {"75056"}


def test_api_geo_departement_given_as_one_string_or_a_name(etalab_server, embedded):
    etalab_server.route("/communes", Reply(200, api_geo_body(embedded, CODES_78)))
    table = sources.load_remote("api-geo", departements="78")
    assert sorted(table["code_insee"]) == sorted(CODES_78)
    (hit,) = etalab_server.hits("/communes")
    assert parse_qs(urlsplit(hit.path).query)["codeDepartement"] == ["78"]
    sources.load_remote("api-geo", departements=["Yvelines", "78"], refresh=True)
    assert [
        parse_qs(urlsplit(h.path).query)["codeDepartement"]
        for h in etalab_server.hits("/communes")
    ] == [["78"], ["78"]]
    with pytest.raises(SchemaError) as info:
        sources.load_remote("api-geo", departements=["78", "Yvelinnes", "99"])
    assert "Yvelinnes" in str(info.value) and "'99'" in str(info.value)
    assert len(info.value.problems) == 2
    assert len(etalab_server.hits("/communes")) == 2


@pytest.mark.parametrize("vintage", ["../x", "25", "2025/../..", " 2025x"])
def test_vintage_that_is_not_a_year_is_refused(etalab_server, seeded_cache, monkeypatch, vintage):
    monkeypatch.setattr(geo.settings, "vintage", vintage)
    with pytest.raises(ArgumentError, match="four-digit year"):
        sources.load_remote("etalab")
    with pytest.raises(ArgumentError, match="four-digit year"):
        sources.load_remote("api-geo", departements="78")
    with pytest.raises(ArgumentError, match="four-digit year"):
        load_epci_communes("200059889")
    assert etalab_server.requests == []
    assert sorted(p.name for p in seeded_cache.parent.iterdir()) == ["cache"]


def test_downloads_do_not_touch_another_process_download(etalab_server, embedded, seeded_cache):
    # Another process sharing the cache, downloading under the names used before.
    others = [
        seeded_cache / "communes-etalab-2025-50m.geojson.gz",
        seeded_cache / "api-geo-communes-78-geojson-contour.geojson",
    ]
    for other in others:
        other.write_bytes(b"another process is writing this")
    etalab_server.route(ETALAB_PATH, Reply(200, etalab_body(embedded)))
    etalab_server.route("/communes", Reply(200, api_geo_body(embedded, CODES_78)))
    assert len(sources.load_remote("etalab")) == 7
    assert len(sources.load_remote("api-geo", departements="78")) == 4
    for other in others:
        assert other.read_bytes() == b"another process is writing this"
    leftovers = {p.name for p in seeded_cache.iterdir()} - {p.name for p in others}
    assert all(p.endswith((".parquet", ".sha256")) for p in leftovers), leftovers


def test_reader_errors_of_large_bodies_become_data_source_errors(
    etalab_server, embedded, monkeypatch
):
    # Above the full-parse limit only the start is checked: the reader finds the rest.
    monkeypatch.setattr(_bodies, "FULL_PARSE_MAX_BYTES", 100)
    whole = gzip.decompress(etalab_body(embedded))
    etalab_server.route(ETALAB_PATH, Reply(200, gzip.compress(whole[: len(whole) // 2])))
    with pytest.raises(DataSourceError, match="cannot be read"):
        sources.load_remote("etalab")


def test_api_geo_needs_a_filter(etalab_server):
    with pytest.raises(SchemaError, match=r"departements=.*400"):
        load_communes(source="api-geo")
    with pytest.raises(SchemaError, match="unknown département '99'"):
        load_communes(source="api-geo", departements="99")
    assert etalab_server.requests == []


def test_api_geo_epci(etalab_server, embedded):
    etalab_server.route(
        "/epcis/200059889/communes", Reply(200, api_geo_body(embedded, ["78440", "78498"]))
    )
    table = load_epci_communes("200059889")
    assert sorted(table["code_insee"]) == ["78440", "78498"]
    assert table["epci_siren"].eq("200059889").all()
    (hit,) = etalab_server.hits("/epcis/")
    assert "geometry=contour" in hit.path and "format=geojson" in hit.path
    load_epci_communes("200059889")
    assert len(etalab_server.hits("/epcis/")) == 1
    with pytest.raises(DataSourceError, match="HTTP 404"):
        load_epci_communes("200000000")
    with pytest.raises(SchemaError, match="9 digits"):
        load_epci_communes("2000")


# --- redirects, deadline, broken and garbled bodies ------------------------------------

API_GEO_78 = "/communes"


def _api_geo_78():
    return load_communes(source="api-geo", departements="78")


@pytest.mark.parametrize(
    "location",
    [
        "http://192.0.2.1/communes",  # TEST-NET-1: documentation only, reaches nothing
        "//example.invalid/communes",  # scheme-relative: same scheme, other host
        "https://example.invalid/communes",
        "http://127.0.0.1@192.0.2.1/communes",  # user info before the real host
    ],
)
def test_redirect_to_another_host_is_refused_before_any_connection(
    etalab_server, connect_guard, location
):
    etalab_server.route(API_GEO_78, Reply(302, headers={"Location": location}))
    with pytest.raises(DataSourceError, match="another host") as info:
        _api_geo_78()
    assert etalab_server.url + API_GEO_78 in str(info.value)
    assert connect_guard.attempts  # the guard saw the connection to the local server
    assert connect_guard.others() == []  # and nothing else, not even a name lookup
    assert len(etalab_server.hits(API_GEO_78)) == 1  # a refusal is not retried


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher:x"])
def test_redirect_to_another_scheme_is_refused(etalab_server, connect_guard, location):
    etalab_server.route(API_GEO_78, Reply(301, headers={"Location": location}))
    with pytest.raises(DataSourceError, match=r"redirect to .* refused: scheme") as info:
        _api_geo_78()
    assert etalab_server.url + API_GEO_78 in str(info.value)
    assert connect_guard.others() == []


def test_redirects_within_the_host_or_to_an_allowed_host_are_followed(
    etalab_server, embedded, connect_guard, tmp_path
):
    etalab_server.route(API_GEO_78, Reply(301, headers={"Location": "/v2/communes"}))
    etalab_server.route("/v2/communes", Reply(200, api_geo_body(embedded, CODES_78)))
    assert sorted(_api_geo_78()["code_insee"]) == sorted(CODES_78)
    (hit,) = etalab_server.hits("/v2/communes")
    assert hit.path == "/v2/communes"  # the query travels only with the first request

    port = etalab_server.httpd.server_address[1]
    etalab_server.route("/a.json", Reply(307, headers={"Location": f"http://localhost:{port}/b"}))
    etalab_server.route("/b", Reply(200, b"{}"))
    with pytest.raises(DataSourceError, match="another host"):
        _download.download(etalab_server.url + "/a.json", tmp_path / "x.json")
    assert not etalab_server.hits("/b")
    _download.download(
        etalab_server.url + "/a.json", tmp_path / "x.json", allowed_hosts=[f"localhost:{port}"]
    )
    assert (tmp_path / "x.json").read_text() == "{}"
    assert connect_guard.others() == []


def test_redirect_loop_and_too_many_redirects(etalab_server):
    etalab_server.route(API_GEO_78, Reply(302, headers={"Location": "/b"}))
    etalab_server.route("/b", Reply(302, headers={"Location": API_GEO_78 + "?codeDepartement=78"}))
    with pytest.raises(DataSourceError, match="redirect loop") as info:
        _api_geo_78()
    assert etalab_server.url + API_GEO_78 in str(info.value)
    for n in range(10):
        etalab_server.route(f"/r{n}", Reply(302, headers={"Location": f"/r{n + 1}"}))
    with pytest.raises(DataSourceError, match=r"more than 5 redirects"):
        _download.get_json(etalab_server.url + "/r0")
    assert len(etalab_server.hits("/r")) == 6


def test_source_url_that_is_not_http_is_refused(etalab_server, monkeypatch, connect_guard):
    monkeypatch.setattr(geo.settings, "api_geo_url", "file:///etc")
    with pytest.raises(DataSourceError, match=r"file:///etc/communes.*not an http\(s\) URL"):
        _api_geo_78()
    for url in ("http://[::1/x", "http://127.0.0.1:99999/x", "//127.0.0.1/x"):
        with pytest.raises(DataSourceError, match=r"not an http|invalid port"):
            _download.get_json(url)
    assert connect_guard.attempts == []


def test_connection_reset_mid_body(local_server, monkeypatch):
    monkeypatch.setattr(geo.settings, "download_retries", 1)
    local_server.route(
        "/api", Reply(200, b'{"features": [' + b" " * 5000 + b"]}", reset_after=100)
    )
    with pytest.raises(DataSourceError, match=r"connection lost.*after 100 bytes") as info:
        _download.get_json(local_server.url + "/api")
    assert local_server.url + "/api" in str(info.value)
    assert len(local_server.hits("/api")) == 2  # retried once


def test_connection_reset_mid_body_then_complete(local_server):
    body = b'{"ok": ' + b" " * 5000 + b"true}"
    local_server.route("/api", Reply(200, body, reset_after=100), Reply(200, body))
    assert _download.get_json(local_server.url + "/api") == {"ok": True}


@pytest.mark.parametrize("call", ["get_json", "download"])
def test_a_server_dripping_bytes_cannot_outlast_the_deadline(
    local_server, tmp_path, monkeypatch, call
):
    import time

    monkeypatch.setattr(geo.settings, "deadline_s", 1.0)
    # 80 bytes at one per 50 ms: every read succeeds well within the read timeout (2 s),
    # the whole body would take 4 s.
    local_server.route("/slow", Reply(200, b"{" + b" " * 78 + b"}", drip_s=0.05))
    url = local_server.url + "/slow"
    start = time.monotonic()
    with pytest.raises(DataSourceError, match=r"overall deadline of 1 s passed") as info:
        if call == "get_json":
            _download.get_json(url)
        else:
            _download.download(url, tmp_path / "slow.json")
    assert time.monotonic() - start < 2.5  # the deadline (1 s) and some slack, not 4 s
    assert url in str(info.value)
    assert len(local_server.hits("/slow")) == 1  # a deadline is for the whole call
    assert not (tmp_path / "slow.json").exists()


def test_a_server_dripping_its_headers_cannot_outlast_the_deadline(local_server, monkeypatch):
    import time

    monkeypatch.setattr(geo.settings, "deadline_s", 1.0)
    headers = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 80 + b"\r\nContent-Length: 2\r\n\r\n{}"
    local_server.route("/slow", Reply(raw=headers, drip_s=0.05))  # 5 s of headers
    start = time.monotonic()
    with pytest.raises(DataSourceError, match=r"overall deadline of 1 s passed"):
        _download.get_json(local_server.url + "/slow")
    assert time.monotonic() - start < 2.5
    assert len(local_server.hits("/slow")) == 1


def test_a_silent_server_is_cut_at_the_deadline_not_the_read_timeout(local_server, monkeypatch):
    import time

    monkeypatch.setattr(geo.settings, "deadline_s", 0.5)
    monkeypatch.setattr(geo.settings, "timeout_s", (2.0, 30.0))
    local_server.route("/silent", Reply(200, b"{}", delay_s=3.0))
    start = time.monotonic()
    with pytest.raises(DataSourceError, match=r"deadline|timeout"):
        _download.get_json(local_server.url + "/silent")
    assert time.monotonic() - start < 2.0


def test_garbled_body_names_the_url(local_server):
    local_server.route(
        "/api", Reply(200, b"not gzip at all", headers={"Content-Encoding": "gzip"})
    )
    with pytest.raises(DataSourceError, match=r"garbled body.*gzip") as info:
        _download.get_json(local_server.url + "/api")
    assert local_server.url + "/api" in str(info.value)
    assert len(local_server.hits("/api")) == 1


def test_broken_chunked_body_becomes_a_data_source_error(local_server, monkeypatch):
    monkeypatch.setattr(geo.settings, "download_retries", 0)
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n"
    local_server.route("/api", Reply(raw=raw))
    with pytest.raises(DataSourceError, match="connection lost") as info:
        _download.get_json(local_server.url + "/api")
    assert local_server.url + "/api" in str(info.value)


# --- _download directly ---------------------------------------------------------------


def test_get_json_429_respects_short_retry_after(local_server):
    local_server.route(
        "/api", Reply(429, headers={"Retry-After": "0"}), Reply(200, b'{"ok": true}')
    )
    assert _download.get_json(local_server.url + "/api", {"q": "x"}) == {"ok": True}
    assert len(local_server.hits("/api")) == 2


def test_get_json_429_with_long_retry_after_gives_up(local_server):
    local_server.route("/api", Reply(429, headers={"Retry-After": "3600"}))
    with pytest.raises(DataSourceError, match=r"HTTP 429.*Retry-After '3600'"):
        _download.get_json(local_server.url + "/api")
    assert len(local_server.hits("/api")) == 1


def test_get_json_body_not_json(local_server):
    local_server.route("/api", Reply(200, b"<html>"))
    with pytest.raises(DataSourceError, match="not JSON"):
        _download.get_json(local_server.url + "/api")


def test_connection_refused_names_the_error(monkeypatch):
    monkeypatch.setattr(geo.settings, "download_retries", 1)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DataSourceError, match=r"connection error.*after 2 tries"):
        _download.get_json(f"http://127.0.0.1:{port}/x")


def test_download_decodes_gzip_content_encoding(local_server, tmp_path):
    document = {"type": "FeatureCollection", "features": [{"type": "Feature"}]}
    body = gzip.compress(json.dumps(document).encode())
    local_server.route("/f.geojson", Reply(200, body, headers={"Content-Encoding": "gzip"}))
    target = _download.download(
        local_server.url + "/f.geojson",
        tmp_path / "f.geojson",
        validate=_download.validate_geojson,
    )
    assert json.loads(target.read_text()) == document


def test_download_keeps_existing_target_on_failure(local_server, tmp_path):
    target = tmp_path / "keep.geojson"
    target.write_text("previous")
    local_server.route("/f.geojson", Reply(200, b"not json"))
    with pytest.raises(DataSourceError):
        _download.download(
            local_server.url + "/f.geojson", target, validate=_download.validate_geojson
        )
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.geojson"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"type": "FeatureCollection", "features": [[1, 2]]}, "not GeoJSON objects"),
        ({"type": "FeatureCollection", "features": [{"type": "Feature"}, 3]}, "feature 2"),
        ({"type": "FeatureCollection", "features": {"a": 1}}, "no list of features"),
        ({"type": "FeatureCollection", "features": []}, "0 features"),
        ({"type": "FeatureCollection"}, "no list of features"),
        ([1, 2], "type 'list'"),
        (
            {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": [1]}]},
            "properties of feature 1 are a list",
        ),
        (
            {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": None}]},
            r"lack the properties \['code'\]",
        ),
    ],
)
def test_validate_geojson_malformed_structure(tmp_path, document, message):
    path = tmp_path / "body.geojson"
    path.write_text(json.dumps(document))
    with pytest.raises(DataSourceError, match=message):
        _download.validate_geojson(path, required_properties=("code",))


def test_validate_geojson_does_not_load_large_bodies(tmp_path):
    # 21 MB that only a full parse would find broken: left to the reader.
    feature = json.dumps({"type": "Feature", "properties": {"code": "78440"}, "geometry": None})
    head = b'{"type": "FeatureCollection", "features": ['
    body = head + (feature.encode() + b",") * (21 * 1024 * 1024 // len(feature)) + b"{broken"
    path = tmp_path / "large.geojson"
    path.write_bytes(body)
    _download.validate_geojson(path, required_properties=("code",))
    path.write_bytes(b"<html>" + body)
    with pytest.raises(DataSourceError, match="not a GeoJSON FeatureCollection"):
        _download.validate_geojson(path)


def test_validate_geojson_checks_gzip_integrity_of_large_bodies(tmp_path, monkeypatch):
    monkeypatch.setattr(_bodies, "FULL_PARSE_MAX_BYTES", 10)
    document = {"type": "FeatureCollection", "features": [{"type": "Feature"}] * 50}
    packed = gzip.compress(json.dumps(document).encode())
    path = tmp_path / "large.geojson.gz"
    path.write_bytes(packed)
    _download.validate_geojson(path)
    path.write_bytes(packed[: len(packed) - 12])
    with pytest.raises(DataSourceError, match="corrupt gzip"):
        _download.validate_geojson(path)


# --- local files --------------------------------------------------------------------------


def test_path_yvelines_2018_keeps_and_reports_old_codes(shared_data):
    path = shared_data / "france-geojson-2018" / "communes-78-yvelines.geojson"
    with pytest.warns(OutdatedCodeWarning) as record:
        table = read_boundary_file(path)
    assert len(table) == 262
    assert table["code_insee"].is_unique
    message = str(record[0].message)
    for code in ("78251", "78524", "78503"):
        assert code in message
    rows = table.set_index("code_insee")
    assert (rows.at["78251", "type"], rows.at["78251", "parent"]) == ("COMD", "78551")
    assert (rows.at["78524", "type"], rows.at["78524", "parent"]) == ("COMD", "78158")
    assert rows.at["78524", "nom"] == "Rocquencourt"
    assert rows.at["78524", "departement"] == "78"
    # Port-Villez left for Vernon (Eure): unknown to the 2025 COG, kept as a commune.
    assert (rows.at["78503", "type"], rows.at["78503", "nom"]) == ("COM", "Port-Villez")
    assert rows.at["78503", "departement"] == "78" and rows.at["78503", "region"] == "11"
    assert rows.at["78440", "nom"] == "Les Mureaux"  # COG name, with its article
    assert rows.at["78440", "geometry_source"] == "file:communes-78-yvelines.geojson"
    assert table.crs.to_epsg() == 4326

    with pytest.warns(OutdatedCodeWarning):
        com = load_communes(path=path)
    assert len(com) == 260
    with pytest.warns(OutdatedCodeWarning):
        every = load_communes(path=path, types=("COM", "ARM", "COMD", "COMA"))
    assert len(every) == 262


def test_path_reunion_2018(shared_data):
    path = shared_data / "france-geojson-2018" / "communes-974-la-reunion.geojson"
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutdatedCodeWarning)
        table = load_communes(path=path)
    assert len(table) == 24
    assert sorted(table["code_insee"]) == [f"974{i:02d}" for i in range(1, 25)]
    assert set(table["departement"]) == {"974"}
    assert table.set_index("code_insee").at["97407", "nom"] == "Le Port"


def test_path_projected_file_with_numeric_codes(embedded, tmp_path):
    sample = embedded[embedded["code_insee"].isin(CODES_78)][["code_insee", "geometry"]]
    projected = sample.to_crs(2154).rename(columns={"code_insee": "INSEE_COM"})
    projected["INSEE_COM"] = projected["INSEE_COM"].astype(int)
    projected["NOM"] = "x"
    path = tmp_path / "communes.gpkg"
    projected.to_file(path)
    table = read_boundary_file(path)
    assert table.crs.to_epsg() == 4326
    assert sorted(table["code_insee"]) == sorted(CODES_78)
    original = sample.set_index("code_insee").geometry
    again = table.set_index("code_insee").geometry
    assert again["78440"].symmetric_difference(original["78440"]).area < 1e-9


@pytest.mark.filterwarnings("ignore:.crs. was not provided:UserWarning")
def test_path_without_crs(embedded, tmp_path):
    sample = (
        embedded.iloc[:2][["code_insee", "geometry"]]
        .to_crs(2154)
        .set_crs(None, allow_override=True)
    )
    path = tmp_path / "nocrs.shp"
    sample.to_file(path)
    with pytest.raises(CRSError, match=r"no CRS.*set_crs"):
        read_boundary_file(path)


def test_path_without_code_column_or_bad_codes(embedded, tmp_path):
    sample = gpd.GeoDataFrame(
        {"ident": ["a", "b"], "geometry": embedded.geometry.iloc[:2].to_numpy()}, crs=4326
    )
    path = tmp_path / "nocode.geojson"
    sample.to_file(path)
    with pytest.raises(SchemaError, match=r"no INSEE code column.*code_column="):
        read_boundary_file(path)
    with pytest.raises(SchemaError, match=r"row 1 ident='a'; row 2 ident='b'"):
        read_boundary_file(path, code_column="ident")
    with pytest.raises(DataSourceError, match="not found"):
        read_boundary_file(tmp_path / "missing.geojson")
    assert sources.RESOLUTIONS == ("5m", "50m", "100m", "1000m")


# --- map assets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    [
        "http://192.0.2.1/images/layers.png",
        "//example.invalid/images/layers.png",
        "file:///etc/passwd",
    ],
)
def test_assets_fetch_follows_css_urls_only_to_trusted_cdn_hosts(
    local_server, connect_guard, tmp_path, reference
):
    from geo.publish.assets import fetch_assets

    css = f"a {{ background: url(images/ok.png) }} b {{ background: url({reference}) }}"
    local_server.route("/npm/x/x.css", Reply(200, css.encode()))
    local_server.route("/npm/x/images/ok.png", Reply(200, b"\x89PNG"))
    with pytest.raises(DataSourceError, match="not on a CDN the maps use") as info:
        fetch_assets(tmp_path / "assets", [local_server.url + "/npm/x/x.css"])
    assert reference.split("/")[-1] in str(info.value)
    assert connect_guard.others() == []
