"""Message search (issue #13, docs/api.md "Search") against the real binary, on the embedded
default and (PARLEY_BACKEND=scaled) on PostgreSQL + Redis: the query language, fuzzy ranking,
paging, edits and deletes, the permission matrix, every bad query, and what the stores hold
at rest (none of the words sent)."""
from __future__ import annotations

import secrets
import subprocess
from urllib.parse import quote

import backends
from parley_client import (
    add_member, assert_error, create_room, join, post_message, register_and_login, send_rest,
)
import pytest

SEARCH_RATE = ("--search-rate", "1000")


@pytest.fixture
def server(server_factory):
    """A server whose search rate does not get in the way of tests that search in bursts."""
    return server_factory(extra=SEARCH_RATE)


def search(server, token, q, **params):
    extra = "".join(f"&{k}={quote(str(v))}" for k, v in params.items())
    return server.api("GET", f"/search?q={quote(q)}{extra}", token=token)


def found(server, token, q, **params):
    st, js = search(server, token, q, **params)
    assert st == 200, (q, st, js)
    return js


def seqs(js):
    return [(h["room_id"], h["seq"]) for h in js["hits"]]


def word(prefix="w"):
    """A word no other test, name or id holds (letters only, so segmentation keeps it whole)."""
    return prefix + "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(10))


def test_words_phrases_prefixes_and_snippets(server, users):
    a, _ = users("alice")
    room = create_room(server, a, "plans")["id"]
    w = word()
    m1 = post_message(server, a, room, f"The quarterly {w} is due on Friday")
    m2 = post_message(server, a, room, f"{w} quarterly, maybe")
    post_message(server, a, room, "nothing to see here")
    js = found(server, a, f"{w} quarterly")
    assert sorted(seqs(js)) == sorted([(room, m1["seq"]), (room, m2["seq"])])
    assert js["totals"] == [{"room_id": room, "count": 2}]
    assert seqs(found(server, a, f'"quarterly {w}"')) == [(room, m1["seq"])]
    assert seqs(found(server, a, f"{w} -friday")) == [(room, m2["seq"])]
    assert len(found(server, a, f"{w[:6]}*")["hits"]) == 2
    hit = found(server, a, f'"quarterly {w}"')["hits"][0]
    marked = [p["text"] for p in hit["snippet"] if p["match"]]
    assert marked == ["quarterly", w]  # each matched word is marked
    assert "".join(p["text"] for p in hit["snippet"]) == f"The quarterly {w} is due on Friday"
    assert hit["sender"]["username"].startswith("alice")


def test_fuzzy_matches_rank_below_exact_ones(server, users):
    a, _ = users("alice")
    room = create_room(server, a, "typos")["id"]
    w = word("m")
    while w[3] == w[4]:  # swapping two equal letters would make no typo at all
        w = word("m")
    typo = w[:3] + w[4] + w[3] + w[5:]  # two letters swapped: one edit
    exact = post_message(server, a, room, f"about {w} today")
    fuzzy = post_message(server, a, room, f"about {typo} tomorrow")
    js = found(server, a, w)
    assert seqs(js) == [(room, exact["seq"]), (room, fuzzy["seq"])]  # exact first, though older
    assert [h["exact"] for h in js["hits"]] == [True, False]
    assert seqs(found(server, a, w, sort="recent")) == [(room, fuzzy["seq"]), (room, exact["seq"])]
    # Two letters: no fuzziness.
    post_message(server, a, room, "qz marks")
    assert found(server, a, "qx")["hits"] == []


def test_filters(server, users):
    a, au = users("alice")
    b, bu = users("bob")
    room = create_room(server, a, "filters")["id"]
    join(server, b, room)
    w = word()
    m_a = post_message(server, a, room, f"{w} from alice https://example.com/x")
    st, js = send_rest(server, b, room, f"{w} reply from bob", reply_to=m_a["seq"])
    assert st == 201, js
    m_b = js["message"]
    assert seqs(found(server, a, f"{w} from:{bu['username']}")) == [(room, m_b["seq"])]
    assert seqs(found(server, a, f"{w} from:@{au['username']}")) == [(room, m_a["seq"])]
    assert seqs(found(server, a, f"{w} is:reply")) == [(room, m_b["seq"])]
    assert seqs(found(server, a, f"{w} has:link")) == [(room, m_a["seq"])]
    assert found(server, a, f"{w} has:file")["hits"] == []
    assert len(found(server, a, f"{w} in:{room}")["hits"]) == 2
    assert len(found(server, a, f"{w} in:#filters")["hits"]) == 2
    assert found(server, a, f"{w} before:1971-01-01")["hits"] == []
    assert len(found(server, a, f"{w} after:1971-01-01")["hits"]) == 2
    assert found(server, a, f"from:nobody{w}")["hits"] == []


def test_paging_with_the_cursor(server, users):
    a, _ = users("alice")
    room = create_room(server, a, "pages")["id"]
    w = word()
    sent = [post_message(server, a, room, f"{w} number {i}")["seq"] for i in range(25)]
    got, cursor = [], None
    for _ in range(5):
        params = {"limit": 10, "sort": "recent"}
        if cursor:
            params["cursor"] = cursor
        js = found(server, a, w, **params)
        got += [h["seq"] for h in js["hits"]]
        cursor = js["next_cursor"]
        if cursor is None:
            break
    assert got == sorted(sent, reverse=True)


def test_edits_are_found_by_their_new_text_and_deletes_vanish(server, users):
    a, _ = users("alice")
    room = create_room(server, a, "edits")["id"]
    old, new = word("o"), word("n")
    m = post_message(server, a, room, f"first {old}")
    assert seqs(found(server, a, old)) == [(room, m["seq"])]
    st, js = server.api("PATCH", f"/rooms/{room}/messages/{m['seq']}", {"text": f"then {new}"}, token=a)
    assert st == 200, js
    assert found(server, a, old)["hits"] == []  # Zulip CVE-2022-31017
    assert seqs(found(server, a, new)) == [(room, m["seq"])]
    st, js = server.api("DELETE", f"/rooms/{room}/messages/{m['seq']}", token=a)
    assert st == 200, js
    assert found(server, a, new)["hits"] == []
    assert found(server, a, new)["totals"] == []


def test_permission_matrix(server, users):
    owner, _ = users("owner")
    member, _ = users("member")
    outsider, _ = users("outsider")
    leaver, lu = users("leaver")
    removed, ru = users("removed")
    private = create_room(server, owner, "secret", public=False)["id"]
    public = create_room(server, owner, "lobby", public=True)["id"]
    for u in (member, leaver, removed):
        me = server.api("GET", "/me", token=u)[1]["user"]["username"]
        add_member(server, owner, private, me)
    w = word()
    post_message(server, owner, private, f"private {w}")
    post_message(server, owner, public, f"public {w}")
    assert len(found(server, member, w)["hits"]) == 2 - 1  # the private room only
    assert len(found(server, leaver, w)["hits"]) == 1
    st, js = server.api("POST", f"/rooms/{private}/leave", token=leaver)
    assert st in (200, 204), js
    st, js = server.api("DELETE", f"/rooms/{private}/members/{ru['id']}", token=owner)
    assert st in (200, 204), js
    nothing = {"hits": [], "totals": [], "next_cursor": None}
    for who in (outsider, leaver, removed):
        assert found(server, who, w) == nothing  # not even the public room: not a member
        # A room id the caller may not see answers byte for byte as one that does not exist.
        seen = search(server, who, f"{w} in:{private}")
        missing = search(server, who, f"{w} in:{private + 100000}")
        assert seen == missing == (200, nothing)
        assert server.request("GET", f"/search?q={quote(w + ' in:secret')}", token=who).body == \
            server.request("GET", f"/search?q={quote(w + ' in:nosuchroom')}", token=who).body
    assert len(found(server, owner, w)["hits"]) == 2
    st, js = search(server, None, w)
    assert_error((st, js), 401, "unauthorized")


BAD_QUERIES = [
    ("", 0), ("   ", 0), ('ab "cd', 3), ('""', 0), ('a"b', 1), ("x foo:bar", 2),
    ("x -from:al", 2), ("from:", 5), ("has:pdf", 4), ("is:thread", 3),
    ("before:2026-02-30", 7), ("on:yesterday", 3), ("a*b", 1), ("x *", 2), ("-nope", 0),
    ("a" * 1001, 1000), (" ".join(["w"] * 33), 64), ("ok !!!", 3),
]


def test_every_bad_query_says_what_and_where(server, users):
    a, _ = users("alice")
    for q, at in BAD_QUERIES:
        st, js = search(server, a, q)
        assert_error((st, js), 400, "bad_query")
        assert js["error"]["at"] == at, (q, js)
        assert f"at byte {at}" in js["error"]["message"]
    raw = server.request("GET", "/search?q=ok%FF", token=a)
    assert_error(raw, 400, "bad_query")
    for params in ({"sort": "oldest"}, {"limit": 0}, {"limit": 51}, {"limit": "x"},
                   {"cursor": "garbage"}, {"cursor": "t.0.1.2.3"}):
        assert_error(search(server, a, "hello", **params), 400, "bad_request")


def test_searches_are_rate_limited_per_user(server_factory):
    server = server_factory(extra=("--search-rate", "2"))
    a, _ = register_and_login(server, "alice")
    b, _ = register_and_login(server, "bob")
    answers = [search(server, a, "hello")[0] for _ in range(6)]
    assert 429 in answers
    r = server.request("GET", "/search?q=hello", token=a)
    if r.status == 429:
        assert int(r.headers["Retry-After"]) >= 1
    assert search(server, b, "hello")[0] == 200  # per user


def test_metrics_report_the_index(server, users):
    a, _ = users("alice")
    room = create_room(server, a, "m")["id"]
    post_message(server, a, room, "counted")
    found(server, a, "counted")
    text = server.request("GET", "/metrics").text
    assert "parley_search_index_lag_events " in text
    assert "parley_searches_total " in text


# Scans every file at rest, with the PostgreSQL data dir and a pg_dump when scaled out:
# about 20 s on a quiet machine, so more than the default bound.
@pytest.mark.timeout_s(120)
def test_nothing_searchable_is_at_rest(server_factory):
    server = server_factory(extra=SEARCH_RATE)
    a, _ = register_and_login(server, "alice")
    room = create_room(server, a, "rest")["id"]
    words = [word() for _ in range(6)]
    text = " ".join(words)
    post_message(server, a, room, text)
    m = post_message(server, a, room, words[0] + " again")
    server.api("PATCH", f"/rooms/{room}/messages/{m['seq']}", {"text": words[1] + " edited"}, token=a)
    assert len(found(server, a, words[2])["hits"]) == 1
    assert len(found(server, a, words[3][:5] + "*")["hits"]) == 1
    server.stop()
    blobs = [p.read_bytes() for p in server.data_dir.rglob("*") if p.is_file()]
    if backends.scaled():
        blobs += [p.read_bytes() for p in backends.files_at_rest()]
        url = server.args[server.args.index("--db") + 1]
        rows = subprocess.run(["psql", url, "-tAc", "SELECT count(*) FROM search_messages"],
                              check=True, capture_output=True, text=True, timeout=60)
        assert int(rows.stdout) == 2  # the index is in the database, holding tokens
        dump = subprocess.run(["pg_dump", url], check=True, capture_output=True, timeout=60)
        blobs.append(dump.stdout)
    else:
        assert any(p.name == "search.db" for p in server.data_dir.rglob("*"))
    for w in words:
        for form in {w, w.upper(), w[:6]}:
            assert not any(form.encode() in b for b in blobs), f"{form} found at rest"
