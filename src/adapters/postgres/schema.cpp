#include "adapters/postgres/schema.h"

#include <libpq-fe.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "adapters/postgres/pg_values.h"

namespace parley::postgres {

namespace {

// Append only: a released step is never edited, a change is a new step. Times are bigint
// milliseconds since the epoch, as in the domain; ids are identity columns.
constexpr std::array kMigrations = {
    // 1: the initial schema (mirrors the SQLite adapter's).
    R"sql(
CREATE TABLE users (
  id             bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username       text    NOT NULL,
  username_lower text    NOT NULL UNIQUE,
  password_hash  text    NOT NULL,
  created_at     bigint  NOT NULL,
  disabled       boolean NOT NULL DEFAULT false
);

CREATE TABLE sessions (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  token_hash   bytea  NOT NULL UNIQUE,
  user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  device       text   NOT NULL,
  ip           text   NOT NULL,
  created_at   bigint NOT NULL,
  last_seen_at bigint NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE rooms (
  id         bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind       text    NOT NULL CHECK (kind IN ('group', 'direct')),
  name       text    NOT NULL,
  topic      text    NOT NULL,
  is_public  boolean NOT NULL,
  last_seq   bigint  NOT NULL DEFAULT 0,  -- invariant 2: bumped under this row's lock
  created_by bigint  NOT NULL REFERENCES users(id),
  created_at bigint  NOT NULL,
  direct_key text    UNIQUE  -- 'minid:maxid' for direct rooms, NULL for groups
);
CREATE INDEX rooms_public ON rooms(id) WHERE is_public;

CREATE TABLE members (
  room_id       bigint NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role          text   NOT NULL CHECK (role IN ('member', 'admin', 'owner')),
  last_read_seq bigint NOT NULL DEFAULT 0,
  joined_at     bigint NOT NULL,
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX members_by_user ON members(user_id);

CREATE TABLE events (
  room_id       bigint  NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  seq           bigint  NOT NULL,
  event_id      text    NOT NULL UNIQUE,
  kind          text    NOT NULL CHECK (kind IN ('message', 'edit', 'delete')),
  sender        bigint  NOT NULL REFERENCES users(id),
  client_msg_id text    NOT NULL,
  reply_to      bigint  NOT NULL,
  target        bigint  NOT NULL,
  created_at    bigint  NOT NULL,
  edited_at     bigint  NOT NULL DEFAULT 0,
  deleted       boolean NOT NULL DEFAULT false,
  key_version   bigint  NOT NULL CHECK (key_version BETWEEN 0 AND 4294967295),
  sealed_body   bytea   NOT NULL,
  PRIMARY KEY (room_id, seq)
);
-- Invariant 3: a retried send finds its original, and a racing one loses here.
CREATE UNIQUE INDEX events_idempotency ON events(room_id, sender, client_msg_id)
  WHERE kind = 'message';

CREATE TABLE room_keys (
  room_id bigint NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  version bigint NOT NULL CHECK (version BETWEEN 0 AND 4294967295),
  wrapped bytea  NOT NULL,
  PRIMARY KEY (room_id, version)
);
)sql",
    // 2: the audit trail of account security events (user_id 0: no such account).
    R"sql(
CREATE TABLE audit_events (
  id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL,
  kind    text   NOT NULL,
  ip      text   NOT NULL,
  device  text   NOT NULL,
  detail  text   NOT NULL,
  at      bigint NOT NULL
);
CREATE INDEX audit_events_user ON audit_events(user_id, id);
)sql",
    // 3: uploaded files (attachments); message_seq is NULL until a message takes them.
    R"sql(
CREATE TABLE attachments (
  id           text   PRIMARY KEY,
  room_id      bigint NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  uploader     bigint NOT NULL REFERENCES users(id),
  sealed_name  bytea  NOT NULL,
  size         bigint NOT NULL CHECK (size >= 0),
  mime         text   NOT NULL,
  image_width  bigint NOT NULL,
  image_height bigint NOT NULL,
  thumb_size   bigint NOT NULL CHECK (thumb_size >= 0),
  key_version  bigint NOT NULL CHECK (key_version BETWEEN 0 AND 4294967295),
  created_at   bigint NOT NULL,
  message_seq  bigint
);
CREATE INDEX attachments_by_message ON attachments(room_id, message_seq)
  WHERE message_seq IS NOT NULL;
CREATE INDEX attachments_unattached ON attachments(created_at) WHERE message_seq IS NULL;
)sql",
    // 4: each room's member count, kept by a trigger in the transaction that changes the
    // members, so "rooms of at most N members" (live presence) reads one row per room.
    R"sql(
ALTER TABLE rooms ADD COLUMN member_count bigint NOT NULL DEFAULT 0;
UPDATE rooms r SET member_count = (SELECT count(*) FROM members m WHERE m.room_id = r.id);
CREATE FUNCTION parley_count_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE rooms SET member_count = member_count + 1 WHERE id = NEW.room_id;
  ELSE
    UPDATE rooms SET member_count = member_count - 1 WHERE id = OLD.room_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER members_count AFTER INSERT OR DELETE ON members
  FOR EACH ROW EXECUTE FUNCTION parley_count_members();
)sql",
    // 5: secrets shared by every node, wrapped by the KeyProvider (the session cache's MAC
    // key).
    R"sql(
CREATE TABLE wrapped_secrets (
  name    text  PRIMARY KEY,
  wrapped bytea NOT NULL
);
)sql",
    // 6: the networks (/24, /64) and devices each account logged in from, newest 50 of
    // each by last use; seeded from the audit trail's logins (IPv4 networks only).
    R"sql(
CREATE TABLE known_networks (
  user_id   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  network   text   NOT NULL,
  last_used bigint NOT NULL,
  PRIMARY KEY (user_id, network)
);
CREATE TABLE known_devices (
  user_id   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  device    text   NOT NULL,
  last_used bigint NOT NULL,
  PRIMARY KEY (user_id, device)
);
INSERT INTO known_networks
  SELECT user_id, net, max(at) FROM (
    SELECT a.user_id, regexp_replace(a.ip, '\.[0-9]+$', '') AS net, a.at FROM audit_events a
    JOIN users u ON u.id = a.user_id WHERE a.kind = 'login' AND a.ip NOT LIKE '%:%') l
  GROUP BY user_id, net;
INSERT INTO known_devices
  SELECT a.user_id, a.device, max(a.at) FROM audit_events a JOIN users u ON u.id = a.user_id
  WHERE a.kind = 'login' GROUP BY a.user_id, a.device;
DELETE FROM known_networks WHERE (user_id, network) IN (
  SELECT user_id, network FROM (SELECT user_id, network, row_number() OVER (
    PARTITION BY user_id ORDER BY last_used DESC, network) AS n FROM known_networks) k
  WHERE n > 50);
DELETE FROM known_devices WHERE (user_id, device) IN (
  SELECT user_id, device FROM (SELECT user_id, device, row_number() OVER (
    PARTITION BY user_id ORDER BY last_used DESC, device) AS n FROM known_devices) k
  WHERE n > 50);
)sql",
    // 7: repeated refusals share a row per account, key and minute (attempts, last_at;
    // agg_key and agg_bucket are NULL for rows never counted into, and NULLs never clash),
    // and rows past the retention are pruned by `at`.
    R"sql(
ALTER TABLE audit_events ADD COLUMN attempts bigint NOT NULL DEFAULT 1;
ALTER TABLE audit_events ADD COLUMN last_at bigint NOT NULL DEFAULT 0;
ALTER TABLE audit_events ADD COLUMN agg_key text;
ALTER TABLE audit_events ADD COLUMN agg_bucket bigint;
UPDATE audit_events SET last_at = at;
CREATE UNIQUE INDEX audit_events_agg ON audit_events(user_id, agg_key, agg_bucket);
CREATE INDEX audit_events_at ON audit_events(at);
)sql",
    // 8: the search index (SearchIndex port): keyed tokens only, a GIN index over each
    // message's token array, and each room's watermark.
    R"sql(
CREATE TABLE search_watermarks (
  room_id bigint PRIMARY KEY,
  seq     bigint NOT NULL
);
CREATE TABLE search_messages (
  room_id bigint  NOT NULL,
  seq     bigint  NOT NULL,
  sender  bigint  NOT NULL,
  at      bigint  NOT NULL,
  reply   boolean NOT NULL,
  tokens  bigint[] NOT NULL,
  PRIMARY KEY (room_id, seq)
);
CREATE INDEX search_messages_tokens ON search_messages USING GIN (tokens);
)sql",
    // 9: reactions: the new event kinds, each message's reaction aggregate, one row per
    // (message, emoji, user), and the function that changes one (ops/reactions.cpp).
    R"sql(
ALTER TABLE events DROP CONSTRAINT events_kind_check;
ALTER TABLE events ADD CONSTRAINT events_kind_check
  CHECK (kind IN ('message', 'edit', 'delete', 'react', 'unreact', 'pin', 'unpin'));
ALTER TABLE events ADD COLUMN reactions text NOT NULL DEFAULT '';
CREATE TABLE reactions (
  id         bigint GENERATED ALWAYS AS IDENTITY,
  room_id    bigint NOT NULL,
  seq        bigint NOT NULL,
  emoji      text   NOT NULL,
  user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at bigint NOT NULL,
  PRIMARY KEY (room_id, seq, emoji, user_id),
  FOREIGN KEY (room_id, seq) REFERENCES events(room_id, seq) ON DELETE CASCADE
);
CREATE INDEX reactions_by_user ON reactions(room_id, user_id, seq);
-- The same bytes as the SQLite adapter's reactionsJson (emoji never need escaping).
CREATE FUNCTION parley_reactions_of(p_room bigint, p_seq bigint) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT coalesce('[' || string_agg(format('{"emoji":"%s","count":%s,"users":[%s]}',
                                           g.emoji, g.n, g.users), ',' ORDER BY g.first) || ']',
                  '')
  FROM (SELECT r.emoji, count(*) AS n, min(r.id) AS first,
               (SELECT string_agg(x.user_id::text, ',' ORDER BY x.id)
                FROM (SELECT f.user_id, f.id FROM reactions f
                      WHERE f.room_id = p_room AND f.seq = p_seq AND f.emoji = r.emoji
                      ORDER BY f.id LIMIT 3) x) AS users
        FROM reactions r WHERE r.room_id = p_room AND r.seq = p_seq GROUP BY r.emoji) g
$$;
-- One reaction change in one statement: the target row is locked first (as edits and
-- deletes lock it), then the room row for the seq (invariant 2).
CREATE FUNCTION parley_react(p_room bigint, p_target bigint, p_user bigint, p_emoji text,
                             p_add boolean, p_max_emoji bigint, p_event_id text, p_now bigint,
                             p_key_version bigint, p_sealed bytea)
RETURNS TABLE(r_outcome text, r_seq bigint, r_reactions text) LANGUAGE plpgsql AS $$
DECLARE
  v_seq bigint;
  v_agg text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM members WHERE room_id = p_room AND user_id = p_user) THEN
    RETURN QUERY SELECT CASE WHEN EXISTS (SELECT 1 FROM rooms WHERE id = p_room AND is_public)
                        THEN 'not_member' ELSE 'no_room' END, 0::bigint, ''::text;
    RETURN;
  END IF;
  PERFORM 1 FROM events
    WHERE room_id = p_room AND seq = p_target AND kind = 'message' AND NOT deleted FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'no_message'::text, 0::bigint, ''::text;
    RETURN;
  END IF;
  IF p_add THEN
    IF NOT EXISTS (SELECT 1 FROM reactions
                   WHERE room_id = p_room AND seq = p_target AND emoji = p_emoji)
       AND (SELECT count(DISTINCT emoji) FROM reactions
            WHERE room_id = p_room AND seq = p_target) >= p_max_emoji THEN
      RETURN QUERY SELECT 'too_many'::text, 0::bigint, ''::text;
      RETURN;
    END IF;
    INSERT INTO reactions(room_id, seq, emoji, user_id, created_at)
      VALUES (p_room, p_target, p_emoji, p_user, p_now) ON CONFLICT DO NOTHING;
  ELSE
    DELETE FROM reactions
      WHERE room_id = p_room AND seq = p_target AND emoji = p_emoji AND user_id = p_user;
  END IF;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'unchanged'::text, 0::bigint, ''::text;
    RETURN;
  END IF;
  v_agg := parley_reactions_of(p_room, p_target);
  UPDATE events SET reactions = v_agg WHERE room_id = p_room AND seq = p_target;
  UPDATE rooms SET last_seq = last_seq + 1 WHERE id = p_room RETURNING last_seq INTO v_seq;
  INSERT INTO events(room_id, seq, event_id, kind, sender, client_msg_id, reply_to, target,
                     created_at, key_version, sealed_body, reactions)
    VALUES (p_room, v_seq, p_event_id, CASE WHEN p_add THEN 'react' ELSE 'unreact' END, p_user,
            '', 0, p_target, p_now, p_key_version, p_sealed, v_agg);
  RETURN QUERY SELECT 'ok'::text, v_seq, v_agg;
END $$;
)sql",
    // 10: server admins as a role of the account, and admin-issued password reset links
    // (only the token's hash is kept; single use, with an expiry).
    R"sql(
ALTER TABLE users ADD COLUMN is_admin boolean NOT NULL DEFAULT false;
CREATE TABLE password_resets (
  token_hash bytea  PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  used_at    bigint
);
CREATE INDEX password_resets_by_user ON password_resets(user_id);
)sql",
    // 11: deleted rooms (crypto-shredded, docs/security.md): the row stays as a tombstone
    // until purge has removed its rows (purged, kept after).
    R"sql(
ALTER TABLE rooms ADD COLUMN deleted_at bigint;
ALTER TABLE rooms ADD COLUMN purged boolean NOT NULL DEFAULT false;
CREATE INDEX rooms_to_purge ON rooms(id) WHERE deleted_at IS NOT NULL AND NOT purged;
)sql",
    // 12: threads: each message's thread root and summary (a root's own; on a reply or a
    // delete of one, its root's just after it), an index that pages one thread, who
    // follows which thread with their marker in it (following = false: chose not to), and
    // the function that writes a summary (ops/threads.cpp).
    R"sql(
ALTER TABLE events ADD COLUMN thread_root bigint NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN thread text NOT NULL DEFAULT '';
CREATE INDEX events_by_thread ON events(room_id, thread_root, seq) WHERE thread_root <> 0;
CREATE TABLE thread_follows (
  room_id       bigint  NOT NULL,
  root_seq      bigint  NOT NULL,
  user_id       bigint  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  following     boolean NOT NULL,
  last_read_seq bigint  NOT NULL,
  created_at    bigint  NOT NULL,
  PRIMARY KEY (room_id, root_seq, user_id),
  FOREIGN KEY (room_id, root_seq) REFERENCES events(room_id, seq) ON DELETE CASCADE
);
CREATE INDEX thread_follows_by_user ON thread_follows(user_id, following);
-- The same bytes as the SQLite adapter's threadJson: live replies, the newest one's time,
-- the first five distinct senders by their first reply.
CREATE FUNCTION parley_thread_of(p_room bigint, p_root bigint) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN count(*) = 0 THEN '' ELSE
    format('{"reply_count":%s,"last_reply_at":%s,"participants":[%s]}', count(*),
           max(r.created_at),
           (SELECT string_agg(p.sender::text, ',' ORDER BY p.first)
            FROM (SELECT x.sender, min(x.seq) AS first FROM events x
                  WHERE x.room_id = p_room AND x.thread_root = p_root AND x.kind = 'message'
                    AND NOT x.deleted
                  GROUP BY x.sender ORDER BY min(x.seq) LIMIT 5) p)) END
  FROM events r
  WHERE r.room_id = p_room AND r.thread_root = p_root AND r.kind = 'message' AND NOT r.deleted
$$;
)sql",
    // 13: the search vocabulary (suggestions): per room, each distinct word's token, the word
    // sealed under the room's key, how many indexed messages have it, and its prefix tokens
    // under a GIN index; each indexed message's word tokens, to count them down.
    R"sql(
ALTER TABLE search_messages ADD COLUMN words bigint[] NOT NULL DEFAULT '{}';
CREATE TABLE search_words (
  room_id  bigint   NOT NULL,
  word     bigint   NOT NULL,
  sealed   bytea    NOT NULL,
  messages bigint   NOT NULL,
  prefixes bigint[] NOT NULL,
  PRIMARY KEY (room_id, word)
);
CREATE INDEX search_words_prefixes ON search_words USING GIN (prefixes);
CREATE INDEX search_words_unused ON search_words (room_id) WHERE messages <= 0;
)sql",
    // 14: the audit trail becomes a hash chain (service/audit_chain.h). Rows from before
    // this step keep hash '' and stay unchained: the chain starts at the first row written
    // after it. audit_anchor holds where the chain starts once pruning removed its head.
    R"sql(
ALTER TABLE audit_events ADD COLUMN prev_hash text NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash text NOT NULL DEFAULT '';
CREATE INDEX audit_events_kind ON audit_events(kind, id);
CREATE TABLE audit_anchor (
  one        integer PRIMARY KEY CHECK (one = 1),
  through_id bigint  NOT NULL,
  through_at bigint  NOT NULL,
  hash       text    NOT NULL,
  mac        text    NOT NULL
);
)sql",
    // 15: sign-up invites (only the code's hash is kept) and TOTP second factors (the
    // secret sealed by the service, recovery codes as hashes).
    R"sql(
CREATE TABLE invites (
  id         bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  token_hash bytea   NOT NULL UNIQUE,
  created_by bigint  NOT NULL DEFAULT 0,
  created_at bigint  NOT NULL,
  expires_at bigint  NOT NULL,
  max_uses   integer NOT NULL,
  uses       integer NOT NULL DEFAULT 0,
  room_id    bigint  NOT NULL DEFAULT 0,
  revoked_at bigint  NOT NULL DEFAULT 0
);
CREATE TABLE user_totp (
  user_id       bigint  PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  sealed_secret bytea   NOT NULL,
  enabled       boolean NOT NULL DEFAULT false,
  last_step     bigint  NOT NULL DEFAULT 0,
  recovery      bytea   NOT NULL DEFAULT '',
  created_at    bigint  NOT NULL
);
)sql",
    // 16: profiles (docs/api.md "Profiles"): one row per account that set a field; the
    // display name's search key (folded by the service) is matched by prefix.
    R"sql(
CREATE TABLE profiles (
  user_id      bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  display_name text   NOT NULL DEFAULT '',
  display_key  text   NOT NULL DEFAULT '',
  status_text  text   NOT NULL DEFAULT '',
  status_emoji text   NOT NULL DEFAULT '',
  time_zone    text   NOT NULL DEFAULT '',
  updated_at   bigint NOT NULL DEFAULT 0
);
CREATE INDEX profiles_display_key ON profiles (display_key COLLATE "C");
)sql",
    // 17: mentions: the ids a message's text mentions (joinIds, resolved at commit to the
    // room's members) and its @room/@here flags, in the clear beside the sealed body; who
    // may say @room and pin (room settings); each member's notification level and mute;
    // the pinned messages, and the function that pins or unpins one (ops/pins.cpp).
    R"sql(
ALTER TABLE events ADD COLUMN mentions text NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN mention_flags integer NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN room_mentions text NOT NULL DEFAULT 'all'
  CHECK (room_mentions IN ('all', 'admins'));
ALTER TABLE rooms ADD COLUMN pins text NOT NULL DEFAULT 'admins' CHECK (pins IN ('all', 'admins'));
ALTER TABLE members ADD COLUMN notify text NOT NULL DEFAULT 'all'
  CHECK (notify IN ('all', 'mentions', 'none'));
ALTER TABLE members ADD COLUMN muted boolean NOT NULL DEFAULT false;
CREATE TABLE pins (
  room_id   bigint NOT NULL,
  seq       bigint NOT NULL,
  pinned_by bigint NOT NULL,
  pinned_at bigint NOT NULL,
  pin_seq   bigint NOT NULL,
  PRIMARY KEY (room_id, seq),
  FOREIGN KEY (room_id, seq) REFERENCES events(room_id, seq) ON DELETE CASCADE
);
-- One pin or unpin in one statement, locking as parley_react does: the target row, then
-- the room row (before counting the pins, so two pins at once cannot pass the limit).
CREATE FUNCTION parley_pin(p_room bigint, p_target bigint, p_user bigint, p_add boolean,
                           p_max_pins bigint, p_event_id text, p_now bigint,
                           p_key_version bigint)
RETURNS TABLE(r_outcome text, r_seq bigint) LANGUAGE plpgsql AS $$
DECLARE
  v_role text;
  v_seq bigint;
BEGIN
  SELECT role INTO v_role FROM members WHERE room_id = p_room AND user_id = p_user;
  IF NOT FOUND THEN
    RETURN QUERY SELECT CASE WHEN EXISTS (SELECT 1 FROM rooms WHERE id = p_room AND is_public)
                        THEN 'not_member' ELSE 'no_room' END, 0::bigint;
    RETURN;
  END IF;
  IF v_role = 'member' AND EXISTS (SELECT 1 FROM rooms
                                   WHERE id = p_room AND kind = 'group' AND pins = 'admins') THEN
    RETURN QUERY SELECT 'forbidden'::text, 0::bigint;
    RETURN;
  END IF;
  PERFORM 1 FROM events
    WHERE room_id = p_room AND seq = p_target AND kind = 'message' AND NOT deleted FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'no_message'::text, 0::bigint;
    RETURN;
  END IF;
  PERFORM 1 FROM rooms WHERE id = p_room FOR NO KEY UPDATE;
  IF p_add THEN
    IF EXISTS (SELECT 1 FROM pins WHERE room_id = p_room AND seq = p_target) THEN
      RETURN QUERY SELECT 'unchanged'::text, 0::bigint;
      RETURN;
    END IF;
    IF (SELECT count(*) FROM pins WHERE room_id = p_room) >= p_max_pins THEN
      RETURN QUERY SELECT 'too_many'::text, 0::bigint;
      RETURN;
    END IF;
  ELSE
    DELETE FROM pins WHERE room_id = p_room AND seq = p_target;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'unchanged'::text, 0::bigint;
      RETURN;
    END IF;
  END IF;
  UPDATE rooms SET last_seq = last_seq + 1 WHERE id = p_room RETURNING last_seq INTO v_seq;
  IF p_add THEN
    INSERT INTO pins(room_id, seq, pinned_by, pinned_at, pin_seq)
      VALUES (p_room, p_target, p_user, p_now, v_seq);
  END IF;
  INSERT INTO events(room_id, seq, event_id, kind, sender, client_msg_id, reply_to, target,
                     created_at, key_version, sealed_body)
    VALUES (p_room, v_seq, p_event_id, CASE WHEN p_add THEN 'pin' ELSE 'unpin' END, p_user,
            '', 0, p_target, p_now, p_key_version, ''::bytea);
  RETURN QUERY SELECT 'ok'::text, v_seq;
END $$;
)sql",
    // 18: avatars (docs/api.md "Avatars"): the profile names the current one by a random
    // id; its square JPEGs, one per size the client shows, are kept beside it.
    R"sql(
ALTER TABLE profiles ADD COLUMN avatar text NOT NULL DEFAULT '';
CREATE TABLE avatar_images (
  user_id bigint  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  size    integer NOT NULL,
  jpeg    bytea   NOT NULL,
  PRIMARY KEY (user_id, size)
);
)sql",
    // 19: room settings as timeline events (kind settings), and the settings of issue 15:
    // archived (read-only) and who may post.
    R"sql(
ALTER TABLE events DROP CONSTRAINT events_kind_check;
ALTER TABLE events ADD CONSTRAINT events_kind_check
  CHECK (kind IN ('message', 'edit', 'delete', 'react', 'unreact', 'pin', 'unpin', 'settings'));
ALTER TABLE rooms ADD COLUMN archived boolean NOT NULL DEFAULT false;
ALTER TABLE rooms ADD COLUMN post text NOT NULL DEFAULT 'all' CHECK (post IN ('all', 'admins'));
)sql",
};

// Serialises migrations across nodes ("parley" in ASCII); held until each step commits.
constexpr const char* kLock = "SELECT pg_advisory_xact_lock(112971450230137)";

constexpr const char* kCreateMigrations =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "  version    integer PRIMARY KEY,"
    "  applied_at timestamptz NOT NULL DEFAULT now())";

struct ConnDeleter {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
using ConnHandle = std::unique_ptr<PGconn, ConnDeleter>;
using ResultHandle = std::unique_ptr<PGresult, ResultDeleter>;

void ignoreNotice(void*, const char*) {}

Result<ConnHandle> open(const std::string& url) {
  const char* const keys[] = {"dbname", "client_encoding", nullptr};
  const char* const values[] = {url.c_str(), "UTF8", nullptr};
  ConnHandle conn(PQconnectdbParams(keys, values, 1));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    return connectionError(conn.get(), "cannot connect");
  }
  PQsetNoticeProcessor(conn.get(), ignoreNotice, nullptr);  // "relation exists, skipping"
  return conn;
}

// Runs one command (or a script of several, with no parameters).
Result<ResultHandle> exec(PGconn* conn, const char* sql) {
  ResultHandle r(PQexec(conn, sql));
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    if (!r) return connectionError(conn, "query failed");
    return errorFrom(r.get(), conn);
  }
  return r;
}

Error tooNew(int have) {
  return makeError(Code::internal, "postgres schema version " + std::to_string(have) +
                                       " is newer than this build's " +
                                       std::to_string(schemaVersion()));
}

// The recorded version, 0 when none (or no table yet).
Result<int> versionIn(PGconn* conn) {
  auto exists = exec(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists) return exists.error();
  if (std::string_view(PQgetvalue(exists->get(), 0, 0)) != "t") return 0;
  auto r = exec(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!r) return r.error();
  return std::atoi(PQgetvalue(r->get(), 0, 0));
}

// One transaction: lock, read the version, apply the next step if one is missing.
// Returns the version after it.
Result<int> step(PGconn* conn) {
  for (const char* sql : {"BEGIN", kLock, kCreateMigrations}) {
    if (auto r = exec(conn, sql); !r) return r.error();
  }
  auto have = versionIn(conn);
  if (!have) return have.error();
  if (*have > schemaVersion()) return tooNew(*have);
  int now = *have;
  if (now < schemaVersion()) {
    if (auto r = exec(conn, kMigrations[static_cast<std::size_t>(now)]); !r) return r.error();
    ++now;
    const std::string record =
        "INSERT INTO schema_migrations(version) VALUES (" + std::to_string(now) + ")";
    if (auto r = exec(conn, record.c_str()); !r) return r.error();
  }
  if (auto r = exec(conn, "COMMIT"); !r) return r.error();
  return now;
}

}  // namespace

int schemaVersion() { return static_cast<int>(kMigrations.size()); }

Result<int> migrate(const std::string& url) {
  auto conn = open(url);
  if (!conn) return conn.error();
  for (;;) {
    auto version = step(conn->get());
    if (!version) return version.error();  // PQfinish rolls back an open transaction
    if (*version == schemaVersion()) return *version;
  }
}

Result<int> currentVersion(const std::string& url) {
  auto conn = open(url);
  if (!conn) return conn.error();
  auto version = versionIn(conn->get());
  if (version && *version > schemaVersion()) return tooNew(*version);
  return version;
}

}  // namespace parley::postgres
