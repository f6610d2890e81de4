"""The checker's own tests: logs with one lost, one duplicated and one reordered message,
each reported, and a clean log reported clean. No server is started."""

from __future__ import annotations

import pytest

from checker import Ack, ClientLog, Received, check

ROOM = 7


def clean_world(n: int = 5):
    """A writer acked 1..n, the store holds them, a reader from seq 0 received them all."""
    writer = ClientLog("w", acks=[Ack(ROOM, s, f"c{s}", float(s)) for s in range(1, n + 1)])
    reader = ClientLog("r", start_seq={ROOM: 0},
                       received=[Received(ROOM, s, f"c{s}", s + 0.5) for s in range(1, n + 1)])
    store = {ROOM: [(s, f"c{s}") for s in range(1, n + 1)]}
    return writer, reader, store


def test_a_clean_history_is_clean():
    w, r, store = clean_world()
    rep = check([w, r], store, heal_t=2.5)
    assert rep.counts() == (0, 0, 0), rep.details()
    assert rep.acked == 5
    assert rep.first_ack_after_heal_s == 0.5   # the ack of seq 3 at t=3
    assert rep.readers_caught_up_after_heal_s == 0.0  # seqs 1, 2 were held before 2.5
    assert check([w, r], store, heal_t=1.2).readers_caught_up_after_heal_s == pytest.approx(0.3)
    assert rep.longest_ack_gap_s == 1.0


def test_an_acked_message_missing_from_the_store_is_lost():
    w, r, store = clean_world()
    kept = [c for s, c in store[ROOM] if s != 3]
    store[ROOM] = [(i + 1, c) for i, c in enumerate(kept)]  # c1 c2 c4 c5 at seqs 1..4
    rep = check([w, r], store)
    assert len(rep.lost) >= 1 and "c3" in rep.lost[0], rep.details()


def test_an_acked_message_a_reader_never_received_is_lost():
    w, r, store = clean_world()
    r.received = [x for x in r.received if x.seq != 4]
    rep = check([w, r], store)
    assert rep.counts() == (1, 0, 0), rep.details()
    assert "seq 4" in rep.lost[0]


def test_messages_before_the_readers_start_are_not_owed_to_it():
    w, r, store = clean_world()
    r.start_seq = {ROOM: 3}
    r.received = [x for x in r.received if x.seq > 3]
    assert check([w, r], store).counts() == (0, 0, 0)


def test_a_message_received_twice_is_duplicated():
    w, r, store = clean_world()
    r.received.insert(3, Received(ROOM, 2, "c2", 3.7))
    rep = check([w, r], store)
    assert rep.counts() == (0, 1, 0), rep.details()
    assert "seq 2 received twice" in rep.duplicated[0]


def test_a_retry_stored_twice_is_duplicated():
    w, r, store = clean_world()
    store[ROOM].append((6, "c2"))
    r.received.append(Received(ROOM, 6, "c2", 7.0))
    rep = check([w, r], store)
    assert rep.counts()[1] == 1, rep.details()
    assert "c2 at seq 2 and 6" in rep.duplicated[0]


def test_one_client_msg_id_acked_at_two_seqs_is_duplicated():
    w, r, store = clean_world()
    w.acks.append(Ack(ROOM, 4, "c2", 9.0))
    rep = check([w, r], store)
    assert any("acked at seq 2 and 4" in d for d in rep.duplicated), rep.details()


def test_a_message_received_after_a_later_one_is_out_of_order():
    w, r, store = clean_world()
    r.received[2], r.received[3] = r.received[3], r.received[2]  # 1 2 4 3 5
    rep = check([w, r], store)
    assert rep.counts() == (0, 0, 1), rep.details()
    assert "seq 3 after 4" in rep.reordered[0]


def test_a_store_with_a_gap_is_out_of_order():
    w, r, store = clean_world()
    store[ROOM].append((7, "c7"))
    rep = check([w, r], store)
    assert rep.counts()[2] == 1, rep.details()


def test_errors_are_counted_by_code():
    w, r, store = clean_world()
    w.errors = [(1.0, "unavailable"), (1.1, "unavailable"), (1.2, "connection")]
    rep = check([w, r], store)
    assert rep.errors == {"unavailable": 2, "connection": 1}
    assert "lost=0 duplicated=0 out_of_order=0" in rep.summary()
