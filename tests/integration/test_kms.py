"""The KMS key provider (--keyring kms+http://...) against moto's KMS (PARLEY_TEST_KMS_URL,
started by scripts/services.sh): room keys are wrapped there, a node with another master key
cannot read the rooms, a refused KMS stops the node at start with a clear error, no secret in
the logs. Each test runs its own server on an embedded store, whatever PARLEY_BACKEND is (the
scaled backend runs every other test on KMS too)."""
from urllib.parse import unquote, urlsplit, urlunsplit

import pytest

import backends
from parley_client import Server, create_room, history, post_message, register_and_login, unique


def _with_secret(url: str, secret: str) -> str:
    p = urlsplit(url)
    netloc = f"{p.username}:{secret}@{p.hostname}:{p.port}"
    return urlunsplit(p._replace(netloc=netloc))


@pytest.mark.timeout_s(60)
def test_room_keys_are_wrapped_by_kms_and_need_it(tmp_path):
    kms = backends.kms_url()
    s = Server(tmp_path / "data", tmp_path, ["--keyring", kms, "--send-rate", "1000"])
    s.start()
    try:
        tok, _ = register_and_login(s, "kmsuser")
        room = create_room(s, tok, "kms-room")
        canary = f"kms-canary-{unique('c')}"
        post_message(s, tok, room["id"], canary)
        assert s.stop() == 0
        assert not list((tmp_path / "data").glob("keyring*")), "a keyring file was written"

        # The same data with a local keyring instead: the deployment's secrets (the audit
        # key first) do not open, and the node stops at start saying so.
        s.args = ["--send-rate", "1000"]
        with pytest.raises(RuntimeError, match=r"(exited with|exit) 1\)? before listening"):
            s.start()
        err = s.stderr_bytes()
        assert b"parley: audit key (does this --keyring open" in err, err[-2000:]
        assert canary.encode() not in err

        # Back on KMS: readable again.
        s.args = ["--keyring", kms, "--send-rate", "1000"]
        s.start()
        texts = [m["text"] for m in history(s, tok, room["id"])["messages"]]
        assert texts == [canary]
    finally:
        s.stop()


@pytest.mark.timeout_s(30)
def test_a_wrong_kms_secret_stops_the_node_at_start(tmp_path):
    kms = backends.kms_url()
    right = urlsplit(kms).password  # percent-encoded: moto's secrets hold '/' and '+'
    # Letters and digits only: a prefix of the encoded secret could end inside a %XX escape,
    # which the node would rightly refuse as a malformed URL before asking the KMS.
    wrong = "Wr0ngSecretValue" + "".join(c for c in unquote(right) if c.isalnum())[:8]
    s = Server(tmp_path / "data", tmp_path, ["--keyring", _with_secret(kms, wrong)])
    with pytest.raises(RuntimeError, match=r"(exited with|exit) 1\)? before listening"):
        s.start()
    err = s.stderr_bytes()
    assert b"keyring" in err and b"SignatureDoesNotMatch" in err, err[-2000:]
    for secret in (wrong, right, unquote(right)):
        assert secret.encode() not in err, "a KMS secret is in the logs"


@pytest.mark.timeout_s(30)
def test_a_malformed_kms_url_is_refused_without_echoing_the_secret(tmp_path):
    s = Server(tmp_path / "data", tmp_path,
               ["--keyring", "kms+https://AKID:TopSecretKmsValue@kms.invalid/key?bogus=1"])
    # A malformed flag is exit 2 (operations.md "Bad flags"); a refusing KMS stays exit 1.
    with pytest.raises(RuntimeError, match=r"(exited with|exit) 2\)? before listening"):
        s.start()
    err = s.stderr_bytes()
    assert b"kms url: unknown parameter bogus" in err, err[-2000:]
    assert b"TopSecretKmsValue" not in err
