"""Helpers for the two-factor tests: RFC 6238 codes computed here, independently of the
server, and the enrol / sign-in steps over the API."""
from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

from parley_client import PASSWORD, login


def secret_bytes(secret_b32: str) -> bytes:
    return base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))


def totp(secret_b32: str, step: int | None = None) -> str:
    """The 6-digit SHA-1 code of the 30-second step (now's by default)."""
    if step is None:
        step = int(time.time()) // 30
    mac = hmac.new(secret_bytes(secret_b32), struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def now_step() -> int:
    return int(time.time()) // 30


def fresh_code(secret_b32: str) -> str:
    """A code the server accepts after an enrolment or a login in this step: the next one."""
    return totp(secret_b32, now_step() + 1)


def enrol(server, token: str) -> tuple[str, list[str]]:
    """Turns two-factor sign-in on for the token's account: (secret, recovery codes). The
    confirming code is the current step's: a login then uses fresh_code (the next step's,
    within the server's window whichever side of a step boundary it is)."""
    st, js = server.api("POST", "/me/2fa", token=token)
    assert st == 201, (st, js)
    secret = js["secret"]
    assert js["qr_svg"].startswith("<svg") and js["uri"].startswith("otpauth://totp/Parley:")
    st, js = server.api("POST", "/me/2fa/confirm", {"code": totp(secret)},
                        token=token)
    assert st == 200 and len(js["recovery_codes"]) == 10, (st, js)
    return secret, js["recovery_codes"]


def first_step(server, name: str, password: str = PASSWORD) -> dict:
    st, js = server.api("POST", "/login", {"username": name, "password": password, "device": "t"})
    assert st == 401 and js["error"]["code"] == "otp_required", (st, js)
    return js


def second_step(server, challenge: str, **body):
    return server.api("POST", "/login/2fa", {"challenge": challenge, **body})


def signed_in(server, name: str) -> str:
    return login(server, name)["token"]
