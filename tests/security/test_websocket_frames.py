"""WebSocket frame abuse, with frames written byte for byte: each breach of RFC 6455 or of
the limits gets the close code docs/protocol.md ("Limits and close codes") gives it, and a
frame that is well formed but not a valid request gets an `error` frame and leaves the
connection open. Nothing a refused frame asked for happens."""
from __future__ import annotations

import json

import pytest

from parley_client import create_room, history, register_and_login
from probe_sockets import RawWS

TEXT, BINARY, CONT, CLOSE, PING, PONG = 1, 2, 0, 8, 9, 10
MAX_FRAME = 64 * 1024


def _ready(server, token: str) -> RawWS:
    ws = RawWS(server.port)
    ws.text(json.dumps({"type": "hello", "token": token}))
    ws.json_until(lambda f: f.get("type") == "caught_up")
    return ws


def _ping(ws: RawWS, req: int = 999) -> None:
    """Round trip: the connection is open and everything sent before was handled."""
    ws.text(json.dumps({"type": "ping", "req": req}))
    ws.json_until(lambda f: f.get("type") == "pong" and f.get("req") == req)


@pytest.fixture
def member(server):
    tok, user = register_and_login(server, "frames")
    room = create_room(server, tok, "frames")["id"]
    return server, tok, room


def _send_frame(room: int, text: str = "hi") -> str:
    return json.dumps({"type": "send", "req": 1, "room": room, "client_msg_id": "c-frame",
                       "text": text})


# --------------------------------------------------------------------------- close codes

F = RawWS.frame
BAD_UTF8 = [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"ok \xe2\x82",
            b'{"type":"ping","req":"\xfe"}']

PROTOCOL_ERRORS = {
    "unmasked_text": lambda room: F(TEXT, _send_frame(room).encode(), mask=False),
    "unmasked_ping": lambda room: F(PING, b"x", mask=False),
    **{f"reserved_opcode_{op:x}": (lambda room, op=op: F(op, b"{}"))
       for op in (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF)},
    **{f"rsv_{rsv}": (lambda room, rsv=rsv: F(TEXT, _send_frame(room).encode(), rsv=rsv))
       for rsv in (1, 2, 4)},
    "fragmented_ping": lambda room: F(PING, b"x", fin=False),
    "fragmented_close": lambda room: F(CLOSE, b"\x03\xe8", fin=False),
    "ping_over_125": lambda room: F(PING, b"x" * 126),
    "close_over_125": lambda room: F(CLOSE, b"\x03\xe8" + b"x" * 124),
    "continuation_first": lambda room: F(CONT, b"{}"),
    "text_inside_message": lambda room: F(TEXT, b'{"type":', fin=False) + F(TEXT, b"{}"),
    "binary_inside_message": lambda room: F(TEXT, b'{"type":', fin=False) + F(BINARY, b"{}"),
    "length_16_not_minimal": lambda room: F(TEXT, b"{}", length_form="16"),
    "length_64_not_minimal": lambda room: F(TEXT, b"{}" * 100, length_form="64"),
    "length_64_top_bit": lambda room: F(TEXT, b"", length=2 ** 63),
    **{f"close_code_{c}": (lambda room, c=c: F(CLOSE, c.to_bytes(2, "big")))
       for c in (0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535)},
    "close_one_byte": lambda room: F(CLOSE, b"\x03"),
}

TOO_BIG = {
    "declared": lambda room: F(TEXT, b"", length=MAX_FRAME + 1),
    "declared_huge": lambda room: F(TEXT, b"", length=2 ** 63 - 1),
    "sent": lambda room: F(TEXT, _send_frame(room, "y" * (MAX_FRAME + 10)).encode()),
    "fragments": lambda room: b"".join(
        F(TEXT if i == 0 else CONT, b"z" * 20000, fin=False) for i in range(4)),
    "binary": lambda room: F(BINARY, b"", length=MAX_FRAME + 1),
}

INVALID_UTF8 = {
    **{f"text_{i}": (lambda room, b=b: F(TEXT, b)) for i, b in enumerate(BAD_UTF8)},
    "split_across_fragments": lambda room: F(TEXT, b'{"type":"ping","req":"\xe2', fin=False)
    + F(CONT, b'\x28\xa1"}'),
    "close_reason": lambda room: F(CLOSE, b"\x03\xe8bad \xff reason"),
}


def _cases():
    for table, code in ((PROTOCOL_ERRORS, 1002), (TOO_BIG, 1009), (INVALID_UTF8, 1007)):
        for name, make in table.items():
            for when in ("after_hello", "before_hello"):
                yield pytest.param(make, code, when, id=f"{name}-{code}-{when}")


@pytest.mark.parametrize("make,code,when", list(_cases()))
def test_frame_breaking_the_protocol_gets_its_close_code(member, make, code, when):
    server, tok, room = member
    ws = _ready(server, tok) if when == "after_hello" else RawWS(server.port)
    try:
        ws.send(make(room))
        assert ws.close_code() == code
    finally:
        ws.close()
    assert history(server, tok, room)["messages"] == []
    # the server is fine, and so is the user's next connection
    ws = _ready(server, tok)
    _ping(ws)
    ws.close()


def test_valid_close_codes_are_echoed(member):
    server, tok, _ = member
    for code in (1000, 1001, 3000, 4999):
        ws = _ready(server, tok)
        ws.send(F(CLOSE, code.to_bytes(2, "big") + "bye ✓".encode()))
        assert ws.close_code() == code
        ws.close()
    ws = _ready(server, tok)
    ws.send(F(CLOSE, b""))
    assert ws.close_code() == 1000
    ws.close()


def test_frames_just_under_the_limit_and_fragmented_messages_are_fine(member):
    server, tok, room = member
    ws = _ready(server, tok)
    try:
        text = "w" * 16000
        msg = _send_frame(room, text).encode()
        parts = [msg[i:i + 1000] for i in range(0, len(msg), 1000)]
        # fragments with a ping between them (control frames may interleave)
        for i, p in enumerate(parts):
            ws.send(F(TEXT if i == 0 else CONT, p, fin=(i == len(parts) - 1)))
            if i == 1:
                ws.send(F(PING, b"mid"))
        ack = ws.json_until(lambda f: f.get("type") in ("ack", "error"))
        assert ack["type"] == "ack", ack
        # a frame of exactly the limit is read (it is not JSON the server wants: bad_request)
        ws.send(F(TEXT, b" " * (MAX_FRAME - 2) + b"{}"))
        err = ws.json_until(lambda f: f.get("type") == "error")
        assert err["code"] == "bad_request", err
        _ping(ws)
    finally:
        ws.close()
    assert [m["text"] for m in history(server, tok, room)["messages"]] == [text]


# --------------------------------------------------------------------------- error frames


def _nest(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    if kind == "object":
        return '{"a":' * depth + "1" + "}" * depth
    return '{"type":"send","room":1,"text":"x","client_msg_id":' + "[" * depth + "]" * depth + "}"


BAD_FRAMES = {
    "not_json": "{not json",
    "empty": "",
    "array": "[]",
    "string": '"ping"',
    "number": "7",
    "null": "null",
    "trailing_garbage": '{"type":"ping","req":1} x',
    "two_objects": '{"type":"ping"}{"type":"ping"}',
    "no_type": '{"req":1}',
    "type_not_string": '{"type":7,"req":1}',
    "unknown_type": '{"type":"bogus","req":1,"room":1,"seq":1}',
    "unknown_type_admin": '{"type":"admin","req":1,"room":1,"seq":1}',
    "hello_again": '{"type":"hello","req":1,"token":"x"}',
    "send_no_room": '{"type":"send","req":1,"client_msg_id":"c","text":"x"}',
    "send_room_string": '{"type":"send","req":1,"room":"1","client_msg_id":"c","text":"x"}',
    "send_room_float": '{"type":"send","req":1,"room":1.5,"client_msg_id":"c","text":"x"}',
    "send_no_cmid": '{"type":"send","req":1,"room":ROOM,"text":"x"}',
    "send_text_number": '{"type":"send","req":1,"room":ROOM,"client_msg_id":"c","text":5}',
    "send_files_not_list": '{"type":"send","req":1,"room":ROOM,"client_msg_id":"c","text":"x",'
                           '"files":"abc"}',
    "edit_no_seq": '{"type":"edit","req":1,"room":ROOM,"text":"x"}',
    "read_negative": '{"type":"read","req":1,"room":ROOM,"seq":-1}',
    "depth_33_array": _nest(33, "array"),
    "depth_33_object": _nest(33, "object"),
    "depth_bomb_array": _nest(30000, "array"),
    "depth_bomb_object": _nest(9000, "object"),
    "depth_bomb_in_field": _nest(30000, "field"),
    "huge_number": '{"type":"ping","req":' + "9" * 5000 + "}",
    "duplicate_keys": '{"type":"ping","type":"send","req":1}',
}


@pytest.mark.parametrize("name", list(BAD_FRAMES))
def test_bad_frames_get_bad_request_and_the_connection_stays(member, name):
    server, tok, room = member
    frame = BAD_FRAMES[name].replace("ROOM", str(room))
    assert len(frame.encode()) <= MAX_FRAME
    ws = _ready(server, tok)
    try:
        ws.text(frame)
        if name in ("duplicate_keys", "huge_number"):
            # valid JSON with one reading (the last key; a double): never a crash
            f = ws.json_until(lambda f: f.get("type") in ("pong", "error", "ack"))
            assert f["type"] in ("pong", "error"), f
        else:
            err = ws.json_until(lambda f: f.get("type") == "error")
            assert err["code"] == "bad_request", err
            assert isinstance(err.get("message"), str) and err["message"]
        _ping(ws, 4242)
    finally:
        ws.close()
    assert history(server, tok, room)["messages"] == []


def test_binary_messages_get_bad_request_and_the_connection_stays(member):
    server, tok, room = member
    ws = _ready(server, tok)
    try:
        ws.send(F(BINARY, _send_frame(room).encode()))
        err = ws.json_until(lambda f: f.get("type") == "error")
        assert err["code"] == "bad_request" and "text" in err["message"], err
        _ping(ws)
    finally:
        ws.close()
    assert history(server, tok, room)["messages"] == []


def test_req_is_echoed_whatever_json_it_is(member):
    server, tok, _ = member
    ws = _ready(server, tok)
    try:
        for req in ("s", 1.5, [1, {"a": None}], {"nested": {"x": [True]}}, None, -7):
            ws.text(json.dumps({"type": "bogus", "req": req}))
            err = ws.json_until(lambda f: f.get("type") == "error")
            assert err["req"] == req, err
    finally:
        ws.close()


# --------------------------------------------------------------------------- floods


def test_a_send_flood_past_the_rate_limit_is_refused_frame_by_frame(server_factory):
    server = server_factory(send_rate=5)
    tok, _ = register_and_login(server, "flood")
    room = create_room(server, tok, "flood")["id"]
    ws = _ready(server, tok)
    try:
        n = 200
        ws.send(b"".join(F(TEXT, json.dumps({"type": "send", "req": i, "room": room,
                                             "client_msg_id": f"f-{i}", "text": f"m{i}"}).encode())
                         for i in range(n)))
        answers = {}
        while len(answers) < n:
            f = ws.json_until(lambda f: f.get("type") in ("ack", "error"), bound=20)
            answers[f["req"]] = f
        acks = [f for f in answers.values() if f["type"] == "ack"]
        refused = [f for f in answers.values() if f["type"] == "error"]
        assert 5 <= len(acks) < n // 2, len(acks)
        assert {f["code"] for f in refused} == {"rate_limited"}, refused[:3]
        _ping(ws)
    finally:
        ws.close()
    assert len(history(server, tok, room, limit=200)["messages"]) == len(acks)


def test_a_ping_flood_is_answered_without_growing(member):
    """Control pings waiting together get one pong (the last, RFC 6455 §5.5.3)."""
    server, tok, _ = member
    ws = _ready(server, tok)
    try:
        ws.send(b"".join(F(PING, str(i).encode()) for i in range(5000)))
        _ping(ws)
        pongs = []
        while True:
            try:
                op, payload = ws.next_frame(bound=0.5)
            except TimeoutError:
                break
            if op == PONG:
                pongs.append(payload)
        assert len(pongs) <= 5000
    finally:
        ws.close()


def test_typing_floods_fan_out_at_most_once_per_two_seconds(member):
    server, tok, room = member
    from parley_client import add_member
    peer_tok, peer = register_and_login(server, "watcher")
    add_member(server, tok, room, peer["username"])
    watcher = _ready(server, peer_tok)
    ws = _ready(server, tok)
    try:
        ws.send(b"".join(F(TEXT, json.dumps({"type": "typing", "room": room}).encode())
                         for _ in range(500)))
        _ping(ws)  # the server handled the whole flood
        watcher.text(json.dumps({"type": "ping", "req": 77}))
        seen = _drain_json(watcher)  # a bounded look at what the flood fanned out
        assert any(f.get("type") == "pong" for f in seen), seen[-3:]
        typing = [f for f in seen if f.get("type") == "typing"]
        assert 1 <= len(typing) <= 2, typing
    finally:
        ws.close()
        watcher.close()


def _drain_json(ws: RawWS, bound: float = 0.5) -> list[dict]:
    out = []
    while True:
        try:
            op, payload = ws.next_frame(bound=bound)
        except TimeoutError:
            return out
        if op == TEXT:
            out.append(json.loads(payload))
