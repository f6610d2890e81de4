"""Search operations (issue #13, docs/operations.md "Search") against the real binary, on the
embedded default and (PARLEY_BACKEND=scaled) on PostgreSQL + Redis: --search-synonyms applied
to queries and refused when malformed, and `parley search reindex` rebuilding a wiped index."""
from __future__ import annotations

import secrets
import subprocess
from urllib.parse import quote

import backends
from parley_client import create_room, parley_bin, post_message, register_and_login

RATES = ("--search-rate", "1000", "--search-suggest-rate", "1000")


def word(prefix="w"):
    return prefix + "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(10))


def hits(server, token, q):
    st, js = server.api("GET", f"/search?q={quote(q)}", token=token)
    assert st == 200, (q, st, js)
    return sorted(h["seq"] for h in js["hits"])


def test_synonyms_expand_query_terms(server_factory, tmp_path):
    syn = tmp_path / "synonyms.txt"
    syn.write_text("# devices\nlaptop, notebook\n\nny, nyc => new york\n")
    server = server_factory(extra=RATES + ("--search-synonyms", str(syn)))
    a, _ = register_and_login(server, "alice")
    room = create_room(server, a, "syn")["id"]
    w = word()
    m1 = post_message(server, a, room, f"{w} my Laptop is slow")
    m2 = post_message(server, a, room, f"{w} flights to New York")
    post_message(server, a, room, f"{w} a new desk from york")  # not the phrase
    assert hits(server, a, f"{w} notebook") == [m1["seq"]]
    assert hits(server, a, f"{w} laptop") == [m1["seq"]]
    assert hits(server, a, f"{w} nyc") == [m2["seq"]]
    st, js = server.api("GET", f"/search?q={quote(w + ' notebook')}", token=a)
    marked = [p["text"] for p in js["hits"][0]["snippet"] if p["match"]]
    assert marked == [w, "Laptop"]


def test_a_malformed_synonym_file_stops_the_start_naming_its_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("laptop, notebook\n# fine\nphone, , mobile\n")
    for path, says in ((bad, "line 3: an empty term"), (tmp_path / "missing.txt", "cannot be read")):
        p = subprocess.run([str(parley_bin()), "serve", "--listen", "127.0.0.1:0", "--data-dir",
                            str(tmp_path / "data"), "--search-synonyms", str(path)],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 2, p
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and says in lines[0] and str(path) in lines[0], p.stderr
        assert not (tmp_path / "data").exists()  # nothing was created


def reindex(server, *args):
    cmd = [str(parley_bin()), "search", "reindex", *args, "--data-dir", str(server.data_dir),
           *server.args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def wipe_postings(server):
    """Empties the index but keeps its watermarks: nodes believe it complete."""
    tables = ("search_messages", "search_words") if backends.scaled() else \
        ("search_postings", "search_messages", "search_words", "search_word_prefixes")
    sql = "; ".join(f"DELETE FROM {t}" for t in tables)
    if backends.scaled():
        url = server.args[server.args.index("--db") + 1]
        subprocess.run(["psql", url, "-c", sql], check=True, capture_output=True, timeout=60)
    else:
        subprocess.run(["sqlite3", str(server.data_dir / "search.db"), sql], check=True,
                       capture_output=True, timeout=60)


def test_reindex_rebuilds_a_wiped_index(server_factory):
    server = server_factory(extra=RATES)
    a, _ = register_and_login(server, "alice")
    rooms = [create_room(server, a, f"r{i}")["id"] for i in range(3)]
    w = word()
    sent = []
    for i in range(30):
        room = rooms[i % 3]
        sent.append((room, post_message(server, a, room, f"{w} number {i}")["seq"]))
    edited = post_message(server, a, rooms[0], f"{w} old")
    server.api("PATCH", f"/rooms/{rooms[0]}/messages/{edited['seq']}", {"text": f"{w} new"},
               token=a)
    sent.append((rooms[0], edited["seq"]))

    def everything():
        st, js = server.api("GET", f"/search?q={w}&limit=50", token=a)
        assert st == 200, js
        return sorted((h["room_id"], h["seq"]) for h in js["hits"])

    assert everything() == sorted(sent)
    server.stop()
    wipe_postings(server)
    server.start()
    assert everything() == []  # the watermarks say done: the nodes do not index again
    p = reindex(server, "--room", str(rooms[1]))
    assert p.returncode == 0, p.stderr
    assert f"reindexed room {rooms[1]}" in p.stdout and "done: 1 room reindexed" in p.stdout
    assert everything() == sorted(s for s in sent if s[0] == rooms[1])
    p = reindex(server)
    assert p.returncode == 0, p.stderr
    assert everything() == sorted(sent)
    assert hits(server, a, f"{w} old") == []  # the edit's old text stays unfound
    st, js = server.api("GET", f"/search/suggest?q={w[:5]}", token=a)
    assert [s["text"] for s in js["words"]] == [w] and js["words"][0]["count"] == len(sent)
    assert not (server.data_dir / "search-reindex.progress").exists()


def test_reindex_usage(tmp_path):
    binary = str(parley_bin())
    p = subprocess.run([binary, "search", "reindex", "--help"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0 and "usage: parley search reindex [--room ID]" in p.stdout
    for args, says in ((["--room"], "--room needs"), (["--room", "x"], "--room must be"),
                       (["--room", "0"], "--room must be")):
        p = subprocess.run([binary, "search", "reindex", "--data-dir", str(tmp_path), *args],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 2 and says in p.stderr, p
    p = subprocess.run([binary, "search", "rebuild"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "unknown command" in p.stderr
