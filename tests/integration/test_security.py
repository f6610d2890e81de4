"""Ciphertext at rest, keyring permissions, secrets kept out of logs."""

import json
import stat
import uuid
from urllib.parse import unquote, urlsplit

import pytest

import backends
from parley_client import (
    PASSWORD, connect_ready, create_room, history, join, login, post_message, register, run, unique,
)


def _all_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


def _read_if_there(p):
    try:
        return p.read_bytes()
    except FileNotFoundError:
        return None


@pytest.mark.timeout_s(45)
def test_plaintext_not_at_rest_and_keyring_0600(server, users):
    a, au = users("rest_a")
    b, bu = users("rest_b")
    room = create_room(server, a, "vault", public=False)
    st, _ = server.api("POST", f"/rooms/{room['id']}/members", {"username": bu["username"]}, token=a)
    assert st == 201
    canary = f"zebra-plaintext-canary-{uuid.uuid4()}"
    edit_canary = f"okapi-edited-canary-{uuid.uuid4()}"
    ws_canary = f"narwhal-ws-canary-{uuid.uuid4()}"

    m = post_message(server, a, room["id"], canary)
    st, _ = server.api("PATCH", f"/rooms/{room['id']}/messages/{m['seq']}", {"text": edit_canary}, token=a)
    assert st == 200
    # also some bulk, so that pages are written
    for i in range(30):
        post_message(server, b, room["id"], f"{canary}-{i}")

    async def ws_send():
        async with await connect_ready(server, b) as wb:
            await wb.send_msg(room["id"], ws_canary)
    run(ws_send())
    # a direct room too
    st, d = server.api("POST", "/direct", {"username": bu["username"]}, token=a)
    assert st == 200
    post_message(server, a, d["room"]["id"], canary + "-direct")
    texts = [x["text"] for x in history(server, b, room["id"], limit=200)["messages"]]
    assert edit_canary in texts and ws_canary in texts  # it round-trips in memory

    assert server.stop() is not None
    files = _all_files(server.data_dir)
    assert files or backends.scaled(), "data dir is empty"  # scaled: every byte is elsewhere
    if backends.scaled():  # and everything PostgreSQL and Redis keep
        files += backends.files_at_rest()
    needles = [canary, edit_canary, ws_canary, a, b]  # message texts, and raw session tokens
    needles_b = [n.encode() for n in needles]
    # UTF-16 variants too, in case something stores wide strings
    needles_b += [canary.encode("utf-16-le"), ws_canary.encode("utf-16-le")]
    # Read once: PostgreSQL removes and rewrites some files (global/pg_internal.init) while
    # it runs, and a file gone after the listing holds nothing at rest.
    contents = {p: data for p in files if (data := _read_if_there(p)) is not None}
    files = list(contents)
    leaks = []
    for p, data in contents.items():
        for n in needles_b:
            if n in data:
                leaks.append((str(p), n[:40]))
    assert not leaks, f"plaintext found at rest: {leaks}"

    # the keyring: named like one, or holding the keyring JSON format tag
    keyfiles = [p for p in files if "key" in p.name.lower() or b"parley-keyring" in contents[p][:4096]]
    if backends.scaled():  # the master key is in KMS: no keyring file at all
        assert not [p for p in keyfiles if p.is_relative_to(server.data_dir)], keyfiles
    else:
        assert keyfiles, f"no keyring file found in the data dir: {[str(p) for p in files]}"
    for p in keyfiles:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == 0o600, f"{p.name} has mode {oct(mode)}"

    server.start()
    # still readable after restart (keys are persistent)
    texts = [x["text"] for x in history(server, b, room["id"], limit=200)["messages"]]
    assert texts[0] == edit_canary and ws_canary in texts


def test_logs_are_json_and_hold_no_secrets(server, users):
    name = unique("logger")
    register(server, name)
    sess = login(server, name, device="logdev")
    tok = sess["token"]
    b, bu = users("logb")
    room = create_room(server, tok, "logs")
    join(server, b, room["id"])
    canary = f"zebra-log-canary-{uuid.uuid4()}"
    post_message(server, tok, room["id"], canary)
    # some errors too: they get logged
    server.api("POST", "/login", {"username": name, "password": PASSWORD + "-wrong"})
    server.api("GET", "/me", token=tok + "x")
    server.api("POST", f"/rooms/{room['id']}/messages", {"client_msg_id": "c", "text": "x" * 20000}, token=tok)

    async def ws():
        async with await connect_ready(server, b) as wb:
            await wb.send_msg(room["id"], canary + "-ws")
            await wb.send_raw('{"type":"send","text":"' + canary + '-bad"')
            await wb.ping()
    run(ws())
    server.stop()

    raw = server.stderr_bytes()
    assert raw.strip(), "server wrote no logs at all"
    for line in raw.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            pytest.fail(f"log line is not JSON: {line[:200]!r}")
        assert isinstance(obj, dict), line[:200]
    secrets = [(canary, "message text"), (tok, "session token"), (b, "session token"),
               (PASSWORD, "password")]
    if backends.scaled():  # the KMS secret key, percent-encoded as in the URL and decoded
        kms_secret = urlsplit(backends.kms_url()).password
        secrets += [(kms_secret, "KMS secret"), (unquote(kms_secret), "KMS secret")]
    for secret, what in secrets:
        assert secret.encode() not in raw, f"{what} found in logs"
