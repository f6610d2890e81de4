#include <algorithm>
#include <set>

#include "adapters/sqlite/ops.h"

namespace parley::sqlite::ops {

namespace {

constexpr const char* kFileColumns =
    "id, room_id, uploader, sealed_name, size, mime, image_width, image_height, thumb_size, "
    "key_version, created_at, message_seq";

std::string fileSelect(const char* where) {
  return std::string("SELECT ") + kFileColumns + " FROM attachments " + where;
}

FileRecord readFile(const Stmt& st) {
  return FileRecord{.id = st.text(0),
                    .room_id = st.int64(1),
                    .uploader = st.int64(2),
                    .sealed_name = st.blob(3),
                    .size = static_cast<std::uint64_t>(st.int64(4)),
                    .mime = st.text(5),
                    .image_width = static_cast<int>(st.int64(6)),
                    .image_height = static_cast<int>(st.int64(7)),
                    .thumb_size = static_cast<std::uint64_t>(st.int64(8)),
                    .key_version = static_cast<std::uint32_t>(st.int64(9)),
                    .created_at = st.int64(10),
                    .message_seq = st.int64(11)};  // NULL reads as 0: unattached
}

std::vector<FileRecord> readFiles(Stmt& st) {
  std::vector<FileRecord> out;
  while (st.step()) out.push_back(readFile(st));
  return out;
}

}  // namespace

Status createFile(Db& db, const FileRecord& f) {
  if (!db.prepare("SELECT 1 FROM rooms WHERE id = ?").bind(f.room_id).step() ||
      !db.prepare("SELECT 1 FROM users WHERE id = ?").bind(f.uploader).step()) {
    return makeError(Code::not_found, "no such room or uploader");
  }
  if (db.prepare("SELECT 1 FROM attachments WHERE id = ?").bind(f.id).step()) {
    return makeError(Code::conflict, "a file with this id exists");
  }
  db.prepare(
        "INSERT INTO attachments(id, room_id, uploader, sealed_name, size, mime, image_width, "
        "image_height, thumb_size, key_version, created_at, message_seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)")
      .bind(f.id, f.room_id, f.uploader, Blob{f.sealed_name}, static_cast<std::int64_t>(f.size),
            f.mime, f.image_width, f.image_height, static_cast<std::int64_t>(f.thumb_size),
            f.key_version, f.created_at)
      .run();
  return {};
}

Result<FileRecord> fileById(Db& db, const std::string& id) {
  Stmt st = db.prepare(fileSelect("WHERE id = ?"));
  if (!st.bind(id).step()) return makeError(Code::not_found, "no such file");
  return readFile(st);
}

Result<std::vector<FileRecord>> filesOfMessage(Db& db, RoomId room, Seq seq) {
  Stmt st = db.prepare(fileSelect("WHERE room_id = ? AND message_seq = ? ORDER BY id"));
  st.bind(room, seq);
  return readFiles(st);
}

Result<std::vector<FileRecord>> unattachedFiles(Db& db, Millis before, int limit) {
  Stmt st = db.prepare(
      fileSelect("WHERE message_seq IS NULL AND created_at < ? ORDER BY created_at, id LIMIT ?"));
  st.bind(before, std::max(limit, 0));
  return readFiles(st);
}

Status deleteUnattachedFile(Db& db, const std::string& id) {
  db.prepare("DELETE FROM attachments WHERE id = ? AND message_seq IS NULL").bind(id).run();
  if (db.changes() == 0) return makeError(Code::not_found, "no unattached file with this id");
  return {};
}

Result<UploadUsage> unattachedUsage(Db& db, UserId uploader) {
  Stmt st = db.prepare(
      "SELECT count(*), coalesce(sum(size), 0) FROM attachments "
      "WHERE uploader = ? AND message_seq IS NULL");
  st.bind(uploader).step();
  return UploadUsage{static_cast<std::uint64_t>(st.int64(0)),
                     static_cast<std::uint64_t>(st.int64(1))};
}

Status attachFiles(Db& db, RoomId room, UserId sender, const std::vector<std::string>& ids,
                   Seq seq) {
  if (std::set<std::string>(ids.begin(), ids.end()).size() != ids.size()) {
    return makeError(Code::invalid_file, "a file is named twice");
  }
  for (const auto& id : ids) {
    Stmt st = db.prepare(
        "SELECT 1 FROM attachments "
        "WHERE id = ? AND room_id = ? AND uploader = ? AND message_seq IS NULL");
    if (!st.bind(id, room, sender).step()) {
      return makeError(Code::invalid_file, "not an unattached upload of yours in this room");
    }
  }
  for (const auto& id : ids) {
    db.prepare("UPDATE attachments SET message_seq = ? WHERE id = ?").bind(seq, id).run();
  }
  return {};
}

void deleteFilesOf(Db& db, RoomId room, Seq seq) {
  db.prepare("DELETE FROM attachments WHERE room_id = ? AND message_seq = ?").bind(room, seq).run();
}

std::vector<FileRecord> takeRoomFiles(Db& db, RoomId room, int limit) {
  Stmt st = db.prepare(fileSelect("WHERE room_id = ? ORDER BY id LIMIT ?"));
  st.bind(room, std::max(limit, 0));
  std::vector<FileRecord> files = readFiles(st);
  for (const auto& f : files) db.prepare("DELETE FROM attachments WHERE id = ?").bind(f.id).step();
  return files;
}

}  // namespace parley::sqlite::ops
