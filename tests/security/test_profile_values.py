"""Worst-case profile values (docs/api.md "Profiles", "Finding people"): what an attacker
would put in a display name, a status or a time zone to impersonate someone, to hide text
behind bidirectional controls, to make every client that shows it slow, or to get past the
per-account change limit by racing it. Every refusal is `400 invalid_profile` (or
`bad_request` for a value that is not a string) and stores nothing. Both backends.

One class per test, each with its variants:
- invisible and reordering controls, in every text field and in `GET /users?q=`;
- sizes at and just past each bound, counted in code points whatever their byte length,
  including a grapheme built of hundreds of combining marks or joined emoji;
- time zones that are paths, custom offsets or over-long;
- a value that round-trips byte for byte when it is legal, however hostile to JSON or HTML;
- the hourly change limit under concurrent patches from several sessions of one account.
"""
from __future__ import annotations

import concurrent.futures
import urllib.parse

import pytest

from parley_client import assert_error, login, register, register_and_login, unique
from text_attacks import CONTROLS

FIELDS = ("display_name", "status_text")


def _me(server, tok) -> dict:
    st, js = server.api("GET", "/me", token=tok)
    assert st == 200, js
    return js["user"]


def _patch(server, tok, body):
    return server.api("PATCH", "/me", body, token=tok)


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_controls_and_bidi_overrides_are_refused_everywhere(server_factory, where):
    # Searches are rate limited before their text is read: room for the twenty here.
    server = server_factory(extra=("--people-search-rate", "1000"))
    tok, _ = register_and_login(server, "spoofer")
    st, _ = _patch(server, tok, {"display_name": "Honest", "status_text": "plain"})
    assert st == 200
    before = _me(server, tok)
    for name, c in CONTROLS.items():
        value = {"start": c + "admin", "middle": "ad" + c + "min", "end": "admin" + c}[where]
        for field in FIELDS:
            r = server.request("PATCH", "/me", {field: value}, token=tok)
            assert r.status == 400 and r.error_code == "invalid_profile", (name, field, r)
            assert field in r.json["error"]["message"], (name, field, r.json["error"]["message"])
        # The search box takes the display name's rules: the same answer, and no listing.
        q = urllib.parse.urlencode({"q": value})
        assert_error(server.api("GET", f"/users?{q}", token=tok), 400, "invalid_profile")
    assert _me(server, tok) == before


def test_lengths_count_code_points_not_bytes(server):
    tok, _ = register_and_login(server, "measured")
    four_byte = "\U0001d49c"  # MATHEMATICAL SCRIPT CAPITAL A: 4 bytes in UTF-8, 2 UTF-16 units
    ok = {"display_name": four_byte * 64, "status_text": four_byte * 100}
    st, js = _patch(server, tok, ok)
    assert st == 200, js
    assert {k: js["user"][k] for k in ok} == ok
    for field, limit in (("display_name", 64), ("status_text", 100)):
        for filler in ("a", four_byte, "\u00e9"):
            r = server.request("PATCH", "/me", {field: filler * (limit + 1)}, token=tok)
            assert r.status == 400 and r.error_code == "invalid_profile", (field, filler, r)
    # White space at both ends does not count, and a name of white space alone is no name.
    st, js = _patch(server, tok, {"display_name": "\u3000\u00a0 " + "b" * 64 + " \u2003"})
    assert st == 200 and js["user"]["display_name"] == "b" * 64, js
    for blank in (" ", "\u3000", "\u00a0\u2003 "):
        assert_error(_patch(server, tok, {"display_name": blank}), 400, "invalid_profile")
    assert _me(server, tok)["display_name"] == "b" * 64


def test_one_huge_grapheme_is_refused(server):
    """A grapheme cluster has no length limit in Unicode: one base letter with hundreds of
    combining marks ("Zalgo" text) or hundreds of emoji joined by ZWJ stay one "character"
    on screen while costing every renderer. Lengths count code points, so both are refused,
    and a status emoji is at most one short emoji."""
    tok, _ = register_and_login(server, "zalgo")
    zalgo = "a" + "\u0301\u0316\u0334" * 200
    family = "\u200d".join(["\U0001f468"] * 300)
    for field in FIELDS:
        for value in (zalgo, family):
            assert_error(_patch(server, tok, {field: value}), 400, "invalid_profile")
    for value in (family, zalgo, "\U0001f468\u200d\U0001f469\u200d\U0001f467" * 2, "🎉🎉",
                  ":tada::tada:", ":not_an_emoji:", "a", "\u200d", "\ufe0f"):
        assert_error(_patch(server, tok, {"status_emoji": value}), 400, "invalid_profile")
    # One real ZWJ sequence is one emoji.
    st, js = _patch(server, tok, {"status_emoji": "\U0001f468\u200d\U0001f469\u200d\U0001f467"})
    assert st == 200, js
    assert _me(server, tok)["display_name"] is None


@pytest.mark.parametrize("zone", [
    "../../../../etc/passwd", "/etc/localtime", "Europe/../../etc/shadow", "Europe/Paris/",
    "Europe\\Paris", "GMT+05:00", "UTC+1", "Etc/GMT+99", "Europe/Paris\u0000", "%2e%2e/UTC",
    "A" * 65, "Europe/" + "x" * 300,
])
def test_time_zones_that_are_not_names_are_refused(server, zone):
    tok, _ = register_and_login(server, "traveller")
    st, _ = _patch(server, tok, {"time_zone": "Europe/Paris"})
    assert st == 200
    r = server.request("PATCH", "/me", {"time_zone": zone}, token=tok)
    assert r.status == 400 and r.error_code == "invalid_profile", (zone, r)
    assert "time_zone" in r.json["error"]["message"]
    assert _me(server, tok)["time_zone"] == "Europe/Paris"


def test_values_hostile_to_json_and_html_round_trip_byte_for_byte(server):
    """Escaping is the reader's job (the web client sets text, never HTML): the server
    stores and answers exactly what was sent, in its own answers and in `GET /users`."""
    tok, user = register_and_login(server, "quoter")
    other, _ = register_and_login(server, "reader")
    values = {
        "display_name": '"</script><img src=x onerror=alert(1)>\\u0000',
        "status_text": "{{7*7}} ${x} \\\" ' ` <!-- --> ]]> \U0001f600 \u05e9\u05dc\u05d5\u05dd",
    }
    st, js = _patch(server, tok, values)
    assert st == 200, js
    assert {k: js["user"][k] for k in values} == values
    assert {k: _me(server, tok)[k] for k in values} == values
    q = urllib.parse.urlencode({"q": user["username"]})
    st, js = server.api("GET", f"/users?{q}", token=other)
    assert st == 200, js
    found = [u for u in js["users"] if u["id"] == user["id"]]
    assert len(found) == 1 and {k: found[0][k] for k in values} == values


def test_change_limit_holds_under_concurrent_patches_from_many_sessions(server_factory):
    """The limit is per account: six sessions racing forty patches get exactly the limit
    through, and the stored profile is one of the accepted ones."""
    server = server_factory(extra=("--profile-changes-per-hour", "5"))
    name = unique("racer")
    register(server, name)
    tokens = [login(server, name)["token"] for _ in range(6)]
    bodies = [{"status_text": f"take {i}"} for i in range(40)]

    def patch(i):
        r = server.request("PATCH", "/me", bodies[i], token=tokens[i % len(tokens)])
        return i, r.status, r.error_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(patch, range(len(bodies))))
    accepted = [i for i, st, _ in results if st == 200]
    refused = [(st, code) for _, st, code in results if st != 200]
    assert len(accepted) == 5, results
    assert set(refused) == {(429, "rate_limited")}, refused
    assert _me(server, tokens[0])["status_text"] in {bodies[i]["status_text"] for i in accepted}
    st, js = server.api("GET", "/audit", token=tokens[0])
    assert len([e for e in js["events"] if e["kind"] == "profile_changed"]) == 5
