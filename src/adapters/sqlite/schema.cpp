#include "adapters/sqlite/schema.h"

#include <array>
#include <string>

namespace parley::sqlite {

namespace {

// Append only: a released step is never edited, a change is a new step.
constexpr std::array kMigrations = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE users (
  id             INTEGER PRIMARY KEY,
  username       TEXT    NOT NULL,
  username_lower TEXT    NOT NULL UNIQUE,
  password_hash  TEXT    NOT NULL,
  created_at     INTEGER NOT NULL,
  disabled       INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE sessions (
  id           INTEGER PRIMARY KEY,
  token_hash   BLOB    NOT NULL UNIQUE,
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  device       TEXT    NOT NULL,
  ip           TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE rooms (
  id         INTEGER PRIMARY KEY,
  kind       TEXT    NOT NULL CHECK (kind IN ('group', 'direct')),
  name       TEXT    NOT NULL,
  topic      TEXT    NOT NULL,
  is_public  INTEGER NOT NULL,
  last_seq   INTEGER NOT NULL DEFAULT 0,
  created_by INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  direct_key TEXT    UNIQUE  -- "minid:maxid" for direct rooms, NULL for groups
) STRICT;
CREATE INDEX rooms_public ON rooms(id) WHERE is_public = 1;

CREATE TABLE members (
  room_id       INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role          TEXT    NOT NULL CHECK (role IN ('member', 'admin', 'owner')),
  last_read_seq INTEGER NOT NULL DEFAULT 0,
  joined_at     INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX members_by_user ON members(user_id);

CREATE TABLE events (
  room_id       INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  seq           INTEGER NOT NULL,
  event_id      TEXT    NOT NULL UNIQUE,
  kind          TEXT    NOT NULL CHECK (kind IN ('message', 'edit', 'delete')),
  sender        INTEGER NOT NULL REFERENCES users(id),
  client_msg_id TEXT    NOT NULL,
  reply_to      INTEGER NOT NULL,
  target        INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  edited_at     INTEGER NOT NULL DEFAULT 0,
  deleted       INTEGER NOT NULL DEFAULT 0,
  key_version   INTEGER NOT NULL,
  sealed_body   BLOB    NOT NULL,
  PRIMARY KEY (room_id, seq)
) STRICT;
-- Invariant 3: a retried send finds its original.
CREATE UNIQUE INDEX events_idempotency ON events(room_id, sender, client_msg_id)
  WHERE kind = 'message';

CREATE TABLE room_keys (
  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  wrapped BLOB    NOT NULL,
  PRIMARY KEY (room_id, version)
) STRICT, WITHOUT ROWID;
)sql",
    // 2: the audit trail of account security events.
    R"sql(
CREATE TABLE audit_events (
  id      INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL,
  kind    TEXT    NOT NULL,
  ip      TEXT    NOT NULL,
  device  TEXT    NOT NULL,
  detail  TEXT    NOT NULL,
  at      INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_events_user ON audit_events(user_id, id);
)sql",
    // 3: uploaded files (attachments); message_seq is NULL until a message takes them.
    R"sql(
CREATE TABLE attachments (
  id           TEXT    PRIMARY KEY,
  room_id      INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  uploader     INTEGER NOT NULL REFERENCES users(id),
  sealed_name  BLOB    NOT NULL,
  size         INTEGER NOT NULL,
  mime         TEXT    NOT NULL,
  image_width  INTEGER NOT NULL,
  image_height INTEGER NOT NULL,
  thumb_size   INTEGER NOT NULL,
  key_version  INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  message_seq  INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX attachments_by_message ON attachments(room_id, message_seq)
  WHERE message_seq IS NOT NULL;
CREATE INDEX attachments_unattached ON attachments(created_at) WHERE message_seq IS NULL;
)sql",
    // 4: each room's member count, kept by triggers in the transaction that changes the
    // members, so "rooms of at most N members" (live presence) reads one row per room.
    R"sql(
ALTER TABLE rooms ADD COLUMN member_count INTEGER NOT NULL DEFAULT 0;
UPDATE rooms SET member_count = (SELECT count(*) FROM members WHERE room_id = rooms.id);
CREATE TRIGGER members_count_insert AFTER INSERT ON members BEGIN
  UPDATE rooms SET member_count = member_count + 1 WHERE id = NEW.room_id;
END;
CREATE TRIGGER members_count_delete AFTER DELETE ON members BEGIN
  UPDATE rooms SET member_count = member_count - 1 WHERE id = OLD.room_id;
END;
)sql",
    // 5: secrets shared by every node, wrapped by the KeyProvider (the session cache's MAC
    // key).
    R"sql(
CREATE TABLE wrapped_secrets (
  name    TEXT PRIMARY KEY,
  wrapped BLOB NOT NULL
) STRICT, WITHOUT ROWID;
)sql",
    // 6: the networks (/24, /64) and devices each account logged in from, newest 50 of
    // each by last use; seeded from the audit trail's logins (IPv4 networks only).
    R"sql(
CREATE TABLE known_networks (
  user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  network   TEXT    NOT NULL,
  last_used INTEGER NOT NULL,
  PRIMARY KEY (user_id, network)
) STRICT, WITHOUT ROWID;
CREATE TABLE known_devices (
  user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  device    TEXT    NOT NULL,
  last_used INTEGER NOT NULL,
  PRIMARY KEY (user_id, device)
) STRICT, WITHOUT ROWID;
INSERT INTO known_networks
  SELECT user_id, net, max(at) FROM (
    SELECT a.user_id, rtrim(rtrim(a.ip, '0123456789'), '.') AS net, a.at FROM audit_events a
    JOIN users u ON u.id = a.user_id WHERE a.kind = 'login' AND a.ip NOT LIKE '%:%')
  GROUP BY user_id, net;
INSERT INTO known_devices
  SELECT a.user_id, a.device, max(a.at) FROM audit_events a JOIN users u ON u.id = a.user_id
  WHERE a.kind = 'login' GROUP BY a.user_id, a.device;
DELETE FROM known_networks WHERE (user_id, network) IN (
  SELECT user_id, network FROM (SELECT user_id, network, row_number() OVER (
    PARTITION BY user_id ORDER BY last_used DESC, network) AS n FROM known_networks)
  WHERE n > 50);
DELETE FROM known_devices WHERE (user_id, device) IN (
  SELECT user_id, device FROM (SELECT user_id, device, row_number() OVER (
    PARTITION BY user_id ORDER BY last_used DESC, device) AS n FROM known_devices)
  WHERE n > 50);
)sql",
    // 7: repeated refusals share a row per account, key and minute (attempts, last_at;
    // agg_key and agg_bucket are NULL for rows never counted into, and NULLs never clash),
    // and rows past the retention are pruned by `at`.
    R"sql(
ALTER TABLE audit_events ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_events ADD COLUMN last_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_events ADD COLUMN agg_key TEXT;
ALTER TABLE audit_events ADD COLUMN agg_bucket INTEGER;
UPDATE audit_events SET last_at = at;
CREATE UNIQUE INDEX audit_events_agg ON audit_events(user_id, agg_key, agg_bucket);
CREATE INDEX audit_events_at ON audit_events(at);
)sql",
    // 8: reactions. The events table is rebuilt to admit the new kinds (SQLite cannot
    // change a CHECK in place) and gains each message's reaction aggregate; one row per
    // (message, emoji, user) says who reacted with what.
    R"sql(
CREATE TABLE events_v8 (
  room_id       INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  seq           INTEGER NOT NULL,
  event_id      TEXT    NOT NULL UNIQUE,
  kind          TEXT    NOT NULL CHECK (kind IN ('message', 'edit', 'delete', 'react', 'unreact',
                                                 'pin', 'unpin')),
  sender        INTEGER NOT NULL REFERENCES users(id),
  client_msg_id TEXT    NOT NULL,
  reply_to      INTEGER NOT NULL,
  target        INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  edited_at     INTEGER NOT NULL DEFAULT 0,
  deleted       INTEGER NOT NULL DEFAULT 0,
  key_version   INTEGER NOT NULL,
  sealed_body   BLOB    NOT NULL,
  reactions     TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (room_id, seq)
) STRICT;
INSERT INTO events_v8(room_id, seq, event_id, kind, sender, client_msg_id, reply_to, target,
                      created_at, edited_at, deleted, key_version, sealed_body)
  SELECT room_id, seq, event_id, kind, sender, client_msg_id, reply_to, target, created_at,
         edited_at, deleted, key_version, sealed_body FROM events;
DROP TABLE events;
ALTER TABLE events_v8 RENAME TO events;
CREATE UNIQUE INDEX events_idempotency ON events(room_id, sender, client_msg_id)
  WHERE kind = 'message';

CREATE TABLE reactions (
  room_id    INTEGER NOT NULL,
  seq        INTEGER NOT NULL,
  emoji      TEXT    NOT NULL,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  UNIQUE (room_id, seq, emoji, user_id),
  FOREIGN KEY (room_id, seq) REFERENCES events(room_id, seq) ON DELETE CASCADE
) STRICT;
CREATE INDEX reactions_by_user ON reactions(room_id, user_id, seq);
)sql",
    // 9: server admins as a role of the account, and admin-issued password reset links
    // (only the token's hash is kept; single use, with an expiry).
    R"sql(
ALTER TABLE users ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
CREATE TABLE password_resets (
  token_hash BLOB    PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER
) STRICT;
CREATE INDEX password_resets_by_user ON password_resets(user_id);
)sql",
    // 10: deleted rooms (crypto-shredded, docs/security.md): the row stays as a tombstone,
    // so its id is never reused, until purge has removed its rows (purged = 1, kept after).
    R"sql(
ALTER TABLE rooms ADD COLUMN deleted_at INTEGER;
ALTER TABLE rooms ADD COLUMN purged INTEGER NOT NULL DEFAULT 0;
CREATE INDEX rooms_to_purge ON rooms(id) WHERE deleted_at IS NOT NULL AND purged = 0;
)sql",
    // 11: threads: each message's thread root and summary (a root's own; on a reply or a
    // delete of one, its root's just after it), an index that pages one thread, and who
    // follows which thread with their marker in it (following = 0: chose not to).
    R"sql(
ALTER TABLE events ADD COLUMN thread_root INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN thread TEXT NOT NULL DEFAULT '';
CREATE INDEX events_by_thread ON events(room_id, thread_root, seq) WHERE thread_root <> 0;
CREATE TABLE thread_follows (
  room_id       INTEGER NOT NULL,
  root_seq      INTEGER NOT NULL,
  user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  following     INTEGER NOT NULL,
  last_read_seq INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (room_id, root_seq, user_id),
  FOREIGN KEY (room_id, root_seq) REFERENCES events(room_id, seq) ON DELETE CASCADE
) STRICT;
CREATE INDEX thread_follows_by_user ON thread_follows(user_id, following);
)sql",
    // 12: the audit trail becomes a hash chain (service/audit_chain.h). Rows from before
    // this step keep hash '' and stay unchained: the chain starts at the first row written
    // after it. audit_anchor holds where the chain starts once pruning removed its head.
    R"sql(
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_events_kind ON audit_events(kind, id);
CREATE TABLE audit_anchor (
  one        INTEGER PRIMARY KEY CHECK (one = 1),
  through_id INTEGER NOT NULL,
  through_at INTEGER NOT NULL,
  hash       TEXT    NOT NULL,
  mac        TEXT    NOT NULL
) STRICT;
)sql",
    // 13: sign-up invites (only the code's hash is kept) and TOTP second factors (the
    // secret sealed by the service, recovery codes as hashes).
    R"sql(
CREATE TABLE invites (
  id         INTEGER PRIMARY KEY,
  token_hash BLOB    NOT NULL UNIQUE,
  created_by INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  max_uses   INTEGER NOT NULL,
  uses       INTEGER NOT NULL DEFAULT 0,
  room_id    INTEGER NOT NULL DEFAULT 0,
  revoked_at INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE user_totp (
  user_id       INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  sealed_secret BLOB    NOT NULL,
  enabled       INTEGER NOT NULL DEFAULT 0,
  last_step     INTEGER NOT NULL DEFAULT 0,
  recovery      BLOB    NOT NULL DEFAULT x'',
  created_at    INTEGER NOT NULL
) STRICT;
)sql",
    // 14: profiles (docs/api.md "Profiles"): one row per account that set a field; the
    // display name's search key (folded by the service) is matched by prefix.
    R"sql(
CREATE TABLE profiles (
  user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  display_name TEXT    NOT NULL DEFAULT '',
  display_key  TEXT    NOT NULL DEFAULT '',
  status_text  TEXT    NOT NULL DEFAULT '',
  status_emoji TEXT    NOT NULL DEFAULT '',
  time_zone    TEXT    NOT NULL DEFAULT '',
  updated_at   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX profiles_display_key ON profiles(display_key);
)sql",
    // 15: mentions: the ids a message's text mentions (joinIds, resolved at commit to the
    // room's members) and its @room/@here flags, in the clear beside the sealed body; who
    // may say @room and pin (room settings); each member's notification level and mute;
    // the pinned messages.
    R"sql(
ALTER TABLE events ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN mention_flags INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN room_mentions TEXT NOT NULL DEFAULT 'all'
  CHECK (room_mentions IN ('all', 'admins'));
ALTER TABLE rooms ADD COLUMN pins TEXT NOT NULL DEFAULT 'admins' CHECK (pins IN ('all', 'admins'));
ALTER TABLE members ADD COLUMN notify TEXT NOT NULL DEFAULT 'all'
  CHECK (notify IN ('all', 'mentions', 'none'));
ALTER TABLE members ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
CREATE TABLE pins (
  room_id   INTEGER NOT NULL,
  seq       INTEGER NOT NULL,
  pinned_by INTEGER NOT NULL,
  pinned_at INTEGER NOT NULL,
  pin_seq   INTEGER NOT NULL,
  PRIMARY KEY (room_id, seq),
  FOREIGN KEY (room_id, seq) REFERENCES events(room_id, seq) ON DELETE CASCADE
) STRICT;
)sql",
    // 16: avatars (docs/api.md "Avatars"): the profile names the current one by a random
    // id; its square JPEGs, one per size the client shows, are kept beside it.
    R"sql(
ALTER TABLE profiles ADD COLUMN avatar TEXT NOT NULL DEFAULT '';
CREATE TABLE avatar_images (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  size    INTEGER NOT NULL,
  jpeg    BLOB    NOT NULL,
  PRIMARY KEY (user_id, size)
) STRICT;
)sql",
    // 17: room settings as timeline events (kind settings: the events table is rebuilt to
    // admit it, as in step 8, with foreign keys off: see kRebuildsEvents), and the settings
    // of issue 15: archived (read-only) and who may post.
    R"sql(
CREATE TABLE events_v17 (
  room_id       INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  seq           INTEGER NOT NULL,
  event_id      TEXT    NOT NULL UNIQUE,
  kind          TEXT    NOT NULL CHECK (kind IN ('message', 'edit', 'delete', 'react', 'unreact',
                                                 'pin', 'unpin', 'settings')),
  sender        INTEGER NOT NULL REFERENCES users(id),
  client_msg_id TEXT    NOT NULL,
  reply_to      INTEGER NOT NULL,
  target        INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  edited_at     INTEGER NOT NULL DEFAULT 0,
  deleted       INTEGER NOT NULL DEFAULT 0,
  key_version   INTEGER NOT NULL,
  sealed_body   BLOB    NOT NULL,
  reactions     TEXT    NOT NULL DEFAULT '',
  thread_root   INTEGER NOT NULL DEFAULT 0,
  thread        TEXT    NOT NULL DEFAULT '',
  mentions      TEXT    NOT NULL DEFAULT '',
  mention_flags INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (room_id, seq)
) STRICT;
INSERT INTO events_v17(room_id, seq, event_id, kind, sender, client_msg_id, reply_to, target,
                       created_at, edited_at, deleted, key_version, sealed_body, reactions,
                       thread_root, thread, mentions, mention_flags)
  SELECT room_id, seq, event_id, kind, sender, client_msg_id, reply_to, target, created_at,
         edited_at, deleted, key_version, sealed_body, reactions, thread_root, thread, mentions,
         mention_flags FROM events;
DROP TABLE events;
ALTER TABLE events_v17 RENAME TO events;
CREATE UNIQUE INDEX events_idempotency ON events(room_id, sender, client_msg_id)
  WHERE kind = 'message';
CREATE INDEX events_by_thread ON events(room_id, thread_root, seq) WHERE thread_root <> 0;
ALTER TABLE rooms ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN post TEXT NOT NULL DEFAULT 'all' CHECK (post IN ('all', 'admins'));
)sql",
};

// Steps that rebuild a table other tables refer to. They run with foreign keys off (SQLite's
// documented way: with them on, dropping the old table would first delete its rows and
// cascade to reactions, pins and thread follows), which must be set outside a transaction;
// the step then checks every reference before it commits.
constexpr int kRebuildsEvents = 17;

int userVersion(Db& db) {
  Stmt st = db.prepare("PRAGMA user_version");
  return st.step() ? static_cast<int>(st.int64(0)) : 0;
}

void migrate(Db& db) {
  const int have = userVersion(db);
  const int want = schemaVersion();
  if (have > want) {
    throw SqliteError(makeError(Code::internal, "sqlite: schema version " + std::to_string(have) +
                                                    " is newer than this build's " +
                                                    std::to_string(want)));
  }
  for (int v = have; v < want; ++v) {
    const bool rebuild = v + 1 == kRebuildsEvents;
    if (rebuild) db.execScript("PRAGMA foreign_keys = OFF");
    db.execScript("BEGIN IMMEDIATE");
    try {
      db.execScript(kMigrations[static_cast<std::size_t>(v)]);
      if (rebuild && db.prepare("PRAGMA foreign_key_check").step()) {
        throw SqliteError(makeError(Code::internal, "sqlite: a rebuilt table lost a reference"));
      }
      db.execScript(("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
      db.execScript("COMMIT");
    } catch (...) {
      if (!db.autocommit()) sqlite3_exec(db.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
      if (rebuild) db.execScript("PRAGMA foreign_keys = ON");
      throw;
    }
    if (rebuild) db.execScript("PRAGMA foreign_keys = ON");
  }
}

}  // namespace

int schemaVersion() { return static_cast<int>(kMigrations.size()); }

Status prepareWriter(Db& db) {
  try {
    // synchronous=FULL: a commit (and so an ack) survives power loss, not just a crash.
    db.execScript(
        "PRAGMA journal_mode = WAL;"
        "PRAGMA synchronous = FULL;"
        "PRAGMA foreign_keys = ON;");
    migrate(db);
    return {};
  } catch (const SqliteError& e) {
    return e.error();
  }
}

}  // namespace parley::sqlite
