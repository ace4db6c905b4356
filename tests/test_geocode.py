"""BAN geocoding against a local server answering in the BAN formats."""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pandas as pd
import pytest

import geo.settings
from geo.errors import SchemaError
from geo.reference.communes import commune_attributes
from geo.reference.geocoding import GEOCODE_COLUMNS, GeocodingWarning, geocode
from tests.conftest import Reply

SEGUR = "20 avenue de Ségur 75007 Paris"
MUREAUX = "1 place de la Libération 78130 Les Mureaux"


@pytest.fixture()
def ban(local_server, seeded_cache, monkeypatch):
    """The local server as BAN, and a cache of the test's own (embedded table copied)."""
    monkeypatch.setattr(geo.settings, "ban_url", local_server.url)
    return local_server


def ban_json(label, lon, lat, *, score, kind="housenumber", citycode, postcode="75007"):
    """One answer of GET /search/ (GeoJSON FeatureCollection, BAN properties)."""
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "label": label,
            "score": score,
            "type": kind,
            "citycode": citycode,
            "postcode": postcode,
            "city": label.rsplit(" ", 1)[-1],
            "x": 650000.0,
            "y": 6860000.0,
            "importance": 0.6,
        },
    }
    return json.dumps(
        {"type": "FeatureCollection", "version": "draft", "features": [feature], "query": label}
    ).encode("utf-8")


EMPTY = json.dumps({"type": "FeatureCollection", "features": []}).encode()


def mairie(code):
    row = commune_attributes().set_index("code_insee")
    row = row[row["type"].isin(["COM", "ARM"])].loc[code]
    return row["mairie_lon"], row["mairie_lat"]


def test_single_address_keeps_arrondissement_and_normalises(ban):
    ban.route(
        "/search/",
        Reply(200, ban_json(SEGUR, 2.3077, 48.8496, score=0.96, citycode="75107")),
    )
    result = geocode([SEGUR])
    assert list(result.columns) == GEOCODE_COLUMNS
    row = result.iloc[0]
    assert row["precision"] == "adresse"
    assert (row["lon"], row["lat"]) == (2.3077, 48.8496)
    assert (row["citycode"], row["code_insee_commune"]) == ("75107", "75056")
    assert row["result_type"] == "housenumber" and row["score"] == 0.96
    assert row["label"] == SEGUR
    (hit,) = ban.hits("/search/")
    assert hit.method == "GET"
    assert parse_qs(urlsplit(hit.path).query) == {"q": [SEGUR], "limit": ["1"]}


def test_cache_hit_sends_no_second_request(ban):
    ban.route(
        "/search/", Reply(200, ban_json(SEGUR, 2.3077, 48.8496, score=0.9, citycode="75107"))
    )
    first = geocode(pd.Series([SEGUR], index=["ptce-1"]))
    second = geocode(pd.Series(["  20 avenue de  Ségur 75007 PARIS "], index=["x"]))
    assert len(ban.hits("/search/")) == 1
    assert list(second.index) == ["x"]
    assert second.iloc[0]["lon"] == first.iloc[0]["lon"] == 2.3077
    geocode([SEGUR], refresh=True)
    assert len(ban.hits("/search/")) == 2


def test_429_then_200_is_retried(ban):
    ban.route(
        "/search/",
        Reply(429, b'{"message": "Too many requests"}', headers={"Retry-After": "0"}),
        Reply(200, ban_json(SEGUR, 2.3077, 48.8496, score=0.9, citycode="75107")),
    )
    result = geocode(SEGUR)
    assert result.iloc[0]["precision"] == "adresse"
    assert len(ban.hits("/search/")) == 2


def test_citycode_filter_and_low_score_fallback_to_town_hall(ban):
    ban.route(
        "/search/",
        Reply(200, ban_json(MUREAUX, 1.9, 48.99, score=0.31, kind="street", citycode="78440")),
    )
    with pytest.warns(GeocodingWarning, match=r"row 1 .*score 0\.31 < 0\.5, placed at the town"):
        result = geocode([MUREAUX], citycodes=["78440"])
    row = result.iloc[0]
    assert row["precision"] == "mairie"
    assert (row["lon"], row["lat"]) == mairie("78440")
    assert row["score"] == 0.31 and row["code_insee_commune"] == "78440"
    (hit,) = ban.hits("/search/")
    assert parse_qs(urlsplit(hit.path).query)["citycode"] == ["78440"]


def test_municipality_answer_uses_the_town_hall_of_the_found_commune(ban):
    ban.route(
        "/search/",
        Reply(
            200,
            ban_json("Paris 11e", 2.38, 48.86, score=0.9, kind="municipality", citycode="75111"),
        ),
    )
    with pytest.warns(GeocodingWarning, match="result type 'municipality'"):
        result = geocode(["Paris 11e"])
    row = result.iloc[0]
    assert row["precision"] == "mairie"
    assert (row["citycode"], row["code_insee_commune"]) == ("75111", "75056")
    assert (row["lon"], row["lat"]) == mairie("75111")


def test_offline_falls_back_without_any_request(ban, monkeypatch):
    monkeypatch.setattr(geo.settings, "offline", True)
    with pytest.warns(GeocodingWarning, match="offline"):
        result = geocode(
            [MUREAUX, "Hôtel de Ville, Paris", "nulle part"], citycodes=["78440", "75056", None]
        )
    assert list(result["precision"]) == ["mairie", "point-sur-surface", "inconnu"]
    assert (result.iloc[0]["lon"], result.iloc[0]["lat"]) == mairie("78440")
    lon, lat = result.iloc[1][["lon", "lat"]]
    assert 2.2 < lon < 2.5 and 48.8 < lat < 48.95  # inside Paris (no town-hall point)
    assert pd.isna(result.iloc[2]["lon"])
    assert ban.requests == []


def test_offline_uses_the_postcode_when_no_commune_is_given(ban, monkeypatch):
    monkeypatch.setattr(geo.settings, "offline", True)
    with pytest.warns(GeocodingWarning, match="offline"):
        result = geocode(["Place de l'Hôtel de Ville 78130 Les Mureaux", "1 rue de Nulle Part"])
    assert list(result["precision"]) == ["mairie", "inconnu"]
    assert result.iloc[0]["citycode"] == "78440"
    assert (result.iloc[0]["lon"], result.iloc[0]["lat"]) == mairie("78440")
    assert ban.requests == []


def test_no_answer_and_unreachable_service(ban, monkeypatch):
    ban.route("/search/", Reply(200, EMPTY))
    with pytest.warns(GeocodingWarning, match="no BAN answer, not placed"):
        result = geocode(["zzzz"])
    assert result.iloc[0]["precision"] == "inconnu"
    monkeypatch.setattr(geo.settings, "download_retries", 1)
    ban.route("/search/", Reply(503))
    with pytest.warns(GeocodingWarning, match="HTTP 503"):
        result = geocode([MUREAUX], citycodes="78440")
    assert result.iloc[0]["precision"] == "mairie"
    # Failures are not cached: the next call asks again.
    ban.route("/search/", Reply(200, ban_json(MUREAUX, 1.91, 48.99, score=0.8, citycode="78440")))
    assert geocode([MUREAUX], citycodes="78440").iloc[0]["precision"] == "adresse"


def batch_csv(request_body: bytes, answers: dict[int, tuple]) -> bytes:
    """The BAN /search/csv/ answer: the sent CSV plus result columns."""
    start = request_body.index(b"rang,")
    end = request_body.index(b"\r\n--", start)
    sent = pd.read_csv(io.BytesIO(request_body[start:end]), dtype=str)
    rows = []
    for record in sent.to_dict("records"):
        rank = int(record["rang"])
        lat, lon, label, score, kind, citycode, status = answers.get(
            rank, ("", "", "", "", "", "", "not-found")
        )
        rows.append(
            {
                **record,
                "latitude": lat,
                "longitude": lon,
                "result_label": label,
                "result_score": score,
                "result_score_next": "",
                "result_type": kind,
                "result_id": "",
                "result_housenumber": "",
                "result_name": "",
                "result_street": "",
                "result_postcode": "",
                "result_city": "",
                "result_context": "",
                "result_citycode": citycode,
                "result_oldcitycode": "",
                "result_oldcity": "",
                "result_district": "",
                "result_status": status,
            }
        )
    return pd.DataFrame(rows).to_csv(index=False).encode("utf-8")


def test_batch_csv_for_many_addresses(ban):
    addresses = [f"{n} rue de la République 78130 Les Mureaux" for n in range(1, 26)]
    codes = ["78440"] * 25
    # The scripted server cannot echo; build the answer from a first dry run's request.
    ban.route("/search/csv/", Reply(500))
    with pytest.warns(GeocodingWarning):
        geocode(addresses, citycodes=codes)
    sent = ban.hits("/search/csv/")[0]
    assert len(ban.hits("/search/csv/")) == 4  # 1 + 3 retries of the 500
    answers = {
        rank: ("48.99", f"1.9{rank:02d}", addresses[rank], "0.92", "housenumber", "78440", "ok")
        for rank in range(25)
    }
    answers[3] = ("48.99", "1.9", "Les Mureaux", "0.2", "municipality", "78440", "ok")
    del answers[7]  # not-found
    ban.route("/search/csv/", Reply(200, batch_csv(sent.body, answers)))
    ban.requests.clear()
    with pytest.warns(GeocodingWarning) as record:
        result = geocode(addresses, citycodes=codes)
    message = str(record[0].message)
    assert "2 of 25" in message and "row 4" in message and "row 8" in message
    (hit,) = ban.hits("/search/csv/")
    assert hit.method == "POST" and b'name="data"; filename="adresses.csv"' in hit.body
    assert b'name="columns"\r\n\r\nadresse' in hit.body
    assert b'name="citycode"\r\n\r\ncode_insee' in hit.body
    assert ban.hits("/search/") == [hit]  # no single GET
    assert (result["precision"] == "adresse").sum() == 23
    assert result.iloc[3]["precision"] == "mairie" and result.iloc[7]["precision"] == "mairie"
    assert result.iloc[10]["lon"] == 1.910
    # Everything answered is cached, including "not found".
    ban.requests.clear()
    with pytest.warns(GeocodingWarning):
        geocode(addresses, citycodes=codes)
    assert ban.requests == []


def test_citycodes_must_match(ban):
    with pytest.raises(SchemaError, match="2 values for 1 addresses"):
        geocode([SEGUR], citycodes=["75107", "75107"])
    with pytest.raises(SchemaError, match="row 1 'Paris'"):
        geocode([SEGUR], citycodes=["Paris"])
    assert ban.requests == []


# --- partial failures, short queries, repeated index labels --------------------------


def test_one_failed_request_keeps_the_other_answers(ban):
    # The BAN answers HTTP 400 to the first query (not retried), then answers.
    ban.route(
        "/search/",
        Reply(400, b'{"code": 400, "message": "Failed parsing query"}'),
        Reply(200, ban_json(SEGUR, 2.3077, 48.8496, score=0.96, citycode="75107")),
    )
    queries = ["1 rue qui fâche 78130 Les Mureaux", SEGUR, "ab", ""]
    with pytest.warns(GeocodingWarning) as record:
        result = geocode(queries, citycodes=["78440", None, "78440", None])
    assert list(result["precision"]) == ["mairie", "adresse", "mairie", "inconnu"]
    assert (result.iloc[1]["lon"], result.iloc[1]["lat"]) == (2.3077, 48.8496)
    reasons = list(result["reason"])
    assert reasons[0].startswith("BAN request failed:") and "HTTP 400" in reasons[0]
    assert reasons[1] is None
    assert reasons[2].startswith("address too short")
    assert reasons[3] == "empty address"
    message = str(record[0].message)
    assert "3 of 4 addresses" in message and "HTTP 400" in message
    assert "row 1 '1 rue qui fâche 78130 Les Mureaux': BAN request failed, placed at" in message
    assert "row 2" not in message
    assert "row 3 'ab': address too short" in message
    # The short query was never sent; only the failed one is asked again.
    sent = [parse_qs(urlsplit(h.path).query)["q"][0] for h in ban.hits("/search/")]
    assert sent == [queries[0], SEGUR]
    ban.requests.clear()
    again = geocode([SEGUR])
    assert again.iloc[0]["precision"] == "adresse" and ban.requests == []


def test_service_down_stops_after_failures_in_a_row(ban, monkeypatch):
    from geo.reference.geocoding import MAX_FAILURES_IN_A_ROW

    monkeypatch.setattr(geo.settings, "download_retries", 0)
    ban.route("/search/", Reply(503))
    addresses = [f"{n} rue de la République 78130 Les Mureaux" for n in range(1, 6)]
    with pytest.warns(GeocodingWarning, match="HTTP 503"):
        result = geocode(addresses, citycodes="78440")
    assert len(ban.hits("/search/")) == MAX_FAILURES_IN_A_ROW == 3
    assert (result["precision"] == "mairie").all()
    assert result["reason"].iloc[:3].str.startswith("BAN request failed").all()
    assert (
        result["reason"].iloc[3:] == "BAN not asked: given up after 3 failed requests in a row"
    ).all()


def test_one_failed_batch_chunk_keeps_the_other_chunks(ban, monkeypatch):
    monkeypatch.setattr("geo.reference.geocoding._BATCH_ROWS", 10)
    addresses = [f"{n} rue de la République 78130 Les Mureaux" for n in range(1, 26)]
    answer = pd.DataFrame(
        {
            "rang": range(10),
            "latitude": "48.99",
            "longitude": [f"1.9{r:02d}" for r in range(10)],
            "result_label": "Les Mureaux",
            "result_score": "0.9",
            "result_type": "housenumber",
            "result_citycode": "78440",
            "result_status": ["ok"] * 9 + ["error"],
        }
    )
    csv = answer.to_csv(index=False).encode()
    ban.route("/search/csv/", Reply(200, csv), Reply(400), Reply(200, csv))
    with pytest.warns(GeocodingWarning, match="HTTP 400"):
        result = geocode(addresses, citycodes="78440")
    assert len(ban.hits("/search/csv/")) == 3
    precise = result["precision"].eq("adresse")
    assert list(precise[precise].index) == [*range(9), *range(20, 25)]
    assert result.at[9, "reason"] == "BAN batch status 'error'"
    assert result["reason"].iloc[10:20].str.contains("HTTP 400").all()
    # Answers of the first and last chunks were cached: only the rest is asked again.
    ban.requests.clear()
    ban.route("/search/", Reply(200, EMPTY))
    with pytest.warns(GeocodingWarning):
        geocode(addresses, citycodes="78440", batch_threshold=100)
    assert ban.hits("/search/csv/") == []
    assert len(ban.hits("/search/")) == 11  # 1 error status + 10 failed, one GET each


def test_repeated_index_labels_are_kept(ban, monkeypatch):
    monkeypatch.setattr(geo.settings, "offline", True)
    series = pd.Series([MUREAUX, "Hôtel de Ville, Paris", MUREAUX], index=["a", "a", "b"])
    with pytest.warns(GeocodingWarning, match="offline"):
        result = geocode(series, citycodes=["78440", "75056", "78440"])
    assert list(result.index) == ["a", "a", "b"]
    assert list(result["precision"]) == ["mairie", "point-sur-surface", "mairie"]
    assert (result.iloc[2]["lon"], result.iloc[2]["lat"]) == mairie("78440")
    assert result["reason"].str.startswith("BAN not asked: offline mode").all()


def test_citycodes_written_as_numbers(ban, monkeypatch):
    monkeypatch.setattr(geo.settings, "offline", True)
    with pytest.warns(GeocodingWarning):
        result = geocode([MUREAUX, "Bourg", "x"], citycodes=[78440, 1053.0, float("nan")])
    assert list(result["citycode"][:2]) == ["78440", "01053"]
    with pytest.raises(SchemaError, match=r"row 1 '78'"):
        geocode([MUREAUX], citycodes=["78"])


def test_refresh_that_fails_keeps_the_cached_answer(ban, monkeypatch):
    ban.route(
        "/search/", Reply(200, ban_json(SEGUR, 2.3077, 48.8496, score=0.9, citycode="75107"))
    )
    geocode([SEGUR])
    monkeypatch.setattr(geo.settings, "download_retries", 0)
    ban.route("/search/", Reply(503))
    result = geocode([SEGUR], refresh=True)
    assert len(ban.hits("/search/")) == 2
    assert result.iloc[0]["precision"] == "adresse" and result.iloc[0]["lon"] == 2.3077


# --- answers checked before they are used -------------------------------------------


def _search_path(query):
    return "/search/?" + urlencode({"q": query, "limit": "1"})


#: BAN answers for Ségur (75107) whose position is no good, and the reason given.
BAD_POSITIONS = [
    ([0, 0], "[0, 0] are no position"),
    ([0.0, 0.0], "[0, 0] are no position"),
    ([200.5, 95.0], "[200.5, 95] out of range"),
    ([2.3, -91], "out of range"),
    (["abc", 48.85], "['abc', 48.85] are not numbers"),
    ([None, 48.85], "[None, 48.85] are not numbers"),
    ([True, 48.85], "are not numbers"),
    ([1e999, 48.85], "[inf, 48.85] are not numbers"),  # JSON Infinity
    ([4.8357, 45.764], "[4.8357, 45.764] is outside département 75 of commune 75107"),  # Lyon
]


def test_bad_positions_fall_back_to_the_town_hall(ban):
    addresses = [f"{n} avenue de Ségur 75007 Paris" for n in range(len(BAD_POSITIONS))]
    for address, (coordinates, _) in zip(addresses, BAD_POSITIONS, strict=True):
        document = json.loads(ban_json(address, 2.3077, 48.8496, score=0.96, citycode="75107"))
        document["features"][0]["geometry"]["coordinates"] = coordinates
        ban.route(_search_path(address), Reply(200, json.dumps(document).encode()))
    with pytest.warns(GeocodingWarning, match=f"{len(addresses)} of {len(addresses)}"):
        result = geocode(addresses)
    assert len(ban.hits("/search/")) == len(addresses)
    assert result["precision"].eq("mairie").all()
    assert set(zip(result["lon"], result["lat"], strict=True)) == {mairie("75107")}
    for reason, (_, why) in zip(result["reason"], BAD_POSITIONS, strict=True):
        assert reason.startswith("BAN answer rejected: BAN ") and why in reason


def test_position_outside_the_given_communes_departement_in_a_batch(ban):
    rows = [
        # rang, adresse, then the BAN result columns
        (0, MUREAUX, "48.99", "1.91", "0.9", "housenumber", "78440", "ok"),  # Les Mureaux
        (1, MUREAUX, "43.2965", "5.3698", "0.9", "housenumber", "78440", "ok"),  # Marseille!
        (2, MUREAUX, "0", "0", "0.9", "housenumber", "78440", "ok"),
        (3, MUREAUX, "n/a", "1.9", "0.9", "housenumber", "78440", "ok"),
    ]
    header = (
        "rang,adresse,latitude,longitude,result_score,result_type,result_citycode,result_status"
    )
    body = "\n".join([header, *(",".join(map(str, r)) for r in rows)]).encode()
    ban.route("/search/csv/", Reply(200, body))
    addresses = [f"{n} place de la Libération 78130 Les Mureaux" for n in range(4)]
    with pytest.warns(GeocodingWarning, match="3 of 4"):
        result = geocode(addresses, citycodes="78440", batch_threshold=1)
    assert list(result["precision"]) == ["adresse", "mairie", "mairie", "mairie"]
    assert "outside département 78 of commune 78440" in result["reason"][1]
    assert "[0, 0]" in result["reason"][2]
    assert "not numbers" in result["reason"][3]


BAD_CACHE_ENTRIES = [
    {"lon": 0, "lat": 0, "score": 0.9, "result_type": "housenumber", "citycode": "75107"},
    {"lon": "x", "lat": 48.8, "score": 0.9, "result_type": "housenumber"},
    {"lon": 2.3, "lat": 48.8, "score": "high", "result_type": "housenumber"},
    {"lon": 2.3, "lat": 48.8, "score": 0.9, "result_type": ["housenumber"]},
    {"lat": 48.8, "score": 0.9},
    [2.3, 48.8],
    "2.3,48.8",
]


def test_bad_cached_answers_are_not_used(ban, seeded_cache):
    addresses = [f"{n} avenue de Ségur 75007 Paris" for n in range(len(BAD_CACHE_ENTRIES))]
    cache = {f"|{a.lower()}": entry for a, entry in zip(addresses, BAD_CACHE_ENTRIES, strict=True)}
    (seeded_cache / "geocode-ban-v1.json").write_text(json.dumps(cache), encoding="utf-8")
    for address in addresses:
        body = ban_json(address, 2.3077, 48.8496, score=0.96, citycode="75107")
        ban.route(_search_path(address), Reply(200, body))
    with pytest.warns(GeocodingWarning, match="7 unusable entries.*asked the BAN again"):
        result = geocode(addresses)
    assert len(ban.hits("/search/")) == len(addresses)  # every one asked again
    assert result["precision"].eq("adresse").all()
    assert set(zip(result["lon"], result["lat"], strict=True)) == {(2.3077, 48.8496)}


def test_bad_cached_position_offline_falls_back(ban, seeded_cache, monkeypatch):
    entry = {"lon": 0, "lat": 0, "score": 0.99, "result_type": "housenumber", "citycode": "75107"}
    (seeded_cache / "geocode-ban-v1.json").write_text(
        json.dumps({f"75107|{SEGUR.lower()}": entry}), encoding="utf-8"
    )
    monkeypatch.setattr(geo.settings, "offline", True)
    with pytest.warns(GeocodingWarning) as caught:
        result = geocode([SEGUR], citycodes="75107")
    messages = [str(w.message) for w in caught]
    assert any("1 unusable entry" in m and "[0, 0] are no position" in m for m in messages)
    assert any("offline" in m for m in messages)
    assert result.iloc[0]["precision"] == "mairie"
    assert ban.requests == []


def test_connection_reset_or_garbled_answer_falls_back(ban, monkeypatch):
    monkeypatch.setattr(geo.settings, "download_retries", 0)
    body = ban_json(SEGUR, 2.3077, 48.8496, score=0.96, citycode="75107")
    ban.route("/search/", Reply(200, body, reset_after=20))
    with pytest.warns(GeocodingWarning, match="connection lost"):
        result = geocode([SEGUR])
    assert result.iloc[0]["precision"] == "mairie"
    ban.route("/search/", Reply(200, body, headers={"Content-Encoding": "gzip"}))
    with pytest.warns(GeocodingWarning, match="garbled body"):
        result = geocode([SEGUR], refresh=True)
    assert result.iloc[0]["precision"] == "mairie"


def test_geocoder_cache_path_that_is_a_directory_is_one_clear_error(ban, seeded_cache):
    from geo.errors import DataSourceError

    (seeded_cache / "geocode-ban-v1.json").mkdir()
    with pytest.raises(DataSourceError, match=r"geocode-ban-v1\.json cannot be used: it is a dir"):
        geocode([SEGUR])
    assert ban.requests == []
