// Profiles and finding people (Store "profiles" methods).
#include "adapters/postgres/ops.h"

namespace parley::postgres::ops {

namespace {

// An account and its profile from `users u LEFT JOIN profiles p`; "" for fields never set.
constexpr const char* kProfileSelect =
    "SELECT u.id, u.username, coalesce(p.display_name, ''), coalesce(p.display_key, ''), "
    "coalesce(p.status_text, ''), coalesce(p.status_emoji, ''), coalesce(p.time_zone, ''), "
    "coalesce(p.updated_at, 0), coalesce(p.avatar, '') "
    "FROM users u LEFT JOIN profiles p ON p.user_id = u.id ";

Profile readProfile(const PgResult& r, int row) {
  return Profile{.user_id = r.int64(row, 0),
                 .username = r.text(row, 1),
                 .display_name = r.text(row, 2),
                 .display_key = r.text(row, 3),
                 .status_text = r.text(row, 4),
                 .status_emoji = r.text(row, 5),
                 .time_zone = r.text(row, 6),
                 .updated_at = r.int64(row, 7),
                 .avatar = r.text(row, 8)};
}

}  // namespace

Task<Result<Profile>> profileOf(PgConn& c, UserId id) {
  static const std::string sql = std::string(kProfileSelect) + "WHERE u.id = $1";
  const Params p(id);
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return makeError(Code::not_found, "user not found");
  co_return readProfile(*r, 0);
}

Task<Status> putProfile(PgConn& c, const Profile& prof) {
  const Params p(prof.user_id, prof.display_name, prof.display_key, prof.status_text,
                 prof.status_emoji, prof.time_zone, prof.updated_at);
  auto r = co_await c.query(
      "INSERT INTO profiles(user_id, display_name, display_key, status_text, status_emoji, "
      "time_zone, updated_at) SELECT $1, $2, $3, $4, $5, $6, $7 "
      "WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) "
      "ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name, "
      "display_key = excluded.display_key, status_text = excluded.status_text, "
      "status_emoji = excluded.status_emoji, time_zone = excluded.time_zone, "
      "updated_at = excluded.updated_at",
      p);
  if (!r) co_return r.error();
  if (r->affected() == 0) co_return makeError(Code::not_found, "user not found");
  co_return Status{};
}

// One pipeline, so one transaction: the profile row, the old images and the new.
Task<Status> setAvatar(PgConn& c, UserId user, const std::string& avatar_id,
                       const std::vector<AvatarImage>& images, Millis now) {
  std::vector<Statement> st;
  st.push_back(
      {"INSERT INTO profiles(user_id, avatar, updated_at) SELECT $1, $2, $3 "
       "WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) "
       "ON CONFLICT (user_id) DO UPDATE SET avatar = excluded.avatar, "
       "updated_at = excluded.updated_at",
       Params(user, avatar_id, now)});
  st.push_back({"DELETE FROM avatar_images WHERE user_id = $1", Params(user)});
  for (const auto& img : images) {
    st.push_back({"INSERT INTO avatar_images(user_id, size, jpeg) VALUES ($1, $2, $3)",
                  Params(user, img.size, Bytes{img.jpeg})});
  }
  auto r = co_await c.pipeline(st);
  if (!r) co_return r.error();
  if ((*r)[0].affected() == 0) co_return makeError(Code::not_found, "user not found");
  co_return Status{};
}

Task<Result<std::string>> avatarImage(PgConn& c, UserId user, int size) {
  const Params p(user, size);
  auto r = co_await c.query("SELECT jpeg FROM avatar_images WHERE user_id = $1 AND size = $2", p);
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return makeError(Code::not_found, "no avatar");
  co_return r->text(0, 0);
}

Task<Result<bool>> shareRoom(PgConn& c, UserId a, UserId b) {
  const Params p(a, b);
  auto r = co_await c.query(
      "SELECT EXISTS (SELECT 1 FROM members x JOIN members y ON y.room_id = x.room_id "
      "WHERE x.user_id = $1 AND y.user_id = $2)",
      p);
  if (!r) co_return r.error();
  co_return r->rows() > 0 && r->boolean(0, 0);
}

// COLLATE "C": byte order, as SQLite compares, so both Stores page alike.
Task<Result<std::vector<Profile>>> findPeople(PgConn& c, const PeopleQuery& q) {
  static const std::string sql =
      std::string(kProfileSelect) +
      "WHERE NOT u.disabled AND u.username_lower COLLATE \"C\" > $1::text "
      "AND ($2::text = '' OR left(u.username_lower, length($2::text)) = $2::text "
      "OR left(p.display_key, length($2::text)) = $2::text) "
      "AND ($3::bigint = 0 OR u.id IN (SELECT o.user_id FROM members mine "
      "JOIN members o ON o.room_id = mine.room_id WHERE mine.user_id = $3::bigint)) "
      "ORDER BY u.username_lower COLLATE \"C\" LIMIT $4::bigint";
  const Params p(q.after, q.prefix, q.shared_with, static_cast<std::int64_t>(q.limit));
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  std::vector<Profile> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(readProfile(*r, i));
  co_return out;
}

}  // namespace parley::postgres::ops
