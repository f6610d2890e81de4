#!/usr/bin/env python3
"""Writes docs/openapi.yaml, the OpenAPI 3.1 description of every REST route under /api/v1,
from the table of routes below and the error table of docs/api.md (code -> status).

    scripts/openapi.py           rewrite docs/openapi.yaml
    scripts/openapi.py --check   exit 1 if docs/openapi.yaml is not what this script writes

Adding a route: add its ROUTES entry (method, path, summary, the error codes it can answer
beyond the common ones, its body and its success answers), run the script, commit both files.
router_test (IsTheRouteListOfOpenapiYaml) fails, naming the route, while the route table
and docs/openapi.yaml differ; tests/tooling/test_openapi.py fails while this script and
docs/openapi.yaml differ. Every route also answers these, added here:
  400 bad_request (a malformed request), 503 unavailable (storage failed);
  session routes: 401 unauthorized, and for changes 403 origin_not_allowed (cookie + Origin);
  open routes: 403 origin_not_allowed; routes with a JSON body: 413 payload_too_large.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
API_MD = ROOT / "docs" / "api.md"
OUT = ROOT / "docs" / "openapi.yaml"


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: dict, optional: dict | None = None) -> dict:
    props = dict(required)
    props.update(optional or {})
    o = {"type": "object", "properties": props}
    if required:
        o["required"] = list(required)
    return o


INT = {"type": "integer", "format": "int64"}
NONNEG = {"type": "integer", "format": "int64", "minimum": 0}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
USERNAME = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$"}
PASSWORD = {"type": "string", "minLength": 8, "maxLength": 1024,
            "description": "8 to 1024 bytes"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 16384,
        "description": "1 to 16,384 bytes of UTF-8"}
ROLE = {"enum": ["owner", "admin", "member"]}
WHO_MAY = {"enum": ["all", "admins"]}
NOTIFY_LEVEL = {"enum": ["all", "mentions", "none"]}
MS = {"type": "integer", "format": "int64", "description": "milliseconds since the Unix epoch"}


def arr(items: dict) -> dict:
    return {"type": "array", "items": items}


def nullable(s: dict) -> dict:
    return {"anyOf": [s, {"type": "null"}]}


SCHEMAS = {
    "User": obj({"id": INT, "username": STR}),
    "Profile": {"allOf": [ref("User"), obj(
        {"display_name": nullable(STR), "status_text": nullable(STR),
         "status_emoji": nullable(STR), "time_zone": nullable(STR),
         "avatar": nullable(STR)})]},
    "Session": obj({"id": INT, "device": STR, "ip": STR, "created_at": MS,
                    "last_seen_at": MS, "current": BOOL}),
    "Room": obj({"id": INT, "kind": {"enum": ["group", "direct"]}, "name": STR, "topic": STR,
                 "public": BOOL, "last_seq": INT, "room_mentions": WHO_MAY, "pins": WHO_MAY,
                 "archived": BOOL, "post": WHO_MAY}),
    "ListedRoom": {"allOf": [ref("Room"), obj(
        {"role": {"enum": ["owner", "admin", "member"]}, "last_read_seq": INT, "unread": INT,
         "mentions": INT, "notifications": ref("Notifications"),
         "last_message": nullable(ref("Event"))}, {"peer": ref("User")})]},
    "Notifications": obj({"level": NOTIFY_LEVEL, "muted": BOOL}),
    "Pin": obj({"seq": INT, "pinned_by": INT, "pinned_at": MS, "message": ref("Event")}),
    "Member": obj({"user_id": INT, "username": STR, "role": {"enum": ["owner", "admin", "member"]},
                   "last_read_seq": INT}),
    "PagedMember": {"allOf": [ref("Member"), obj({"online": BOOL})]},
    "Reaction": obj({"emoji": STR, "count": INT, "users": arr(INT)}),
    "File": obj({"id": STR, "room": INT, "name": STR, "size": INT, "mime": STR, "uploader": INT,
                 "created_at": MS, "image": nullable(obj({"width": INT, "height": INT})),
                 "thumbnail": BOOL}),
    "Event": obj({"room": INT, "seq": INT, "id": STR,
                  "kind": {"enum": ["message", "edit", "delete", "react", "unreact", "pin",
                                    "unpin", "settings"]},
                  "sender": INT, "sender_name": STR, "client_msg_id": STR, "text": STR,
                  "reply_to": INT, "target": INT, "created_at": MS, "edited_at": INT,
                  "deleted": BOOL, "files": arr(ref("File")), "reactions": arr(ref("Reaction")),
                  "thread_root": INT, "thread": nullable(ref("ThreadSummary")),
                  "root_thread": nullable(ref("ThreadSummary")), "mentions": arr(INT),
                  "mention_room": BOOL, "mention_here": BOOL,
                  "settings": nullable(ref("RoomSettings"))}),
    "RoomSettings": obj({"name": STR, "topic": STR, "public": BOOL, "archived": BOOL,
                         "post": WHO_MAY, "room_mentions": WHO_MAY, "pins": WHO_MAY,
                         "changed": arr({"enum": ["name", "topic", "public", "archived", "post",
                                                  "room_mentions", "pins"]})}),
    "ThreadSummary": obj({"reply_count": INT, "last_reply_at": MS, "participants": arr(INT)}),
    "FollowedThread": obj({"room": INT, "root": ref("Event"), "unread": INT,
                           "last_read_seq": INT}),
    "AuditEvent": obj({"id": INT, "user_id": INT, "kind": STR, "ip": STR, "device": STR,
                       "detail": STR, "at": MS, "count": INT, "last_at": MS}),
    "MemberPage": obj({"members": arr(ref("PagedMember")), "member_count": INT,
                       "live_presence": BOOL, "has_more": BOOL}),
    "Enrolment": obj({"secret": STR, "uri": STR,
                      "qr_svg": {"type": "string", "description": "an SVG image of uri"}}),
    "Invite": obj({"id": INT, "created_by": INT, "created_at": MS, "expires_at": MS,
                   "max_uses": INT, "uses": INT, "room": INT, "revoked_at": INT,
                   "state": {"enum": ["active", "revoked", "expired", "used_up"]}}),
    "AdminUser": obj({"id": INT, "username": STR, "admin": BOOL, "disabled": BOOL,
                      "created_at": MS, "two_factor": BOOL,
                      "last_seen_at": {"type": "integer", "format": "int64",
                                       "description": "the newest session's last use; 0: none"}}),
    "AdminRoom": obj({"id": INT, "kind": {"enum": ["group", "direct"]}, "name": STR,
                      "public": BOOL, "member_count": INT,
                      "owner": nullable(obj({"id": INT, "username": STR})),
                      "created_at": MS,
                      "last_activity_at": {"type": "integer", "format": "int64",
                                           "description": "the newest event's time; 0: none"}}),
    "SearchHit": obj({"room_id": INT, "seq": INT, "sender": ref("User"), "created_at": MS,
                      "exact": BOOL, "snippet": arr(obj({"text": STR, "match": BOOL}))}),
}


def body(required: dict, optional: dict | None = None) -> dict:
    """A request body: an optional field may also be null, which reads as absent."""
    return obj(required, {k: nullable(v) for k, v in (optional or {}).items()})


# Path parameters: {username}, {emoji}, {file_id} are text, any other an integer (router.h).
PARAM_DOC = {
    "id": "the room id (or session id under /sessions and /admin/users/{username}/sessions, "
          "invite id under /admin/invites); one that cannot name a room answers as a missing "
          "room, 404 not_found",
    "seq": "a message's seq in the room",
    "user_id": "a member's user id",
    "username": "a username",
    "emoji": "one emoji (percent-encoded UTF-8) or a shortcode such as tada or :tada:",
    "file_id": "22 characters of base64url",
}


# A download's Content-Type: the detected type for images a browser may show, else this.
FILE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/octet-stream"]
SHORTCODES = ["+1", "thumbsup", "-1", "heart", "tada", "smile", "eyes", "rocket", "100", "bug"]
PARAM_SCHEMA = {"username": USERNAME, "file_id": STR,
                "emoji": {"anyOf": [{"enum": SHORTCODES}, STR],
                          "description": "some of the shortcodes, or any text"}}


def q(name: str, schema: dict, doc: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": doc,
            "schema": schema}


def LIMIT(doc: str, lo: int = 0, hi: int | None = None) -> dict:  # noqa: N802
    schema = dict(NONNEG, minimum=lo)
    if hi is not None:
        schema["maximum"] = hi
    return q("limit", schema, doc)


# (method, path, summary, extra error codes, options). Options: body (schema), empty_body
# (an empty body reads as {}), open (no session), query (parameters), ok ({status: schema or
# None for no content}), raw (a non-JSON success answer: {status: (media type, doc)}).
ROUTES = [
    ("post", "/register", "Create an account (with an invite unless --registration open)",
     ["invalid_username", "weak_password", "conflict", "rate_limited", "busy",
      "registration_closed", "invalid_invite"],
     {"open": True, "body": body({"username": USERNAME, "password": PASSWORD}, {"invite": STR}),
      "ok": {201: obj({"user": ref("User")}, {"room": INT})}}),
    ("post", "/login", "Log in: a session token, also set as the parley_session cookie "
     "(or 401 otp_required and a challenge for the second step)",
     ["bad_credentials", "account_disabled", "rate_limited", "busy", "otp_required"],
     {"open": True, "body": body({"username": STR, "password": STR}, {"device": STR}),
      "ok": {200: obj({"token": STR, "session": ref("Session"), "user": ref("User")})}}),
    ("post", "/login/2fa", "The second sign-in step: a TOTP code or a recovery code",
     ["invalid_otp", "rate_limited"],
     {"open": True, "body": body({"challenge": STR}, {"code": STR, "recovery_code": STR}),
      "ok": {200: obj({"token": STR, "session": ref("Session"), "user": ref("User")},
                      {"recovery_codes": arr(STR)})}}),
    ("post", "/login/2fa/enrol", "Enrol at sign-in (--require-2fa): a secret for the app",
     ["invalid_otp", "rate_limited"],
     {"open": True, "body": body({"challenge": STR}), "ok": {201: ref("Enrolment")}}),
    ("get", "/me/2fa", "My two-factor sign-in", [],
     {"ok": {200: obj({"enabled": BOOL, "pending": BOOL, "recovery_left": INT})}}),
    ("post", "/me/2fa", "Start enrolling: a new pending TOTP secret", ["conflict"],
     {"empty_body": True, "body": body({}), "ok": {201: ref("Enrolment")}}),
    ("post", "/me/2fa/confirm", "Turn two-factor sign-in on with a current code",
     ["invalid_otp", "conflict", "rate_limited"],
     {"body": body({"code": STR}), "ok": {200: obj({"recovery_codes": arr(STR)})}}),
    ("post", "/me/2fa/disable", "Turn two-factor sign-in off (password and a code)",
     ["wrong_password", "invalid_otp", "rate_limited", "busy"],
     {"body": body({"password": STR, "code": STR}), "ok": {204: None}}),
    ("post", "/admin/users/{username}/reset-2fa", "Turn an account's two-factor sign-in off "
     "(admins only)", ["forbidden", "not_found"], {"ok": {204: None}}),
    ("post", "/admin/invites", "Make a sign-up invite (admins only)",
     ["forbidden", "not_found"],
     {"empty_body": True,
      "body": body({}, {"expires_in_s": {"type": "integer", "minimum": 60, "maximum": 7776000},
                        "max_uses": {"type": "integer", "minimum": 1, "maximum": 10000},
                        "room": INT}),
      "ok": {201: obj({"invite": ref("Invite"), "code": STR})}}),
    ("get", "/admin/invites", "Invites, newest first (admins only)", ["forbidden"],
     {"query": [LIMIT("at most 500, default 100")],
      "ok": {200: obj({"invites": arr(ref("Invite"))})}}),
    ("delete", "/admin/invites/{id}", "Revoke an invite (admins only)",
     ["forbidden", "not_found"], {"ok": {204: None}}),
    ("post", "/logout", "End the calling session", [], {"ok": {204: None}}),
    ("get", "/me", "The caller, with its profile, and its session", [],
     {"ok": {200: obj({"user": ref("Profile"), "session": ref("Session")})}}),
    ("patch", "/me", "Change my profile (docs/api.md, Profiles); null clears a field",
     ["invalid_profile", "rate_limited"],
     {"body": obj({}, {"display_name": nullable({"type": "string", "maxLength": 1024}),
                       "status_text": nullable({"type": "string", "maxLength": 1024}),
                       "status_emoji": nullable(STR),
                       "time_zone": nullable({"type": "string", "maxLength": 64})}),
      "ok": {200: obj({"user": ref("Profile")})}}),
    ("get", "/sessions", "My sessions, newest first", [],
     {"ok": {200: obj({"sessions": arr(ref("Session"))})}}),
    ("delete", "/sessions/{id}", "Revoke one of my sessions", ["not_found"], {"ok": {204: None}}),
    ("get", "/users", "Find people by username or display name prefix (docs/api.md, Finding people)",
     ["invalid_profile", "rate_limited"],
     {"query": [q("q", {"type": "string", "maxLength": 1024}, "the prefix; empty lists everyone"),
                LIMIT("1-50, default 20"),
                q("cursor", STR, "next_cursor of the page before")],
      "ok": {200: obj({"users": arr(ref("Profile")), "next_cursor": nullable(STR)})}}),
    ("get", "/users/{username}", "A user by name, with its profile", ["not_found"],
     {"ok": {200: obj({"user": ref("Profile")})}}),
    ("put", "/me/avatar", "Make one of my uploaded images my avatar (docs/api.md, Avatars)",
     ["invalid_profile", "rate_limited", "busy"],
     {"body": obj({"room": INT, "file": STR}),
      "ok": {200: obj({"user": ref("Profile")})}}),
    ("delete", "/me/avatar", "Remove my avatar", ["rate_limited"],
     {"ok": {200: obj({"user": ref("Profile")})}}),
    ("get", "/users/{username}/avatar", "A user's avatar, a square JPEG (docs/api.md, Avatars)",
     ["not_found"],
     {"query": [q("size", {"enum": ["64", "256"]}, "pixels on each side, default 256"),
                q("v", STR, "the avatar id the caller saw (the profile's avatar)")],
      "raw": {200: ("image/jpeg", "the avatar")}}),
    ("get", "/audit", "My account's audit trail, newest first", [],
     {"query": [LIMIT("at most 500, default 100")],
      "ok": {200: obj({"events": arr(ref("AuditEvent"))})}}),
    ("post", "/admin/users/{username}/disable", "Disable an account (admins only)",
     ["forbidden", "not_found"], {"ok": {204: None}}),
    ("post", "/admin/users/{username}/enable", "Enable an account (admins only)",
     ["forbidden", "not_found"], {"ok": {204: None}}),
    ("get", "/admin/audit", "Every account's audit trail (admins only)", ["forbidden"],
     {"query": [LIMIT("at most 500, default 100")],
      "ok": {200: obj({"events": arr(ref("AuditEvent"))})}}),
    ("post", "/me/password", "Change my password; ends my other sessions",
     ["weak_password", "wrong_password", "rate_limited", "busy"],
     {"body": body({"current_password": STR, "new_password": PASSWORD}), "ok": {204: None}}),
    ("post", "/password-reset", "Spend an admin's one-time reset link",
     ["invalid_reset_link", "weak_password", "rate_limited", "busy"],
     {"open": True, "body": body({"token": STR, "password": PASSWORD}), "ok": {204: None}}),
    ("post", "/admin/users/{username}/reset-link", "Issue a one-time reset link (admins only)",
     ["forbidden", "not_found"], {"ok": {201: obj({"token": STR, "expires_at": MS})}}),
    # The admin console
    ("get", "/admin/users", "Accounts, by username prefix, ascending by id (admins only)",
     ["forbidden"],
     {"query": [q("q", {"type": "string", "maxLength": 64}, "a username prefix (any case)"),
                q("cursor", NONNEG, "next_cursor of the previous page"),
                LIMIT("1 to 200, default 50")],
      "ok": {200: obj({"users": arr(ref("AdminUser")), "next_cursor": nullable(STR)})}}),
    ("post", "/admin/users", "Create an account, with a password or a reset link (admins only)",
     ["forbidden", "invalid_username", "weak_password", "conflict", "busy"],
     {"body": body({"username": USERNAME}, {"password": PASSWORD, "admin": BOOL}),
      "ok": {201: obj({"user": ref("AdminUser")},
                      {"reset_token": STR, "reset_expires_at": MS})}}),
    ("post", "/admin/users/{username}/admin", "Make an account a server admin (admins only)",
     ["forbidden", "not_found"], {"ok": {204: None}}),
    ("delete", "/admin/users/{username}/admin", "Remove the server admin role; never from the "
     "last admin (admins only)", ["forbidden", "not_found", "conflict"], {"ok": {204: None}}),
    ("get", "/admin/users/{username}/sessions", "An account's sessions, newest first "
     "(admins only)", ["forbidden", "not_found"],
     {"ok": {200: obj({"sessions": arr(ref("Session"))})}}),
    ("delete", "/admin/users/{username}/sessions/{id}", "End one session of an account; its "
     "sockets close with 4001 (admins only)", ["forbidden", "not_found"], {"ok": {204: None}}),
    ("get", "/admin/rooms", "Rooms, by name prefix, ascending by id: names and counts, never "
     "content (admins only)", ["forbidden"],
     {"query": [q("q", {"type": "string", "maxLength": 64}, "a room name prefix (any case)"),
                q("cursor", NONNEG, "next_cursor of the previous page"),
                LIMIT("1 to 200, default 50")],
      "ok": {200: obj({"rooms": arr(ref("AdminRoom")), "next_cursor": nullable(STR)})}}),
    ("post", "/admin/rooms/{id}/owner", "Hand a room to a new owner; its other owners become "
     "admins (admins only)", ["forbidden", "not_found", "conflict"],
     {"body": body({"username": STR}),
      "ok": {200: obj({"member": ref("Member"), "previous_owners": arr(STR)})}}),
    # Rooms
    ("get", "/rooms", "My rooms with unread counts", [],
     {"ok": {200: obj({"rooms": arr(ref("ListedRoom"))})}}),
    ("post", "/rooms", "Create a group room; I am its owner", [],
     {"empty_body": True, "body": body({"name": {"type": "string", "minLength": 1, "maxLength": 100,
                                  "description": "1 to 100 bytes"}},
                        {"topic": {"type": "string", "maxLength": 1000,
                                   "description": "at most 1000 bytes"}, "public": BOOL}),
      "links": ("/rooms", {"id": "$response.body#/room/id"}),
      "ok": {201: obj({"room": ref("Room")})}}),
    ("get", "/rooms/public", "Public rooms", [], {"ok": {200: obj({"rooms": arr(ref("Room"))})}}),
    ("get", "/rooms/{id}", "A room and one page of its members", ["not_member", "not_found"],
     {"query": [q("after", NONNEG, "the last user_id of the previous page"),
                LIMIT("1 to 1000, default 1000", 1)],
      "ok": {200: {"allOf": [ref("MemberPage"), obj({"room": ref("Room")})]}}}),
    ("get", "/rooms/{id}/members", "One page of a room's members", ["not_member", "not_found"],
     {"query": [q("after", NONNEG, "the last user_id of the previous page"),
                LIMIT("1 to 1000, default 1000", 1)],
      "ok": {200: ref("MemberPage")}}),
    ("post", "/rooms/{id}/join", "Join a public room", ["forbidden", "not_found", "conflict"],
     {"empty_body": True, "body": body({}), "ok": {200: obj({"room": ref("Room")})}}),
    ("post", "/rooms/{id}/leave", "Leave a room",
     ["forbidden", "not_member", "not_found", "conflict"],
     {"empty_body": True, "body": body({}), "ok": {204: None}}),
    ("post", "/rooms/{id}/members", "Add a member", ["forbidden", "not_member", "not_found",
                                                      "conflict"],
     {"empty_body": True, "body": body({"username": STR}),
      "ok": {201: obj({"member": ref("Member")})}}),
    ("delete", "/rooms/{id}/members/{user_id}", "Remove a member (or myself: leave)",
     ["forbidden", "not_member", "not_found", "conflict"], {"ok": {204: None}}),
    ("patch", "/rooms/{id}/members/{user_id}", "Change a member's role",
     ["forbidden", "not_member", "not_found", "conflict"],
     {"empty_body": True, "body": body({"role": ROLE}),
      "ok": {200: obj({"member": ref("Member")})}}),
    ("delete", "/rooms/{id}", "Delete a room for good, its keys destroyed first (owner or admin)",
     ["forbidden", "not_member", "not_found", "unavailable"], {"ok": {204: None}}),
    ("post", "/direct", "The direct room with a user, made on first use", ["not_found"],
     {"empty_body": True, "body": body({"username": STR}),
      "ok": {200: obj({"room": ref("Room")})}}),
    # Messages
    ("get", "/rooms/{id}/messages", "A page of history", ["not_member", "not_found"],
     {"query": [q("before", NONNEG, "newest messages with a smaller seq"),
                q("after", NONNEG, "oldest messages with a larger seq"),
                q("around", NONNEG, "the messages nearest this seq (not with before/after)"),
                q("thread", NONNEG, "the replies of this thread root, paged as history"),
                LIMIT("1 to 200, default 50", 1, 200)],
      "ok": {200: obj({"messages": arr(ref("Event")), "has_more": BOOL,
                       "my_reactions": {"type": "object", "additionalProperties": arr(STR)}},
                      {"has_more_before": BOOL, "has_more_after": BOOL,
                       "root": ref("Event")})}}),
    ("post", "/rooms/{id}/messages", "Send a message (idempotent by client_msg_id)",
     ["invalid_file", "not_member", "not_found", "message_too_long", "rate_limited"],
     {"body": dict(body({"client_msg_id": {"type": "string", "minLength": 1, "maxLength": 64}},
                        {"text": TEXT, "reply_to": NONNEG,
                         "files": {"type": "array", "items": STR, "maxItems": 10},
                         "thread_root": NONNEG}),
                   anyOf=[{"required": ["text"], "properties": {"text": TEXT}},
                          {"required": ["files"],
                           "properties": {"files": {"type": "array", "minItems": 1}}}],
                   description="text, or files, or both"),
      "links": ("/rooms/{id}/messages", {"id": "$request.path.id",
                                         "seq": "$response.body#/message/seq"}),
      "ok": {201: obj({"message": ref("Event")}), 200: obj({"message": ref("Event")})}}),
    ("patch", "/rooms/{id}/messages/{seq}", "Edit my message",
     ["forbidden", "not_member", "not_found", "message_too_long", "rate_limited"],
     {"body": body({"text": TEXT}), "ok": {200: obj({"event": ref("Event")})}}),
    ("delete", "/rooms/{id}/messages/{seq}", "Delete my message",
     ["forbidden", "not_member", "not_found", "rate_limited"],
     {"ok": {200: obj({"event": ref("Event")})}}),
    ("post", "/rooms/{id}/read", "Move my read marker forward", ["not_member", "not_found"],
     {"body": body({"seq": NONNEG}), "ok": {200: obj({"last_read_seq": INT})}}),
    # Reactions
    ("post", "/rooms/{id}/messages/{seq}/reactions/{emoji}", "Add my reaction",
     ["not_member", "not_found", "conflict", "rate_limited"],
     {"ok": {200: obj({"event": nullable(ref("Event")), "reactions": arr(ref("Reaction"))})}}),
    ("delete", "/rooms/{id}/messages/{seq}/reactions/{emoji}", "Take my reaction back",
     ["not_member", "not_found", "conflict", "rate_limited"],
     {"ok": {200: obj({"event": nullable(ref("Event")), "reactions": arr(ref("Reaction"))})}}),
    # Pins, room settings, notification levels
    ("get", "/rooms/{id}/pins", "The room's pinned messages, newest pin first",
     ["not_member", "not_found"], {"ok": {200: obj({"pins": arr(ref("Pin"))})}}),
    ("put", "/rooms/{id}/pins/{seq}", "Pin a message",
     ["forbidden", "not_member", "not_found", "conflict", "rate_limited"],
     {"ok": {200: obj({"event": nullable(ref("Event"))})}}),
    ("delete", "/rooms/{id}/pins/{seq}", "Unpin a message",
     ["forbidden", "not_member", "not_found", "rate_limited"],
     {"ok": {200: obj({"event": nullable(ref("Event"))})}}),
    ("patch", "/rooms/{id}", "Change the room's settings (owners, admins, server admins)",
     ["forbidden", "not_member", "not_found", "rate_limited"],
     {"body": body({}, {"name": STR, "topic": STR, "public": BOOL, "room_mentions": WHO_MAY,
                        "pins": WHO_MAY}),
      "ok": {200: obj({"room": ref("Room"), "event": nullable(ref("Event"))})}}),
    ("put", "/rooms/{id}/notifications", "Set my notification level and mute in a room",
     ["not_member", "not_found", "rate_limited"],
     {"body": body({"level": NOTIFY_LEVEL}, {"muted": BOOL}),
      "ok": {200: ref("Notifications")}}),
    # Threads
    ("put", "/rooms/{id}/threads/{seq}/follow", "Follow a thread", ["not_member", "not_found"],
     {"ok": {204: None}}),
    ("delete", "/rooms/{id}/threads/{seq}/follow", "Stop following a thread",
     ["not_member", "not_found"], {"ok": {204: None}}),
    ("post", "/rooms/{id}/threads/{seq}/read", "Move my marker in a thread forward",
     ["not_member", "not_found"],
     {"body": body({"seq": NONNEG}), "ok": {200: obj({"last_read_seq": INT})}}),
    ("get", "/threads", "The threads I follow, with unread replies", [],
     {"ok": {200: obj({"threads": arr(ref("FollowedThread"))})}}),
    # Search
    ("get", "/search", "Search the messages of my rooms", ["bad_query", "rate_limited"],
     {"query": [q("q", {"type": "string", "minLength": 1, "maxLength": 1000}, "the query (docs/api.md, Search)", required=True),
                q("sort", {"enum": ["relevance", "recent"]}, "default relevance"),
                q("cursor", {"type": "string", "minLength": 1}, "next_cursor of the previous page"),
                LIMIT("1 to 50, default 20", 1, 50)],
      "ok": {200: obj({"hits": arr(ref("SearchHit")),
                       "totals": arr(obj({"room_id": INT, "count": INT})),
                       "next_cursor": nullable(STR)})}}),
    ("get", "/search/suggest", "Complete the word being typed in a search box",
     ["bad_query", "rate_limited"],
     {"query": [q("q", {"type": "string", "minLength": 1, "maxLength": 100},
                  "the query typed so far (docs/api.md, Suggestions)", required=True),
                LIMIT("1 to 20 per list, default 10", 1, 20)],
      "ok": {200: obj({"words": arr(obj({"text": STR, "count": INT, "query": STR})),
                       "users": arr(obj({"username": STR, "id": INT, "query": STR})),
                       "rooms": arr(obj({"name": STR, "id": INT, "query": STR})),
                       "operators": arr(obj({"text": STR, "query": STR}))})}}),
    # Files (streamed by the server, not in the route table: files_http.h)
    ("post", "/rooms/{id}/files", "Upload a file (the raw bytes; not yet attached)",
     ["not_found", "rate_limited", "busy"],
     {"query": [q("name", {"type": "string", "minLength": 1, "maxLength": 255},
                  "the percent-encoded UTF-8 file name, 1 to 255 bytes",
                  required=True)],
      "raw_body": True, "ok": {201: obj({"file": ref("File")})}}),
    ("get", "/rooms/{id}/files/{file_id}", "Download a file (also HEAD)",
     ["not_found", "internal"],
     {"query": [q("download", {"enum": ["1"]}, "1: Content-Disposition attachment")],
      "raw": {200: (FILE_TYPES, "the file"), 206: (FILE_TYPES, "one range of the file"),
              416: (None, "the range starts past the end")}}),
    ("get", "/rooms/{id}/files/{file_id}/thumbnail", "A JPEG thumbnail of an image",
     ["not_found"], {"raw": {200: ("image/jpeg", "the thumbnail")}}),
]


def error_statuses() -> dict[str, int]:
    """code -> status, from the error table of docs/api.md."""
    out = {}
    for line in API_MD.read_text().splitlines():
        m = re.match(r"^\| `([a-z_]+)` \| (\d{3}) \|", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


RESPONSES: dict = {}


def error_responses(codes: list[str], statuses: dict[str, int]) -> dict:
    by_status: dict[int, list[str]] = {}
    for c in codes:
        if c not in statuses:
            sys.exit(f"openapi.py: error code {c} is not in docs/api.md's error table")
        by_status.setdefault(statuses[c], [])
        if c not in by_status[statuses[c]]:
            by_status[statuses[c]].append(c)
    out = {}
    for status in sorted(by_status):
        cs = by_status[status]
        schema = {"allOf": [ref("Error"), obj({"error": obj({"code": {"enum": cs}})})]}
        resp = {"description": ", ".join(cs),
                "content": {"application/json": {"schema": schema}}}
        if "rate_limited" in cs or (status == 503 and "busy" in cs):
            resp["headers"] = {"Retry-After": {"description": "seconds",
                                               "schema": {"type": "integer"}}}
        name = "-".join(cs)  # one shared response per set of codes
        RESPONSES[name] = resp
        out[str(status)] = {"$ref": f"#/components/responses/{name}"}
    return out


def op_id(method: str, path: str) -> str:
    return method + "_" + re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_")


def links(spec: tuple[str, dict]) -> dict:
    """Links from a 201 to every operation under `prefix` (schemathesis's stateful phase)."""
    prefix, params = spec
    out = {}
    for method, path, *_ in ROUTES:
        names = re.findall(r"\{(\w+)\}", path)
        if path.startswith(prefix + "/") and names:
            if all(n in params for n in names):
                out[op_id(method, path)] = {
                    "operationId": op_id(method, path),
                    "parameters": {n: params[n] for n in names}}
    return out


def operation(method, path, summary, extra, opts, statuses):
    op = {"summary": summary, "operationId": op_id(method, path)}
    params = [{"name": p, "in": "path", "required": True, "description": PARAM_DOC[p],
               "schema": PARAM_SCHEMA.get(p, INT)}
              for p in re.findall(r"\{(\w+)\}", path)]
    params += opts.get("query", [])
    if params:
        op["parameters"] = params
    codes = ["bad_request"]
    if opts.get("open"):
        op["security"] = []
        codes.append("origin_not_allowed")
    else:
        codes.append("unauthorized")
        if method != "get":
            codes.append("origin_not_allowed")
    if "body" in opts:
        needed = bool(opts["body"].get("required")) or not opts.get("empty_body", False)
        op["requestBody"] = {"required": needed,
                             "content": {"application/json": {"schema": opts["body"]}}}
        codes.append("payload_too_large")
    if opts.get("raw_body"):
        op["requestBody"] = {"required": False, "content": {"application/octet-stream": {
            "schema": {"type": "string", "format": "binary"}}}}
        codes.append("payload_too_large")
    codes += extra + ["unavailable"]
    responses = {}
    for status, schema in opts.get("ok", {}).items():
        responses[str(status)] = {"description": "done"}
        if schema is not None:
            responses[str(status)]["content"] = {"application/json": {"schema": schema}}
        if status == 201 and opts.get("links"):
            responses[str(status)]["links"] = links(opts["links"])
    for status, (media, doc) in opts.get("raw", {}).items():
        responses[str(status)] = {"description": doc}
        for m in [media] if isinstance(media, str) else media or []:
            responses[str(status)].setdefault("content", {})[m] = {
                "schema": {"type": "string", "format": "binary"}}
    responses.update(error_responses(codes, statuses))
    op["responses"] = dict(sorted(responses.items()))
    return op


DESCRIPTION = """\
Parley's REST API; docs/api.md is the prose this follows (written by scripts/openapi.py:
edit that, not this file). Every error is `{"error": {"code", "message"}}` (a `bad_query`
also has `at`); each operation lists the codes it can answer. Live events use one WebSocket
per device (`GET /api/v1/ws`, docs/protocol.md), not described here.

Authentication: `Authorization: Bearer <token>` from `POST /login`. Browsers get the same
token in the `HttpOnly; SameSite=Strict` cookie `parley_session`; a request authenticated by
that cookie that changes anything (any method but GET/HEAD) must carry an `Origin` header on
the allowlist (`--allowed-origin`, and the server's own origin), else `403
origin_not_allowed`. `POST /login`, `/login/2fa`, `/login/2fa/enrol`, `/register` and
`/password-reset` need no session, but one that carries an `Origin` not on the allowlist is refused the same way. Tokens are never
accepted in URLs.
"""


def spec() -> dict:
    statuses = error_statuses()
    paths: dict = {}
    for method, path, summary, extra, opts in ROUTES:
        paths.setdefault(path, {})[method] = operation(method, path, summary, extra, opts,
                                                       statuses)
    error = obj({"error": obj({"code": {"enum": sorted(statuses, key=list(statuses).index)},
                               "message": STR},
                              {"at": {"type": "integer", "description": "bad_query: the byte "
                                      "offset of what is wrong"}})})
    return {
        "openapi": "3.1.0",
        "info": {"title": "Parley REST API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"cookie": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "the token POST /login answers"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "parley_session",
                           "description": "browsers; a change (not GET/HEAD) also needs an "
                                          "allowed Origin, else 403 origin_not_allowed"},
            },
            "responses": dict(sorted(RESPONSES.items())),
            "schemas": dict(SCHEMAS, Error=error),
        },
    }


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # no &id001 anchors: plain YAML for every reader
        return True


def render() -> str:
    head = "# Written by scripts/openapi.py from its route list: edit that and run it.\n"
    return head + yaml.dump(spec(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def main() -> int:
    text = render()
    if sys.argv[1:] == ["--check"]:
        if OUT.read_text() != text:
            print("docs/openapi.yaml is not what scripts/openapi.py writes: run it and commit",
                  file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
