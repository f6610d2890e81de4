"""History centred on a message: GET /rooms/{id}/messages?around=SEQ (docs/api.md, Messages),
what the web client opens a search hit or a message link with. Runs on either backend
(PARLEY_BACKEND=scaled for PostgreSQL)."""

from parley_client import (
    assert_error, create_room, history, join, post_message, send_rest,
)


def _room_with(server, users, n, prefix="ar"):
    a, _ = users(prefix + "a")
    b, _ = users(prefix + "b")
    room = create_room(server, a, prefix + "-room", public=True)
    join(server, b, room["id"])
    seqs = [post_message(server, a if i % 2 else b, room["id"], f"{prefix}-{i}")["seq"]
            for i in range(n)]
    return a, b, room["id"], seqs


def _seqs(page):
    return [m["seq"] for m in page["messages"]]


def test_around_centres_the_page_on_the_message(server, users):
    a, b, rid, seqs = _room_with(server, users, 60)
    mid = seqs[30]
    page = history(server, b, rid, around=mid, limit=10)
    # Half after SEQ, the rest up to and including it, ascending, like any history page.
    assert _seqs(page) == seqs[26:36]
    assert [m["text"] for m in page["messages"]] == [f"ar-{i}" for i in range(26, 36)]
    assert page["has_more_before"] is True and page["has_more_after"] is True
    assert page["has_more"] is True
    assert page["my_reactions"] == {}
    assert all(m["kind"] == "message" for m in page["messages"])
    # An odd limit gives the extra one to the side of SEQ.
    assert _seqs(history(server, b, rid, around=mid, limit=5)) == seqs[28:33]
    # The default limit is 50, as for any page.
    assert len(history(server, b, rid, around=mid)["messages"]) == 50


def test_around_near_an_end_fills_from_the_other_side(server, users):
    a, b, rid, seqs = _room_with(server, users, 30, "edge")
    first = history(server, b, rid, around=seqs[1], limit=10)
    assert _seqs(first) == seqs[0:10]
    assert first["has_more_before"] is False and first["has_more_after"] is True
    last = history(server, b, rid, around=seqs[-1], limit=10)
    assert _seqs(last) == seqs[-10:]
    assert last["has_more_before"] is True and last["has_more_after"] is False
    # Past the end, and at 0: the newest and the oldest messages.
    assert _seqs(history(server, b, rid, around=seqs[-1] + 1000, limit=4)) == seqs[-4:]
    assert _seqs(history(server, b, rid, around=0, limit=4)) == seqs[:4]
    whole = history(server, b, rid, around=seqs[10], limit=200)
    assert _seqs(whole) == seqs
    assert whole["has_more"] is False
    assert whole["has_more_before"] is False and whole["has_more_after"] is False


def test_around_shows_edits_and_skips_non_messages(server, users):
    a, b, rid, seqs = _room_with(server, users, 12, "ed")
    target = seqs[5]
    sender = a if 5 % 2 else b
    st, js = server.api("PATCH", f"/rooms/{rid}/messages/{target}", {"text": "ed-new"},
                        token=sender)
    assert st == 200, js
    edit_seq = js["event"]["seq"]
    st, js = server.api("DELETE", f"/rooms/{rid}/messages/{seqs[6]}", token=a if 6 % 2 else b)
    assert st == 200, js
    page = history(server, a, rid, around=target, limit=6)
    by_seq = {m["seq"]: m for m in page["messages"]}
    assert by_seq[target]["text"] == "ed-new" and by_seq[target]["edited_at"] > 0
    assert all(m["kind"] == "message" for m in page["messages"])
    assert _seqs(page) == seqs[3:9]
    # Around the edit event's own seq: the messages next to it (it is not one itself).
    assert edit_seq not in _seqs(history(server, a, rid, around=edit_seq, limit=4))


def test_around_bad_values_are_bad_request_and_change_nothing(server, users):
    a, b, rid, seqs = _room_with(server, users, 3, "bad")
    for q in ("around=abc", "around=-1", "around=1.5", "around=", "around=0x1",
              "around=99999999999999999999", f"around={seqs[1]}&before={seqs[2]}",
              f"around={seqs[1]}&after=0", f"before=9&around={seqs[1]}&after=1",
              f"around={seqs[1]}&limit=0", f"around={seqs[1]}&limit=201",
              f"around={seqs[1]}&limit=x"):
        assert_error(server.api("GET", f"/rooms/{rid}/messages?{q}", token=b), 400,
                     "bad_request")
    st, js = server.api("GET", f"/rooms/{rid}/messages?around=1&before=2", token=b)
    assert js["error"]["message"] == "around cannot be combined with before or after"
    assert _seqs(history(server, b, rid)) == seqs


def test_around_is_for_members_only(server, users):
    a, b, rid, seqs = _room_with(server, users, 4, "mem")
    c, _ = users("memc")
    # A public room I am not in: not_member, as for the other history pages.
    assert_error(server.api("GET", f"/rooms/{rid}/messages?around={seqs[1]}", token=c), 403,
                 "not_member")
    private = create_room(server, a, "mem-private", public=False)["id"]
    post_message(server, a, private, "mem-secret")
    hidden = server.request("GET", f"/rooms/{private}/messages?around=1", token=c)
    missing = server.request("GET", f"/rooms/{2 ** 63 - 1}/messages?around=1", token=c)
    assert hidden.status == missing.status == 404
    assert hidden.body == missing.body
    # A member who leaves reads nothing more.
    st, _ = server.api("POST", f"/rooms/{rid}/leave", token=b)
    assert st == 204
    assert_error(server.api("GET", f"/rooms/{rid}/messages?around={seqs[1]}", token=b), 403,
                 "not_member")
    # Checks that do not depend on the room come first: a bad value is 400 everywhere.
    assert_error(server.api("GET", f"/rooms/{private}/messages?around=x", token=c), 400,
                 "bad_request")
    assert send_rest(server, a, rid, "still works")[0] == 201
