// Profiles and finding people (Store "profiles" methods).
#include "adapters/sqlite/ops.h"

namespace parley::sqlite::ops {

namespace {

// An account and its profile from `users u LEFT JOIN profiles p`; "" for fields never set.
constexpr const char* kProfileSelect =
    "SELECT u.id, u.username, coalesce(p.display_name, ''), coalesce(p.display_key, ''), "
    "coalesce(p.status_text, ''), coalesce(p.status_emoji, ''), coalesce(p.time_zone, ''), "
    "coalesce(p.updated_at, 0), coalesce(p.avatar, '') "
    "FROM users u LEFT JOIN profiles p ON p.user_id = u.id ";

Profile readProfile(const Stmt& st) {
  return Profile{.user_id = st.int64(0),
                 .username = st.text(1),
                 .display_name = st.text(2),
                 .display_key = st.text(3),
                 .status_text = st.text(4),
                 .status_emoji = st.text(5),
                 .time_zone = st.text(6),
                 .updated_at = st.int64(7),
                 .avatar = st.text(8)};
}

}  // namespace

Result<Profile> profileOf(Db& db, UserId id) {
  Stmt st = db.prepare(std::string(kProfileSelect) + "WHERE u.id = ?");
  st.bind(id);
  if (!st.step()) return makeError(Code::not_found, "user not found");
  return readProfile(st);
}

Status putProfile(Db& db, const Profile& p) {
  db.prepare(
        "INSERT INTO profiles(user_id, display_name, display_key, status_text, status_emoji, "
        "time_zone, updated_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 "
        "WHERE EXISTS (SELECT 1 FROM users WHERE id = ?1) "
        "ON CONFLICT(user_id) DO UPDATE SET display_name = excluded.display_name, "
        "display_key = excluded.display_key, status_text = excluded.status_text, "
        "status_emoji = excluded.status_emoji, time_zone = excluded.time_zone, "
        "updated_at = excluded.updated_at")
      .bind(p.user_id, p.display_name, p.display_key, p.status_text, p.status_emoji, p.time_zone,
            p.updated_at)
      .run();
  if (db.changes() == 0) return makeError(Code::not_found, "user not found");
  return {};
}

// Runs inside the write job's transaction: the profile row, the old images and the new.
Status setAvatar(Db& db, UserId user, const std::string& avatar_id,
                 const std::vector<AvatarImage>& images, Millis now) {
  db.prepare(
        "INSERT INTO profiles(user_id, avatar, updated_at) SELECT ?1, ?2, ?3 "
        "WHERE EXISTS (SELECT 1 FROM users WHERE id = ?1) "
        "ON CONFLICT(user_id) DO UPDATE SET avatar = excluded.avatar, "
        "updated_at = excluded.updated_at")
      .bind(user, avatar_id, now)
      .run();
  if (db.changes() == 0) return makeError(Code::not_found, "user not found");
  db.prepare("DELETE FROM avatar_images WHERE user_id = ?").bind(user).run();
  for (const auto& img : images) {
    db.prepare("INSERT INTO avatar_images(user_id, size, jpeg) VALUES (?, ?, ?)")
        .bind(user, img.size, Blob{img.jpeg})
        .run();
  }
  return {};
}

Result<std::string> avatarImage(Db& db, UserId user, int size) {
  Stmt st = db.prepare("SELECT jpeg FROM avatar_images WHERE user_id = ? AND size = ?");
  st.bind(user, size);
  if (!st.step()) return makeError(Code::not_found, "no avatar");
  return st.blob(0);
}

Result<bool> shareRoom(Db& db, UserId a, UserId b) {
  Stmt st = db.prepare(
      "SELECT EXISTS (SELECT 1 FROM members x JOIN members y ON y.room_id = x.room_id "
      "WHERE x.user_id = ? AND y.user_id = ?)");
  st.bind(a, b);
  return st.step() && st.boolean(0);
}

// substr/length count characters on TEXT, as left/length do in PostgreSQL.
Result<std::vector<Profile>> findPeople(Db& db, const PeopleQuery& q) {
  Stmt st = db.prepare(std::string(kProfileSelect) +
                       "WHERE u.disabled = 0 AND u.username_lower > ?1 "
                       "AND (?2 = '' OR substr(u.username_lower, 1, length(?2)) = ?2 "
                       "OR substr(p.display_key, 1, length(?2)) = ?2) "
                       "AND (?3 = 0 OR u.id IN (SELECT o.user_id FROM members mine "
                       "JOIN members o ON o.room_id = mine.room_id WHERE mine.user_id = ?3)) "
                       "ORDER BY u.username_lower LIMIT ?4");
  st.bind(q.after, q.prefix, q.shared_with, q.limit);
  std::vector<Profile> out;
  while (st.step()) out.push_back(readProfile(st));
  return out;
}

}  // namespace parley::sqlite::ops
