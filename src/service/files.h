// Use cases of files (attachments): upload, authorised download by range, the files a
// message attaches, removal with their message, and the sweep of uploads never attached.
//
// Contents are sealed in 64 KiB chunks (crypto/chunked.h) under the room's current data
// key as they stream in, and written to the BlobStore as they are sealed: a file is never
// held whole in memory, and neither the BlobStore nor the Store sees a plaintext byte or
// name (DESIGN.md invariant 5). Every read checks, at that moment, that the caller is a
// member of the room and, before the file is attached, its uploader (invariant 6); anyone
// else gets not_found, as for an id that does not exist.
//
// Blob keys are made here from the file id ("files/<id>", "files/<id>.thumb") and never
// taken from a client. Thread-safe; thumbnails are made on the service's own worker
// threads, never on the caller's (I/O) thread, taken fairly between users
// (thumbnail_queue.h), and an upload waits for its own thumbnail at most
// thumbnail_wait_ms: past it the file is kept without one.
//
// Every upload is admitted first (admit(), upload_gate.h): in-flight caps, the upload rate
// and the quotas are checked before its body is read.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "crypto/chunked.h"
#include "ports/blob_store.h"
#include "ports/cache.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "service/event.h"
#include "service/room_keys.h"
#include "service/thumbnail_queue.h"
#include "service/upload_gate.h"

namespace parley {

struct FileLimits {
  std::uint64_t max_upload = 100ull * 1024 * 1024;  // plaintext bytes (--max-upload)
  Millis upload_ttl_ms = 24LL * 3600 * 1000;        // unattached uploads live this long
  std::size_t max_name_bytes = 255;
  std::size_t max_files_per_message = 10;
  std::uint64_t max_thumbnail_input = 32u << 20;  // larger images get no thumbnail
  // Image bytes held for thumbnails by all uploads in flight together. Many concurrent image
  // uploads cannot exhaust memory: an image that does not fit gets no thumbnail.
  std::uint64_t thumbnail_memory = 128u << 20;
  int thumbnail_threads = 1;
  int thumbnail_queue_per_user = 2;  // thumbnail jobs queued or running per user
  Millis thumbnail_wait_ms = 5000;   // an upload's answer waits this long for its thumbnail

  // Per user (docs/operations.md, "Upload limits"); 0 turns a limit off.
  std::uint64_t max_unattached_bytes = 1ull << 30;  // bytes of unattached uploads
  std::uint64_t max_unattached_files = 100;         // unattached uploads
  std::uint64_t max_bytes_per_day = 2ull << 30;     // bytes uploaded per UTC day
  int uploads_per_minute = 30;
  int max_in_flight_per_user = 4;  // uploads whose body is being read, per user, per node
  int max_in_flight = 256;         // and in total on one node
  // A body must arrive at min_upload_rate bytes/s on average, after a grace period: by
  // time t after its headers, (t - grace) × rate bytes; slower ones are cut (408).
  std::uint64_t min_upload_rate = 16 * 1024;
  Millis upload_grace_ms = 10'000;
};

// How an upload's bytes are looked at: its type, and a thumbnail of an image. The node
// wires src/media in (media_inspector.h); without one every file is
// application/octet-stream with no thumbnail.
struct FileInspector {
  struct Thumbnail {
    std::string jpeg;
    int source_width = 0;
    int source_height = 0;
  };
  std::size_t sniff_bytes = 64 * 1024;  // how much of the start detect_mime is given
  std::function<std::string(std::string_view head)> detect_mime;
  std::function<bool(std::string_view mime)> thumbnailable;
  // CPU-bound; called on the service's worker threads. Errors mean "no thumbnail".
  std::function<Result<Thumbnail>(std::string_view image)> thumbnail;
  // The centre square of an image as a JPEG `edge` pixels wide (avatars); as `thumbnail`.
  std::function<Result<std::string>(std::string_view image, int edge)> square;
};

// A file opened for reading: what to serve and how to open its chunks.
struct OpenedFile {
  FileView view;
  bool thumbnail = false;  // serving the thumbnail (image/jpeg) rather than the file
  std::uint64_t size = 0;  // plaintext bytes of what is served
  std::string blob_key;
  std::string key;  // the room's data key of the file's version
  crypto::FileSealContext seal;
};

// Yields the plaintext of [offset, offset + length) of an opened file in pieces of at most
// kReadPieceBytes, reading and opening only the chunks that hold it. Used by one coroutine
// at a time; the BlobStore must outlive it.
class FileReader {
 public:
  static constexpr std::uint64_t kReadPieceBytes = 16 * crypto::kFileChunkBytes;

  FileReader(BlobStore& blobs, OpenedFile file, std::uint64_t offset, std::uint64_t length);
  // The next piece; empty once everything was returned. Code::internal "integrity" when a
  // stored chunk fails authentication (nothing of that piece is returned), Code::unavailable
  // when the BlobStore fails.
  Task<Result<std::string>> next();
  std::uint64_t remaining() const { return end_ - pos_; }

 private:
  BlobStore& blobs_;
  OpenedFile file_;
  std::uint64_t pos_;
  std::uint64_t end_;
};

class FilesService {
 public:
  // `limits` is read on every call (it must outlive the service).
  FilesService(Store& store, BlobStore& blobs, RoomKeys& keys, Cache& cache, const Clock& clock,
               const FileLimits& limits, FileInspector inspector = {});
  ~FilesService();

  // Before the body: may `who` start an upload of `declared` bytes (nullopt: unknown)?
  // The ticket holds the upload's place until destroyed. Errors: UploadGate::admit.
  Task<Result<UploadTicket>> admit(UserId who, std::optional<std::uint64_t> declared) {
    return gate_.admit(who, declared);
  }

  // Streams `body` into a new unattached file of `room`, counting it on `ticket` (from
  // admit). bad_request for a bad name, not_found unless `who` is a member,
  // payload_too_large once the body passes max_upload or a quota (nothing is kept),
  // unavailable when the BlobStore or Store fails; a `body` error is returned as it is.
  Task<Result<FileView>> upload(UploadTicket& ticket, const User& who, RoomId room,
                                std::string name, BlobSource& body);

  // The file (or its thumbnail) if `who` may read it now; not_found otherwise.
  Task<Result<OpenedFile>> open(UserId who, RoomId room, std::string id, bool thumbnail);

  // A reader of [offset, offset + length) of a file open() gave.
  FileReader reader(OpenedFile f, std::uint64_t offset, std::uint64_t length) {
    return FileReader(blobs_, std::move(f), offset, length);
  }

  // For a send: the files named, if every one is an unattached upload of `sender` in
  // `room`; nullopt if any is not (the Store then refuses the append, or finds it a retry).
  // bad_request for more than max_files_per_message.
  Task<Result<std::optional<std::vector<FileView>>>> forMessage(UserId sender, RoomId room,
                                                                std::vector<std::string> ids);

  // files_avatar.cpp: an avatar made of `who`'s own upload `id` in `room` (a room `who` is
  // a member of now; attached or not): the centre square of the image as one JPEG per
  // edge in `edges`, made on the thumbnail workers. invalid_profile (one message for a file
  // that does not exist, is someone else's or is in a room `who` is not in) unless it is an
  // image the inspector reads within the image limits and at most `max_bytes` long;
  // busy when the thumbnail queue is full or too slow.
  Task<Result<std::vector<std::string>>> avatarImages(UserId who, RoomId room, std::string id,
                                                      std::vector<int> edges,
                                                      std::uint64_t max_bytes);

  // Removes the blobs of files whose rows are gone (a deleted message's). Best effort: a
  // blob that stays is an orphan, which sweep() removes later.
  Task<void> removeBlobs(std::vector<FileRecord> files);

  struct SweepResult {
    int files = 0;  // unattached uploads removed
    int blobs = 0;  // orphan blobs removed
  };
  // Removes uploads unattached for longer than upload_ttl, and blobs with no file row
  // older than that (an upload whose row never committed).
  Task<Result<SweepResult>> sweep();

  const FileLimits& limits() const { return limits_; }

  static std::string blobKeyOf(std::string_view id, bool thumbnail);

 private:
  Task<Result<FileView>> view(FileRecord r);
  Task<Result<FileView>> uploadCounted(UploadTicket& ticket, const User& who, RoomId room,
                                       std::string name, BlobSource& body);
  // The thumbnail of `image`, made fairly on the queue; an error if it is refused, fails,
  // or is not ready within thumbnail_wait_ms (then it is never stored).
  Task<Result<FileInspector::Thumbnail>> thumbnailFor(UserId who, std::string image);
  Task<void> storeThumbnail(FileRecord& rec, const std::string& key, std::string image);
  Task<Result<std::vector<std::string>>> squaresFor(UserId who, std::string image,
                                                    std::vector<int> edges);

  Store& store_;
  BlobStore& blobs_;
  RoomKeys& keys_;
  const Clock& clock_;
  const FileLimits& limits_;
  FileInspector inspector_;
  std::atomic<std::uint64_t> thumbnail_bytes_{0};  // held against limits_.thumbnail_memory
  UploadGate gate_;
  ThumbnailQueue thumbnails_;  // last: its workers are joined before the rest goes
};

}  // namespace parley
