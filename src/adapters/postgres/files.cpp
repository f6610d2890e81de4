#include <algorithm>

#include "adapters/postgres/ops.h"

namespace parley::postgres::ops {

namespace {

constexpr const char* kFileSelect =
    "SELECT id, room_id, uploader, sealed_name, size, mime, image_width, image_height, "
    "thumb_size, key_version, created_at, message_seq FROM attachments ";

FileRecord readFile(const PgResult& r, int row) {
  return FileRecord{.id = r.text(row, 0),
                    .room_id = r.int64(row, 1),
                    .uploader = r.int64(row, 2),
                    .sealed_name = r.text(row, 3),
                    .size = static_cast<std::uint64_t>(r.int64(row, 4)),
                    .mime = r.text(row, 5),
                    .image_width = static_cast<int>(r.int64(row, 6)),
                    .image_height = static_cast<int>(r.int64(row, 7)),
                    .thumb_size = static_cast<std::uint64_t>(r.int64(row, 8)),
                    .key_version = static_cast<std::uint32_t>(r.int64(row, 9)),
                    .created_at = r.int64(row, 10),
                    .message_seq = r.isNull(row, 11) ? 0 : r.int64(row, 11)};
}

std::vector<FileRecord> readFiles(const PgResult& r) {
  std::vector<FileRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(readFile(r, i));
  return out;
}

}  // namespace

Task<Status> createFile(PgConn& c, const FileRecord& f) {
  const Params p(f.id, f.room_id, f.uploader, Bytes{f.sealed_name},
                 static_cast<std::int64_t>(f.size), f.mime, f.image_width, f.image_height,
                 static_cast<std::int64_t>(f.thumb_size), f.key_version, f.created_at);
  // A clash on the id is conflict, a missing room or user not_found (errorFrom).
  auto r = co_await c.query(
      "INSERT INTO attachments(id, room_id, uploader, sealed_name, size, mime, image_width, "
      "image_height, thumb_size, key_version, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
      p);
  if (!r) co_return r.error();
  co_return Status{};
}

Task<Result<FileRecord>> fileById(PgConn& c, const std::string& id) {
  static const std::string sql = std::string(kFileSelect) + "WHERE id = $1";
  const Params p(id);
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return makeError(Code::not_found, "no such file");
  co_return readFile(*r, 0);
}

Task<Result<std::vector<FileRecord>>> filesOfMessage(PgConn& c, RoomId room, Seq seq) {
  static const std::string sql =
      std::string(kFileSelect) + "WHERE room_id = $1 AND message_seq = $2 ORDER BY id";
  const Params p(room, seq);
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  co_return readFiles(*r);
}

Task<Result<std::vector<FileRecord>>> unattachedFiles(PgConn& c, Millis before, int limit) {
  static const std::string sql =
      std::string(kFileSelect) +
      "WHERE message_seq IS NULL AND created_at < $1 ORDER BY created_at, id LIMIT $2";
  const Params p(before, std::max(limit, 0));
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  co_return readFiles(*r);
}

Task<Status> deleteUnattachedFile(PgConn& c, const std::string& id) {
  const Params p(id);
  auto r = co_await c.query("DELETE FROM attachments WHERE id = $1 AND message_seq IS NULL", p);
  if (!r) co_return r.error();
  if (r->affected() == 0) co_return makeError(Code::not_found, "no unattached file with this id");
  co_return Status{};
}

Task<Result<UploadUsage>> unattachedUsage(PgConn& c, UserId uploader) {
  const Params p(uploader);
  auto r = co_await c.query(
      "SELECT count(*), coalesce(sum(size), 0)::bigint FROM attachments "
      "WHERE uploader = $1 AND message_seq IS NULL",
      p);
  if (!r) co_return r.error();
  co_return UploadUsage{static_cast<std::uint64_t>(r->int64(0, 0)),
                        static_cast<std::uint64_t>(r->int64(0, 1))};
}

Task<Result<std::vector<FileRecord>>> takeRoomFiles(PgConn& c, RoomId room, int limit) {
  static const std::string sql =
      "DELETE FROM attachments WHERE id IN (SELECT id FROM attachments WHERE room_id = $1 AND "
      "EXISTS (SELECT 1 FROM rooms WHERE id = $1 AND deleted_at IS NOT NULL) ORDER BY id "
      "LIMIT $2) RETURNING id, room_id, uploader, sealed_name, size, mime, image_width, "
      "image_height, thumb_size, key_version, created_at, message_seq";
  const Params p(room, std::max(limit, 0));
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  co_return readFiles(*r);
}

}  // namespace parley::postgres::ops
