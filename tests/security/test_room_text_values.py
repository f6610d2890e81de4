"""Worst-case room names and topics through PATCH /rooms/{id} (docs/api.md "Room settings"):
what an owner would put in a name or topic to make it read as something else in every
member's room list, to overflow the bounds with multi-byte text, or to flood the room with
settings events. Every refusal is `400 bad_request`, takes no seq and stores nothing; the
same body gets the same answer for a room that does not exist. Both backends.

One class per test, each with its variants:
- invisible and reordering controls (the set test_profile_values refuses) at the start, the
  middle and the end of a name and of a topic, where trimming must not hide them;
- bounds counted in bytes whatever the characters, and one grapheme of hundreds of marks;
- bodies that are not UTF-8 or not an object;
- a flood of renames, held by the per-user send rate: only the accepted ones are events.
"""
from __future__ import annotations

import pytest

from parley_client import assert_error, create_room, my_rooms, register_and_login, room_last_seq
from text_attacks import CONTROLS

MISSING = 2 ** 63 - 1


def _owner_room(server):
    tok, _ = register_and_login(server, "landlord")
    room = create_room(server, tok, "Kitchen", public=False, topic="dishes")
    return tok, room["id"]


def _refused(server, tok, rid, body):
    before = room_last_seq(server, tok, rid)
    resp = server.api("PATCH", f"/rooms/{rid}", body, token=tok)
    assert_error(resp, 400, "bad_request")
    assert server.api("PATCH", f"/rooms/{MISSING}", body, token=tok) == resp
    assert room_last_seq(server, tok, rid) == before
    mine = my_rooms(server, tok)[rid]
    assert (mine["name"], mine["topic"]) == ("Kitchen", "dishes")


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_controls_and_bidi_overrides_are_refused_in_names_and_topics(server, where):
    tok, rid = _owner_room(server)
    for name, c in CONTROLS.items():
        value = {"start": c + "Kitchen", "middle": "Kit" + c + "chen", "end": "Kitchen" + c}[where]
        for field in ("name", "topic"):
            _refused(server, tok, rid, {field: value})


def test_bounds_count_bytes_whatever_the_characters(server):
    tok, rid = _owner_room(server)
    for fill, size in (("e", 1), ("\u00e9", 2), ("\u20ac", 3), ("\U0001f389", 4)):
        _refused(server, tok, rid, {"name": fill * (100 // size + 1)})
        _refused(server, tok, rid, {"topic": fill * (1000 // size + 1)})
    _refused(server, tok, rid, {"name": "a" + "\u0301" * 60})  # one grapheme, 121 bytes
    # At the bound, in 4-byte characters: taken, and read back byte for byte.
    st, js = server.api("PATCH", f"/rooms/{rid}", {"name": "\U0001f389" * 25}, token=tok)
    assert st == 200 and js["room"]["name"] == "\U0001f389" * 25, js
    assert js["event"]["settings"]["changed"] == ["name"]


@pytest.mark.parametrize("raw", [b'{"name":"\xff\xfe"}', b'{"name":"a\xc0\x80b"}', b"[]",
                                 b'"Kitchen"', b"{", b'{"name":"x"', b""])
def test_bodies_that_are_not_a_json_object_of_utf8_are_refused(server, raw):
    tok, rid = _owner_room(server)
    before = room_last_seq(server, tok, rid)
    r = server.request("PATCH", f"/rooms/{rid}", raw=raw, token=tok)
    assert r.status == 400 and r.error_code == "bad_request", r
    assert room_last_seq(server, tok, rid) == before


def test_a_rename_flood_is_held_by_the_send_rate(server_factory):
    server = server_factory(send_rate=3)
    tok, rid = _owner_room(server)
    before = room_last_seq(server, tok, rid)
    answers = [server.request("PATCH", f"/rooms/{rid}", {"name": f"Kitchen {i}"}, token=tok)
               for i in range(40)]
    accepted = [r for r in answers if r.status == 200]
    refused = {(r.status, r.error_code) for r in answers if r.status != 200}
    assert 1 <= len(accepted) < 40 and refused == {(429, "rate_limited")}, answers[-1]
    # Each accepted rename is one event; a refused one took no seq.
    assert room_last_seq(server, tok, rid) - before == len(accepted)
    assert my_rooms(server, tok)[rid]["name"] == accepted[-1].json["room"]["name"]
