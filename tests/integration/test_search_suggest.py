"""Search suggestions (issue #13, docs/api.md "Suggestions") against the real binary, on the
embedded default and (PARLEY_BACKEND=scaled) on PostgreSQL + Redis: words most frequent
first, edits and deletes, people, rooms and operators, the permission matrix, bad input, the
rate limit, and the vocabulary at rest (none of the words typed)."""
from __future__ import annotations

import secrets
import subprocess
from urllib.parse import quote

import backends
from parley_client import add_member, assert_error, create_room, post_message, register_and_login
import pytest

RATES = ("--search-rate", "1000", "--search-suggest-rate", "1000")


@pytest.fixture
def server(server_factory):
    return server_factory(extra=RATES)


def suggest(server, token, q, **params):
    extra = "".join(f"&{k}={quote(str(v))}" for k, v in params.items())
    return server.api("GET", f"/search/suggest?q={quote(q)}{extra}", token=token)


def suggested(server, token, q, **params):
    st, js = suggest(server, token, q, **params)
    assert st == 200, (q, st, js)
    return js


def texts(js, kind="words"):
    return [s["text" if kind in ("words", "operators") else
              "username" if kind == "users" else "name"] for s in js[kind]]


def stem():
    """A prefix no other test's word starts with (letters only)."""
    return "q" + "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(7))


def test_words_complete_most_frequent_first(server, users):
    a, _ = users("alice")
    room = create_room(server, a, "words")["id"]
    s = stem()
    often, once = s + "often", s + "once"
    for i in range(3):
        post_message(server, a, room, f"note {i}: {often} here")
    m = post_message(server, a, room, f"and {once} there")
    js = suggested(server, a, s)
    assert js["words"] == [{"text": often, "query": often + " ", "count": 3},
                           {"text": once, "query": once + " ", "count": 1}]
    # Only the word being typed is completed; case is folded as search folds it.
    js = suggested(server, a, f"budget -{s.upper()}o")
    assert texts(js) == [often, once]
    assert js["words"][0]["query"] == f"budget -{often} "
    assert texts(suggested(server, a, s + "on")) == [once]
    assert texts(suggested(server, a, s, limit=1)) == [often]
    # An edit takes its old words out of the vocabulary; a delete counts down.
    st, js = server.api("PATCH", f"/rooms/{room}/messages/{m['seq']}", {"text": "gone"}, token=a)
    assert st == 200, js
    assert texts(suggested(server, a, s)) == [often]
    assert texts(suggested(server, a, s + "x")) == []


def test_people_rooms_and_operators(server, users):
    a, ua = users("alice")
    b, ub = users("bob")
    name = stem()
    room = create_room(server, a, name + " plans")["id"]
    other = create_room(server, a, name + "dev")["id"]
    add_member(server, a, room, ub["username"])
    js = suggested(server, a, "x from:" + ub["username"][:4])
    assert {"username": ub["username"], "id": ub["id"],
            "query": f"x from:{ub['username']} "} in js["users"]
    assert texts(suggested(server, a, "@" + ub["username"]), "users") == [ub["username"]]
    js = suggested(server, a, "#" + name)
    assert sorted(texts(js, "rooms")) == sorted([name + " plans", name + "dev"])
    by_name = {r["name"]: r for r in js["rooms"]}
    assert by_name[name + "dev"]["query"] == f"in:{name}dev "
    assert by_name[name + " plans"]["query"] == f"in:{room} "  # a name with a space: its id
    assert by_name[name + "dev"]["id"] == other
    assert texts(suggested(server, a, "in:" + name.upper()[:5]), "rooms") != []
    js = suggested(server, a, "report has:")
    assert js["operators"] == [{"text": t, "query": "report " + t}
                               for t in ("has:file", "has:image", "has:link")]
    assert texts(suggested(server, a, "fr"), "operators") == ["from:"]
    assert len(suggested(server, a, "hello ")["operators"]) == 9
    assert suggested(server, a, "before:2026") == {"words": [], "users": [], "rooms": [],
                                                  "operators": []}


def test_permission_matrix(server, users):
    owner, _ = users("owner")
    outsider, _ = users("outsider")
    leaver, lu = users("leaver")
    removed, ru = users("removed")
    member, mu = users("member")
    private = create_room(server, owner, "secret", public=False)["id"]
    public = create_room(server, owner, "lobby", public=True)["id"]
    for u in (lu, ru, mu):
        add_member(server, owner, private, u["username"])
    s = stem()
    post_message(server, owner, private, f"private {s}private")
    post_message(server, owner, public, f"public {s}public")
    assert texts(suggested(server, member, s)) == [s + "private"]
    assert texts(suggested(server, removed, s)) == [s + "private"]
    st, js = server.api("POST", f"/rooms/{private}/leave", token=leaver)
    assert st in (200, 204), js
    st, js = server.api("DELETE", f"/rooms/{private}/members/{ru['id']}", token=owner)
    assert st in (200, 204), js
    empty = {"words": [], "users": [], "rooms": [], "operators": []}
    for who in (outsider, leaver, removed):
        # Not even the public room's words: they come only from the caller's rooms.
        assert suggested(server, who, s) == empty
        assert suggested(server, who, "#secr")["rooms"] == []
    assert sorted(texts(suggested(server, owner, s))) == sorted([s + "private", s + "public"])
    # People: only those who share a room with the caller.
    assert suggested(server, outsider, "@" + mu["username"])["users"] == []
    assert texts(suggested(server, owner, "@" + mu["username"]), "users") == [mu["username"]]
    assert_error(suggest(server, None, s), 401, "unauthorized")


def test_bad_input_says_what_and_where(server, users):
    a, _ = users("alice")
    for q, at in (("", 0), ("a" * 101, 100), ("ok\x01", 2)):
        st, js = suggest(server, a, q)
        assert_error((st, js), 400, "bad_query")
        assert js["error"]["at"] == at, (q, js)
    assert_error(server.request("GET", "/search/suggest?q=ok%FF", token=a), 400, "bad_query")
    assert_error(server.request("GET", "/search/suggest", token=a), 400, "bad_query")
    for limit in (0, 21, "x"):
        assert_error(suggest(server, a, "hello", limit=limit), 400, "bad_request")
    assert suggest(server, a, "a" * 100)[0] == 200


def test_suggestions_are_rate_limited_per_user(server_factory):
    server = server_factory(extra=("--search-suggest-rate", "2"))
    a, _ = register_and_login(server, "alice")
    b, _ = register_and_login(server, "bob")
    answers = [suggest(server, a, "hel")[0] for _ in range(6)]
    assert 429 in answers
    r = server.request("GET", "/search/suggest?q=hel", token=a)
    if r.status == 429:
        assert int(r.headers["Retry-After"]) >= 1
    assert suggest(server, b, "hel")[0] == 200  # per user
    assert "parley_search_suggestions_total " in server.request("GET", "/metrics").text


# Scans every file at rest, with the PostgreSQL data dir and a pg_dump when scaled out:
# about 20 s on a quiet machine, so more than the default bound.
@pytest.mark.timeout_s(120)
def test_the_vocabulary_is_not_at_rest(server_factory):
    server = server_factory(extra=RATES)
    a, _ = register_and_login(server, "alice")
    room = create_room(server, a, "rest")["id"]
    s = stem()
    words = [s + "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(6))
             for _ in range(5)]
    post_message(server, a, room, " ".join(words))
    m = post_message(server, a, room, words[0] + " again")
    server.api("PATCH", f"/rooms/{room}/messages/{m['seq']}", {"text": words[1] + " edited"},
               token=a)
    assert sorted(texts(suggested(server, a, s))) == sorted(words)  # the vocabulary holds them
    server.stop()
    blobs = [p.read_bytes() for p in server.data_dir.rglob("*") if p.is_file()]
    if backends.scaled():
        blobs += [p.read_bytes() for p in backends.files_at_rest()]
        url = server.args[server.args.index("--db") + 1]
        rows = subprocess.run(["psql", url, "-tAc", "SELECT count(*) FROM search_words"],
                              check=True, capture_output=True, text=True, timeout=60)
        assert int(rows.stdout) == len(words) + 1  # + "edited"; "again" went with the edit
        dump = subprocess.run(["pg_dump", url], check=True, capture_output=True, timeout=60)
        blobs.append(dump.stdout)
    for w in words:
        for form in (w, w.upper(), w[:6], w[-6:]):
            assert not any(form.encode() in b for b in blobs), f"{form} found at rest"
