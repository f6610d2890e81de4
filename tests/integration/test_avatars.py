"""Avatars (docs/api.md "Avatars"): made of one of my uploads, cropped square, served at 64
and 256 pixels to the people who may see me, removed, announced in the `profile` frame,
bounded (not an image, a pixel bomb, too many bytes, someone else's file, a room I am not
in, the rate of changes). Both backends."""
from __future__ import annotations

import io

from parley_client import (add_member, assert_error, connect_ready, create_room,
                           register_and_login, run, unique)
from test_files import jpeg_bytes, pixel_bomb_png, png_bytes, uploaded


def _dims(jpeg: bytes) -> tuple[int, int]:
    from PIL import Image
    img = Image.open(io.BytesIO(jpeg))
    assert img.format == "JPEG"
    return img.size


def _put(server, tok, room, file_id):
    return server.api("PUT", "/me/avatar", {"room": room, "file": file_id}, token=tok)


def _avatar(server, tok, username, size=None, v=None):
    q = "&".join(f"{k}={x}" for k, x in (("size", size), ("v", v)) if x is not None)
    return server.request("GET", f"/users/{username}/avatar" + (f"?{q}" if q else ""), token=tok)


def _me(server, tok):
    return server.api("GET", "/me", token=tok)[1]["user"]


def test_set_serve_and_remove_an_avatar(server):
    tok, me = register_and_login(server, "ava")
    other_tok, _ = register_and_login(server, "viewer")
    room = create_room(server, tok, "pics", public=False)
    f = uploaded(server, tok, room["id"], png_bytes(300, 200), "me.png")
    st, js = _put(server, tok, room["id"], f["id"])
    assert st == 200, js
    aid = js["user"]["avatar"]
    assert isinstance(aid, str) and len(aid) == 12
    assert _me(server, tok)["avatar"] == aid
    assert server.api("GET", f"/users/{me['username']}", token=other_tok)[1]["user"]["avatar"] == aid
    for size, default in ((64, False), (256, False), (None, True)):
        r = _avatar(server, other_tok, me["username"], size, v=aid)
        assert r.status == 200, r
        assert r.headers["content-type"] == "image/jpeg"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "private, max-age=31536000, immutable"
        edge = 256 if default else size
        assert _dims(r.body) == (edge, edge)  # cropped square
    # An old id is not cached for good.
    assert _avatar(server, tok, me["username"], 64, v="old").headers["cache-control"] == "no-cache"
    # A new avatar has a new id; a JPEG works too.
    f2 = uploaded(server, tok, room["id"], jpeg_bytes(40, 90), "small.jpg")
    st, js = _put(server, tok, room["id"], f2["id"])
    assert st == 200 and js["user"]["avatar"] not in (None, aid)
    assert _dims(_avatar(server, tok, me["username"], 256).body) == (256, 256)
    # Removed: the profile says null and the image is gone; removing again changes nothing.
    st, js = server.api("DELETE", "/me/avatar", token=tok)
    assert st == 200 and js["user"]["avatar"] is None
    assert_error(_avatar(server, other_tok, me["username"], 64), 404, "not_found")
    assert server.api("DELETE", "/me/avatar", token=tok)[0] == 200
    # Audited by name only.
    st, js = server.api("GET", "/audit", token=tok)
    details = [e.get("detail") for e in js["events"] if e["kind"] == "profile_changed"]
    assert details.count("avatar") == 3


def test_bad_avatars_are_refused_and_change_nothing(server):
    tok, me = register_and_login(server, "picky")
    o_tok, other = register_and_login(server, "otherone")
    mine = create_room(server, tok, "mine", public=False)
    shared = create_room(server, o_tok, "shared", public=False)
    add_member(server, o_tok, shared["id"], me["username"])
    theirs = create_room(server, o_tok, "theirs", public=False)
    good = uploaded(server, tok, mine["id"], png_bytes(64, 64), "ok.png")
    assert _put(server, tok, mine["id"], good["id"])[0] == 200
    before = _me(server, tok)

    text = uploaded(server, tok, mine["id"], b"just some words, not an image\n", "a.txt")
    st, js = _put(server, tok, mine["id"], text["id"])
    assert_error((st, js), 400, "invalid_profile")
    assert "not a PNG, JPEG, GIF or WebP" in js["error"]["message"]
    bomb = uploaded(server, tok, mine["id"], pixel_bomb_png(), "bomb.png")
    st, js = _put(server, tok, mine["id"], bomb["id"])
    assert_error((st, js), 400, "invalid_profile")
    assert "too large" in js["error"]["message"] or "not a PNG" in js["error"]["message"]
    # Someone else's upload in a room we share, an upload in a room I am not in, an id of
    # nothing: one answer, byte for byte.
    someone = uploaded(server, o_tok, shared["id"], png_bytes(64, 64), "theirs.png")
    hidden = uploaded(server, o_tok, theirs["id"], png_bytes(64, 64), "hidden.png")
    answers = [
        server.request("PUT", "/me/avatar", {"room": shared["id"], "file": someone["id"]}, token=tok),
        server.request("PUT", "/me/avatar", {"room": theirs["id"], "file": hidden["id"]}, token=tok),
        server.request("PUT", "/me/avatar", {"room": mine["id"], "file": someone["id"]}, token=tok),
        server.request("PUT", "/me/avatar", {"room": mine["id"], "file": "A" * 22}, token=tok),
        server.request("PUT", "/me/avatar", {"room": mine["id"], "file": "../../etc"}, token=tok),
    ]
    for a in answers:
        assert_error(a, 400, "invalid_profile")
        assert a.body == answers[0].body
    # Malformed bodies.
    assert_error(server.api("PUT", "/me/avatar", {"room": mine["id"]}, token=tok), 400, "bad_request")
    assert_error(server.api("PUT", "/me/avatar", {"room": "x", "file": good["id"]}, token=tok),
                 400, "bad_request")
    assert_error(server.api("PUT", "/me/avatar", {"room": mine["id"], "file": good["id"],
                                                 "x": 1}, token=tok), 400, "bad_request")
    assert_error(_avatar(server, tok, me["username"], 65), 400, "bad_request")
    assert _me(server, tok) == before
    st, js = server.api("GET", "/audit", token=tok)
    assert [e.get("detail") for e in js["events"] if e["kind"] == "profile_changed"] == ["avatar"]


def test_a_large_upload_is_refused(server):
    tok, _ = register_and_login(server, "hugefile")
    room = create_room(server, tok, "big", public=False)
    # Over 10 MiB of a real PNG header followed by junk chunks: refused by size, unread.
    body = png_bytes(8, 8) + b"\0" * (10 * 1024 * 1024)
    big = uploaded(server, tok, room["id"], body, "huge.png")
    st, js = _put(server, tok, room["id"], big["id"])
    assert_error((st, js), 400, "invalid_profile")
    assert "larger than 10 MiB" in js["error"]["message"]


def test_who_may_fetch_an_avatar_in_shared_mode(server_factory):
    server = server_factory(extra=("--people-search", "shared"))
    a_tok, alice = register_and_login(server, "sa")
    b_tok, _ = register_and_login(server, "sb")
    c_tok, _ = register_and_login(server, "sc")
    room = create_room(server, a_tok, "pair", public=False)
    add_member(server, a_tok, room["id"], _me(server, b_tok)["username"])
    f = uploaded(server, a_tok, room["id"], png_bytes(100, 100), "a.png")
    assert _put(server, a_tok, room["id"], f["id"])[0] == 200
    assert _avatar(server, b_tok, alice["username"], 64).status == 200
    hidden = _avatar(server, c_tok, alice["username"], 64)
    missing = _avatar(server, c_tok, unique("nobody"), 64)
    _, nobody_pic = register_and_login(server, "nopic")
    assert hidden.status == missing.status == 404
    assert hidden.body == missing.body
    # Without a session: 401.
    assert server.request("GET", f"/users/{alice['username']}/avatar").status == 401
    del nobody_pic


def test_avatar_changes_are_rate_limited_and_announced(server_factory):
    server = server_factory(extra=("--profile-changes-per-hour", "2"))
    tok, me = register_and_login(server, "often")
    b_tok, bob = register_and_login(server, "watcher")
    room = create_room(server, tok, "r", public=False)
    add_member(server, tok, room["id"], bob["username"])
    f = uploaded(server, tok, room["id"], png_bytes(50, 50), "p.png")

    async def scenario():
        ws = await connect_ready(server, b_tok, name="bob")
        st, js = _put(server, tok, room["id"], f["id"])
        assert st == 200
        frame = await ws.recv_until(lambda x: x.get("type") == "profile"
                                    and x["user"]["id"] == me["id"], what="the avatar frame")
        assert frame["user"]["avatar"] == js["user"]["avatar"]
        assert server.api("DELETE", "/me/avatar", token=tok)[0] == 200
        frame = await ws.recv_until(lambda x: x.get("type") == "profile"
                                    and x["user"]["id"] == me["id"], what="the removal frame")
        assert frame["user"]["avatar"] is None
        await ws.close()

    run(scenario(), timeout=60)
    r = server.request("PUT", "/me/avatar", {"room": room["id"], "file": f["id"]}, token=tok)
    assert_error(r, 429, "rate_limited")
    assert int(r.headers["retry-after"]) >= 1
    assert _me(server, tok)["avatar"] is None


def test_attempts_are_bounded_before_any_image_is_made(server_factory):
    server = server_factory(extra=("--profile-changes-per-hour", "2"))
    tok, _ = register_and_login(server, "spammer")
    room = create_room(server, tok, "r", public=False)
    text = uploaded(server, tok, room["id"], b"not an image at all\n", "t.txt")
    for _ in range(10):  # the budget: max(10, 2 x 2) attempts an hour, refused ones too
        assert_error(_put(server, tok, room["id"], text["id"]), 400, "invalid_profile")
    r = server.request("PUT", "/me/avatar", {"room": room["id"], "file": text["id"]}, token=tok)
    assert_error(r, 429, "rate_limited")
    assert int(r.headers["retry-after"]) >= 1
