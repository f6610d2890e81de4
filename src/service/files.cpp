#include "service/files.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>

#include "core/log.h"
#include "core/metrics.h"
#include "crypto/random.h"
#include "crypto/sealer.h"
#include "crypto/secret_bytes.h"
#include "service/hidden_room.h"
#include "service/sealing_source.h"

namespace parley {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kBlobPrefix = "files/";
constexpr std::size_t kFileIdBytes = 16;  // 128 random bits
constexpr std::size_t kFileIdChars = 22;  // as base64url without padding
constexpr int kSweepBatch = 100;
// Orphan blobs are looked for this much later than unattached rows, so that an upload whose
// blob is complete but whose row is still being written (thumbnail, Store) is never taken
// for an orphan even with a tiny --upload-ttl.
constexpr Millis kOrphanGraceMs = 60 * 1000;

std::string fileNameAd(RoomId room, std::string_view file_id, std::uint32_t version) {
  return fmt::format("parley/file-name/v1|{}|{}|{}", room, file_id, version);
}

std::string thumbnailSealId(std::string_view file_id) { return std::string(file_id) + ".thumb"; }

bool isFileId(std::string_view id) {
  if (id.size() != kFileIdChars) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF): names go back
// out in JSON, which must be valid UTF-8.
bool validUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;  // continuation bytes
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    const std::uint32_t min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

Error integrityFailure(const OpenedFile& f) {
  metrics().file_integrity_failures.inc();
  log::error(
      "file_integrity_failure",
      {{"file", f.view.record.id}, {"room", f.view.record.room_id}, {"thumbnail", f.thumbnail}});
  return makeError(Code::internal, "integrity");
}

std::string sealWhole(std::string_view key, const crypto::FileSealContext& ctx,
                      std::string_view plain) {
  crypto::ChunkSealer sealer(key, ctx);
  std::string out = sealer.update(plain);
  out += sealer.finish();
  return out;
}

}  // namespace

// --- FileReader ---

FileReader::FileReader(BlobStore& blobs, OpenedFile file, std::uint64_t offset,
                       std::uint64_t length)
    : blobs_(blobs), file_(std::move(file)), pos_(offset), end_(offset + length) {}

Task<Result<std::string>> FileReader::next() {
  if (pos_ >= end_) co_return std::string();
  // Pieces end on kReadPieceBytes boundaries, so each read is whole chunks.
  const std::uint64_t piece_end = std::min(end_, (pos_ / kReadPieceBytes + 1) * kReadPieceBytes);
  auto span = crypto::chunkSpanFor(file_.size, pos_, piece_end - pos_);
  if (!span) co_return span.error();
  auto stored = co_await blobs_.read(file_.blob_key, span->stored_offset, span->stored_length);
  if (!stored) {
    // A file row whose blob is gone or shorter than its size is damage, like a bad tag.
    if (stored.error().code == Code::not_found) co_return integrityFailure(file_);
    co_return stored.error();
  }
  auto plain = crypto::openSpan(file_.key, file_.seal, file_.size, *span, *stored);
  if (!plain) co_return integrityFailure(file_);
  pos_ = piece_end;
  co_return std::move(*plain);
}

// --- FilesService ---

FilesService::FilesService(Store& store, BlobStore& blobs, RoomKeys& keys, Cache& cache,
                           const Clock& clock, const FileLimits& limits, FileInspector inspector)
    : store_(store),
      blobs_(blobs),
      keys_(keys),
      clock_(clock),
      limits_(limits),
      inspector_(std::move(inspector)),
      gate_(store, cache, clock, limits),
      thumbnails_(limits.thumbnail_threads, limits.thumbnail_queue_per_user) {}

FilesService::~FilesService() = default;

std::string FilesService::blobKeyOf(std::string_view id, bool thumbnail) {
  std::string key(kBlobPrefix);
  key += id;
  if (thumbnail) key += ".thumb";
  return key;
}

Task<Result<FileInspector::Thumbnail>> FilesService::thumbnailFor(UserId who, std::string image) {
  using R = Result<FileInspector::Thumbnail>;
  // Shared by the upload (waiting on the timer) and the job; the result is set, and the
  // timer cancelled, on the upload's executor.
  struct Wait {
    explicit Wait(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    std::atomic<bool> abandoned{false};
    std::optional<R> result;
  };
  auto wait = std::make_shared<Wait>(co_await asio::this_coro::executor);
  auto job = [this, wait, img = std::move(image)]() mutable {
    // Past its wait the upload was answered without a thumbnail: nothing to make.
    if (wait->abandoned.load()) {
      crypto::wipe(img);
      return;
    }
    R r = inspector_.thumbnail(img);
    crypto::wipe(img);
    auto ex = wait->timer.get_executor();
    asio::post(ex, [wait = std::move(wait), r = std::move(r)]() mutable {
      wait->result = std::move(r);
      wait->timer.cancel();
    });
  };
  if (!thumbnails_.submit(who, std::move(job))) {
    metrics().thumbnails_late.inc();
    co_return makeError(Code::busy, "thumbnail_queue_full");
  }
  wait->timer.expires_after(std::chrono::milliseconds(limits_.thumbnail_wait_ms));
  if (!wait->result) co_await wait->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!wait->result) {
    wait->abandoned = true;
    metrics().thumbnails_late.inc();
    co_return makeError(Code::busy, "thumbnail_late");
  }
  co_return std::move(*wait->result);
}

Task<void> FilesService::storeThumbnail(FileRecord& rec, const std::string& key,
                                        std::string image) {
  auto thumb = co_await thumbnailFor(rec.uploader, std::move(image));
  if (!thumb) {
    if (thumb.error().code != Code::busy) metrics().thumbnails_refused.inc();
    log::info("thumbnail_refused", {{"file", rec.id}, {"reason", thumb.error().message}});
    co_return;
  }
  StringBlobSource sealed_thumb(
      sealWhole(key, {thumbnailSealId(rec.id), rec.key_version}, thumb->jpeg));
  std::string thumb_key = blobKeyOf(rec.id, true);
  auto stored = co_await blobs_.put(std::move(thumb_key), sealed_thumb);
  if (stored) {
    rec.thumb_size = thumb->jpeg.size();
    rec.image_width = thumb->source_width;
    rec.image_height = thumb->source_height;
  }
}

Task<Result<FileView>> FilesService::upload(UploadTicket& ticket, const User& who, RoomId room,
                                            std::string name, BlobSource& body) {
  auto out = co_await uploadCounted(ticket, who, room, std::move(name), body);
  co_await ticket.settle(out.has_value());
  co_return out;
}

Task<Result<FileView>> FilesService::uploadCounted(UploadTicket& ticket, const User& who,
                                                   RoomId room, std::string name,
                                                   BlobSource& body) {
  if (name.empty() || name.size() > limits_.max_name_bytes || !validUtf8(name)) {
    co_return makeError(Code::bad_request, "name must be 1 to 255 bytes of UTF-8");
  }
  auto member = co_await store_.member(room, who.id);
  if (!member) {
    if (member.error().code == Code::not_found) co_return noSuchRoom();
    co_return member.error();
  }
  auto key = co_await keys_.current(room);
  if (!key) co_return key.error();

  FileRecord rec;
  rec.id = crypto::base64url(crypto::randomBytes(kFileIdBytes));
  rec.room_id = room;
  rec.uploader = who.id;
  rec.key_version = key->version;
  crypto::ChunkSealer sealer(key->key, {rec.id, key->version});
  SealingSource source(body, ticket, sealer, limits_, inspector_, thumbnail_bytes_);
  const std::string blob_key = blobKeyOf(rec.id, false);
  const std::string thumb_key = blobKeyOf(rec.id, true);
  std::string put_key = blob_key;
  auto put = co_await blobs_.put(std::move(put_key), source);
  if (!put || source.failure()) {
    std::string remove_key = blob_key;
    co_await blobs_.remove(std::move(remove_key));  // a failed put leaves nothing; be sure
    metrics().upload_failures.inc();
    if (source.failure()) co_return *source.failure();
    log::warn("upload_store_failed", {{"error", put.error().message}});
    co_return makeError(Code::unavailable, "the file store is unavailable");
  }
  rec.size = source.total();
  rec.mime = source.mime();

  if (auto image = source.takeImage()) co_await storeThumbnail(rec, key->key, std::move(*image));

  std::string plain_name = name;
  rec.sealed_name = crypto::seal(key->key, fileNameAd(room, rec.id, key->version), plain_name);
  rec.created_at = clock_.now();
  FileRecord row = rec;
  auto created = co_await store_.createFile(std::move(row));
  if (!created) {
    std::string k1 = blob_key, k2 = thumb_key;
    co_await blobs_.remove(std::move(k1));
    co_await blobs_.remove(std::move(k2));
    metrics().upload_failures.inc();
    co_return created.error();
  }
  metrics().uploads.inc();
  metrics().upload_bytes.inc(rec.size);
  rec.sealed_name.clear();
  co_return FileView{std::move(rec), std::move(name)};
}

Task<Result<FileView>> FilesService::view(FileRecord r) {
  auto key = co_await keys_.byVersion(r.room_id, r.key_version);
  if (!key) co_return key.error();
  auto name = crypto::open(key->key, fileNameAd(r.room_id, r.id, r.key_version), r.sealed_name);
  if (!name) co_return name.error();
  r.sealed_name.clear();
  co_return FileView{std::move(r), std::move(*name)};
}

Task<Result<OpenedFile>> FilesService::open(UserId who, RoomId room, std::string id,
                                            bool thumbnail) {
  Error hidden = makeError(Code::not_found, "no such file");
  if (!isFileId(id)) co_return hidden;
  auto rec = co_await store_.fileById(id);
  if (!rec) co_return rec.error().code == Code::not_found ? hidden : rec.error();
  if (rec->room_id != room) co_return hidden;
  auto member = co_await store_.member(room, who);
  if (!member) co_return member.error().code == Code::not_found ? hidden : member.error();
  if (rec->message_seq == 0 && rec->uploader != who) co_return hidden;
  if (thumbnail && rec->thumb_size == 0) co_return makeError(Code::not_found, "no thumbnail");
  auto key = co_await keys_.byVersion(room, rec->key_version);
  if (!key) co_return key.error();
  auto v = co_await view(std::move(*rec));
  if (!v) co_return v.error();
  OpenedFile f;
  f.thumbnail = thumbnail;
  f.size = thumbnail ? v->record.thumb_size : v->record.size;
  f.blob_key = blobKeyOf(v->record.id, thumbnail);
  f.key = std::move(key->key);
  f.seal = {thumbnail ? thumbnailSealId(v->record.id) : v->record.id, v->record.key_version};
  f.view = std::move(*v);
  co_return f;
}

Task<Result<std::optional<std::vector<FileView>>>> FilesService::forMessage(
    UserId sender, RoomId room, std::vector<std::string> ids) {
  using Out = std::optional<std::vector<FileView>>;
  if (ids.size() > limits_.max_files_per_message) {
    co_return makeError(Code::bad_request, "a message takes at most 10 files");
  }
  std::vector<FileView> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!isFileId(ids[i])) co_return Out();
    for (std::size_t j = 0; j < i; ++j) {
      if (ids[j] == ids[i]) co_return Out();
    }
    auto rec = co_await store_.fileById(ids[i]);
    if (!rec && rec.error().code != Code::not_found) co_return rec.error();
    if (!rec || rec->room_id != room || rec->uploader != sender || rec->message_seq != 0) {
      co_return Out();
    }
    auto v = co_await view(std::move(*rec));
    if (!v) co_return v.error();
    out.push_back(std::move(*v));
  }
  co_return Out(std::move(out));
}

Task<void> FilesService::removeBlobs(std::vector<FileRecord> files) {
  for (const auto& f : files) {
    for (bool thumb : {false, true}) {
      if (thumb && f.thumb_size == 0) continue;
      std::string key = blobKeyOf(f.id, thumb);
      auto done = co_await blobs_.remove(std::move(key));
      if (!done)
        log::warn("file_blob_remove_failed", {{"file", f.id}, {"error", done.error().message}});
    }
  }
}

Task<Result<FilesService::SweepResult>> FilesService::sweep() {
  SweepResult result;
  const Millis cutoff = clock_.now() - limits_.upload_ttl_ms;
  for (;;) {
    auto batch = co_await store_.unattachedFiles(cutoff, kSweepBatch);
    if (!batch) co_return batch.error();
    for (auto& f : *batch) {
      std::string id = f.id;
      auto gone = co_await store_.deleteUnattachedFile(std::move(id));
      if (!gone) continue;  // attached meanwhile
      std::vector<FileRecord> one{f};
      co_await removeBlobs(std::move(one));
      ++result.files;
    }
    if (static_cast<int>(batch->size()) < kSweepBatch) break;
  }

  // Blobs with no row: uploads whose row never committed, or removals that failed.
  std::string after;
  for (;;) {
    std::string prefix(kBlobPrefix);
    std::string start = after;
    auto blobs = co_await blobs_.listOlderThan(std::move(prefix), cutoff - kOrphanGraceMs,
                                               kSweepBatch, std::move(start));
    if (!blobs) co_return blobs.error();
    for (const auto& b : *blobs) {
      after = b.key;
      std::string id = b.key.substr(kBlobPrefix.size());
      id = id.substr(0, id.find('.'));
      auto rec = co_await store_.fileById(id);
      if (rec || rec.error().code != Code::not_found) continue;
      std::string key = b.key;
      auto done = co_await blobs_.remove(std::move(key));
      if (done) ++result.blobs;
    }
    if (static_cast<int>(blobs->size()) < kSweepBatch) break;
  }
  if (result.files + result.blobs > 0) {
    log::info("files_swept", {{"files", result.files}, {"blobs", result.blobs}});
  }
  co_return result;
}

}  // namespace parley
