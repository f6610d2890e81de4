"""History reads and the node's page cache (rendered newest page per room).

A repeated read of a room's newest page is served from the node's memory; these tests check
that it is never served after a send, edit or delete (made on this node or, in the cluster
test, on another node sharing the database), that membership is still checked on every read,
and that /metrics tells page-cache hits from cache and store reads.
"""
from __future__ import annotations

import re

import pytest

from parley_client import (
    add_member, assert_error, create_room, history, post_message, register_and_login,
)
from test_cluster import cluster_factory  # noqa: F401  (fixture)

READS = re.compile(r'^parley_history_reads_total\{source="(\w+)"\} (\d+)$', re.M)


def reads(server) -> dict[str, int]:
    r = server.request("GET", "/metrics")
    assert r.status == 200
    got = {k: int(v) for k, v in READS.findall(r.text)}
    assert set(got) == {"page", "cache", "store"}, r.text
    return got


def texts(page: dict) -> list[tuple[int, str, bool]]:
    return [(m["seq"], m["text"], m["deleted"]) for m in page["messages"]]


def _changes_are_never_served_stale(writer_node, reader_node, a, b, rid, seqs):
    """Reads through reader_node after each change made through writer_node."""
    first = history(reader_node, b, rid)
    before = reads(reader_node)
    assert history(reader_node, b, rid) == first
    assert reads(reader_node)["page"] == before["page"] + 1  # the repeat came from memory

    st, js = writer_node.api("PATCH", f"/rooms/{rid}/messages/{seqs[1]}", {"text": "two, edited"},
                             token=a)
    assert st == 200, js
    assert texts(history(reader_node, b, rid))[1] == (seqs[1], "two, edited", False)

    st, js = writer_node.api("DELETE", f"/rooms/{rid}/messages/{seqs[2]}", token=a)
    assert st == 200, js
    assert texts(history(reader_node, b, rid))[2] == (seqs[2], "", True)

    m4 = post_message(writer_node, a, rid, "four")
    page = history(reader_node, b, rid)
    assert texts(page)[-1] == (m4["seq"], "four", False)
    assert len(page["messages"]) == 4

    # Unchanged again: served from memory, identical.
    hits = reads(reader_node)["page"]
    assert history(reader_node, b, rid) == page
    assert reads(reader_node)["page"] == hits + 1


def _removed_member_is_refused(writer_node, reader_node, a, b, bu, rid):
    assert history(reader_node, b, rid)["messages"]  # kept in memory for this room
    st, js = writer_node.api("DELETE", f"/rooms/{rid}/members/{bu['id']}", token=a)
    assert st in (200, 204), js
    hits = reads(reader_node)["page"]
    assert_error(reader_node.api("GET", f"/rooms/{rid}/messages", token=b), 404, "not_found")
    assert reads(reader_node)["page"] == hits  # refused before the page cache is looked at
    assert history(reader_node, a, rid)["messages"]  # the owner still reads it
    assert reads(reader_node)["page"] == hits + 1


def _private_room_with_three(node, tag):
    a, au = register_and_login(node, f"hc{tag}a")
    b, bu = register_and_login(node, f"hc{tag}b")
    room = create_room(node, a, f"hist-{tag}", public=False)
    add_member(node, a, room["id"], bu["username"])
    seqs = [post_message(node, a, room["id"], t)["seq"] for t in ("one", "two", "three")]
    return a, b, bu, room["id"], seqs


def test_newest_page_follows_edits_deletes_sends_and_membership(server):
    a, b, bu, rid, seqs = _private_room_with_three(server, "s")
    _changes_are_never_served_stale(server, server, a, b, rid, seqs)
    # Pages with before/after are not the cached page and stay exact.
    older = history(server, b, rid, before=seqs[2])
    assert [m["seq"] for m in older["messages"]] == seqs[:2]
    _removed_member_is_refused(server, server, a, b, bu, rid)


def test_metrics_tell_page_cache_from_cache_and_store(server):
    a, b, bu, rid, seqs = _private_room_with_three(server, "m")
    before = reads(server)
    history(server, b, rid)
    history(server, b, rid)
    history(server, b, rid, before=seqs[1])
    after = reads(server)
    assert after["page"] == before["page"] + 1
    # The first read came from the cache's recent events (it holds every send of this run),
    # the paged one from the store.
    assert after["cache"] == before["cache"] + 1
    assert after["store"] == before["store"] + 1


@pytest.mark.cluster
@pytest.mark.timeout_s(60)
def test_page_cache_never_serves_a_page_changed_on_another_node(cluster_factory):  # noqa: F811
    c = cluster_factory(2)
    reader_node, writer_node = c.nodes
    a, b, bu, rid, seqs = _private_room_with_three(writer_node, "c")
    _changes_are_never_served_stale(writer_node, reader_node, a, b, rid, seqs)
    _removed_member_is_refused(writer_node, reader_node, a, b, bu, rid)
