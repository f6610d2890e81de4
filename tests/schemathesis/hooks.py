"""Schemathesis hooks (SCHEMATHESIS_HOOKS=hooks): every case is sent as the test user.

The token comes from POST /login with the credentials run.py made; a case that ends that
session (POST /logout, DELETE /sessions/{id}, a password reset) makes the next request answer
401, and schemathesis then logs in again and replays it (retry_on, default [401]).
"""
import json
import os
import urllib.error
import urllib.request

import schemathesis


@schemathesis.auth()
class ParleySession:
    def get(self, case, context):
        body = json.dumps({"username": os.environ["PARLEY_ST_USER"],
                           "password": os.environ["PARLEY_ST_PASSWORD"],
                           "device": "schemathesis"}).encode()
        req = urllib.request.Request(os.environ["PARLEY_ST_BASE"] + "/login", data=body,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.load(r)["token"]
        except urllib.error.HTTPError as e:  # say why (the test user must stay usable)
            raise RuntimeError(f"login as the test user: {e.code} {e.read()!r}") from None

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
