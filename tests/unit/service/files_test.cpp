#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "core/metrics.h"
#include "crypto/chunked.h"
#include "support/test_node.h"

namespace parley {
namespace {

using testing::TestNode;

constexpr std::string_view kMarker = "PLAINTEXT-MARKER-7f3a";

// Bytes that repeat a marker, so any plaintext leak is easy to find.
std::string markedBytes(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; out.size() < n; ++i) {
    out += kMarker;
    out += std::to_string(i);
  }
  out.resize(n);
  return out;
}

class FilesTest : public ::testing::Test {
 protected:
  TestNode node;
  User alice = node.user("alice");
  User bob = node.user("bob");
  User eve = node.user("eve");
  Room room = node.run(node.rooms.create(alice, "general", "", false)).value();

  FilesTest() { node.run(node.rooms.addMember(alice, room.id, "bob")).value(); }

  Result<FileView> upload(const User& who, const std::string& bytes, std::string name = "a.bin",
                          FilesService* files = nullptr) {
    StringBlobSource body(bytes, 10000);
    FilesService& f = files ? *files : node.files;
    auto ticket = node.run(f.admit(who.id, bytes.size()));
    if (!ticket) return ticket.error();
    return node.run(f.upload(*ticket, who, room.id, std::move(name), body));
  }

  // Everything a reader yields for [offset, offset+length), or its error.
  Result<std::string> readRange(const User& who, const std::string& id, std::uint64_t offset,
                                std::uint64_t length, bool thumbnail = false) {
    auto opened = node.run(node.files.open(who.id, room.id, id, thumbnail));
    if (!opened) return opened.error();
    FileReader reader(*node.blobs, std::move(*opened), offset, length);
    std::string out;
    for (;;) {
      auto piece = node.run(reader.next());
      if (!piece) return piece.error();
      if (piece->empty()) return out;
      EXPECT_LE(piece->size(), FileReader::kReadPieceBytes);
      out += *piece;
    }
  }

  std::vector<std::filesystem::path> blobFiles() {
    std::vector<std::filesystem::path> out;
    for (auto& e : std::filesystem::directory_iterator(node.dir / "blobs" / "objects")) {
      out.push_back(e.path());
    }
    return out;
  }

  static std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

TEST_F(FilesTest, UploadIsSealedAndReadsBackWholeAndByRange) {
  const std::string bytes = markedBytes(3 * crypto::kFileChunkBytes + 1234);
  auto f = upload(alice, bytes, "plan.txt");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->name, "plan.txt");
  EXPECT_EQ(f->record.size, bytes.size());
  EXPECT_EQ(f->record.room_id, room.id);
  EXPECT_EQ(f->record.uploader, alice.id);
  EXPECT_EQ(f->record.id.size(), 22u);
  EXPECT_EQ(f->record.mime, "application/octet-stream");  // no inspector in this node

  auto files = blobFiles();
  ASSERT_EQ(files.size(), 1u);
  const std::string stored = slurp(files[0]);
  EXPECT_EQ(stored.size(), crypto::sealedSize(bytes.size()));
  EXPECT_EQ(stored.find(kMarker), std::string::npos);
  auto row = node.run(node.store->fileById(f->record.id)).value();
  EXPECT_EQ(row.sealed_name.find("plan"), std::string::npos);

  EXPECT_EQ(readRange(alice, f->record.id, 0, bytes.size()).value(), bytes);
  const std::uint64_t c = crypto::kFileChunkBytes;
  for (auto [off, len] : std::vector<std::pair<std::uint64_t, std::uint64_t>>{
           {0, 1}, {c - 3, 6}, {c, c}, {c - 1, 2 * c + 2}, {bytes.size() - 5, 5}, {17, 0}}) {
    EXPECT_EQ(readRange(alice, f->record.id, off, len).value(), bytes.substr(off, len))
        << off << "+" << len;
  }
}

TEST_F(FilesTest, BeforeAttachOnlyTheUploaderReadsThenMembersDoAndOthersNever) {
  auto f = upload(alice, "hello");
  ASSERT_TRUE(f);
  const std::string id = f->record.id;
  EXPECT_EQ(readRange(bob, id, 0, 5).error().code, Code::not_found);
  EXPECT_EQ(readRange(eve, id, 0, 5).error().code, Code::not_found);

  std::vector<std::string> ids{id};
  auto sent = node.run(node.messages.send(alice, room.id, "c1", "", 0, ids));
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_EQ(readRange(bob, id, 0, 5).value(), "hello");
  EXPECT_EQ(readRange(eve, id, 0, 5).error().code, Code::not_found);

  // A former member loses access at once; a guessed id or another room's id is not_found.
  ASSERT_TRUE(node.run(node.rooms.leave(bob, room.id)));
  EXPECT_EQ(readRange(bob, id, 0, 5).error().code, Code::not_found);
  EXPECT_EQ(readRange(alice, "AAAAAAAAAAAAAAAAAAAAAA", 0, 1).error().code, Code::not_found);
  EXPECT_EQ(readRange(alice, "../../etc/passwd", 0, 1).error().code, Code::not_found);
  Room other = node.run(node.rooms.create(alice, "other", "", false)).value();
  EXPECT_EQ(node.run(node.files.open(alice.id, other.id, id, false)).error().code, Code::not_found);
}

TEST_F(FilesTest, OversizedUploadKeepsNothing) {
  node.file_limits.max_upload = 100000;
  const std::uint64_t failures = metrics().upload_failures.value();
  auto f = upload(alice, markedBytes(100001));
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Code::payload_too_large);
  EXPECT_TRUE(blobFiles().empty());
  EXPECT_TRUE(node.run(node.store->unattachedFiles(kSeqMax, 10)).value().empty());
  EXPECT_EQ(metrics().upload_failures.value(), failures + 1);
  EXPECT_TRUE(upload(alice, markedBytes(100000)));  // exactly the limit is fine
}

TEST_F(FilesTest, BadNamesAndNonMembersAreRefused) {
  EXPECT_EQ(upload(alice, "x", "").error().code, Code::bad_request);
  EXPECT_EQ(upload(alice, "x", std::string(256, 'n')).error().code, Code::bad_request);
  EXPECT_EQ(upload(alice, "x", "bad\xff.png").error().code, Code::bad_request);
  EXPECT_EQ(upload(eve, "x").error().code, Code::not_found);
  EXPECT_TRUE(upload(alice, "x", std::string(255, 'n')));
  EXPECT_TRUE(upload(alice, "x", "../../etc/passwd\r\n\"x.png"));  // kept; sanitised on output
}

TEST_F(FilesTest, ATamperedChunkIsNeverServed) {
  const std::string bytes = markedBytes(2 * crypto::kFileChunkBytes + 10);
  auto f = upload(alice, bytes);
  ASSERT_TRUE(f);
  auto path = blobFiles().at(0);
  std::string stored = slurp(path);
  stored[crypto::kSealedChunkBytes + 100] ^= 1;  // inside the second chunk
  std::ofstream(path, std::ios::binary | std::ios::trunc) << stored;

  const std::uint64_t failures = metrics().file_integrity_failures.value();
  EXPECT_EQ(readRange(alice, f->record.id, 0, 10).value(), bytes.substr(0, 10));  // chunk 0 ok
  EXPECT_EQ(readRange(alice, f->record.id, 0, bytes.size()).error().code, Code::internal);
  EXPECT_EQ(readRange(alice, f->record.id, crypto::kFileChunkBytes + 1, 3).error().code,
            Code::internal);
  EXPECT_EQ(metrics().file_integrity_failures.value(), failures + 2);

  // Truncation (dropping the final chunk) is detected as well.
  stored.resize(crypto::kSealedChunkBytes * 2);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << stored;
  EXPECT_EQ(readRange(alice, f->record.id, 0, bytes.size()).error().code, Code::internal);
}

TEST_F(FilesTest, MessagesCarryTheirFilesAndRefuseOthers) {
  auto mine = upload(alice, "one", "one.txt").value();
  auto second = upload(alice, "two", "two.txt").value();
  auto bobs = upload(bob, "bob's").value();
  std::vector<std::string> ids{mine.record.id, second.record.id};
  auto sent = node.run(node.messages.send(alice, room.id, "c1", "see attached", 0, ids));
  ASSERT_TRUE(sent) << sent.error().message;
  ASSERT_EQ(sent->event.files.size(), 2u);
  EXPECT_EQ(sent->event.files[0].name, "one.txt");
  EXPECT_EQ(sent->event.files[1].record.size, 3u);

  auto page =
      node.run(node.messages.history(bob.id, room.id, std::nullopt, std::nullopt, 10)).value();
  ASSERT_EQ(page.messages.size(), 1u);
  ASSERT_EQ(page.messages[0].files.size(), 2u);
  EXPECT_EQ(page.messages[0].files[1].name, "two.txt");
  EXPECT_EQ(page.messages[0].files[0].record.id, mine.record.id);

  // A retry returns the original; the files are not checked again.
  auto again = node.run(node.messages.send(alice, room.id, "c1", "see attached", 0, ids));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->event.files.size(), 2u);

  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {mine.record.id}, {bobs.record.id}, {"nope"}, {"AAAAAAAAAAAAAAAAAAAAAA"}}) {
    auto r = node.run(node.messages.send(alice, room.id, "c-" + bad[0], "x", 0, bad));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::invalid_file) << bad[0];
  }
  std::vector<std::string> eleven(11, bobs.record.id);
  EXPECT_EQ(node.run(node.messages.send(bob, room.id, "c9", "x", 0, eleven)).error().code,
            Code::bad_request);
  EXPECT_EQ(node.run(node.store->roomById(room.id)).value().last_seq, 1);

  // An edit keeps the files.
  ASSERT_TRUE(node.run(node.messages.edit(alice, room.id, 1, "new words")));
  auto edited =
      node.run(node.messages.history(bob.id, room.id, std::nullopt, std::nullopt, 10)).value();
  EXPECT_EQ(edited.messages[0].text, "new words");
  EXPECT_EQ(edited.messages[0].files.size(), 2u);
}

TEST_F(FilesTest, DeletingTheMessageDeletesItsFiles) {
  auto f = upload(alice, "bytes").value();
  auto kept = upload(alice, "other").value();
  std::vector<std::string> ids{f.record.id};
  auto sent = node.run(node.messages.send(alice, room.id, "c1", "", 0, ids)).value();
  ASSERT_EQ(blobFiles().size(), 2u);
  ASSERT_TRUE(node.run(node.messages.remove(alice, room.id, sent.event.meta.seq)));
  EXPECT_EQ(readRange(alice, f.record.id, 0, 1).error().code, Code::not_found);
  EXPECT_EQ(blobFiles().size(), 1u);
  EXPECT_TRUE(readRange(alice, kept.record.id, 0, 5));
}

TEST_F(FilesTest, SweepRemovesExpiredUploadsAndOrphanBlobsOnly) {
  auto old_upload = upload(alice, "old").value();
  auto attached = upload(alice, "attached").value();
  std::vector<std::string> ids{attached.record.id};
  ASSERT_TRUE(node.run(node.messages.send(alice, room.id, "c1", "", 0, ids)));
  // A blob whose row never committed.
  StringBlobSource orphan_bytes("sealed?");
  std::string orphan_key = "files/BBBBBBBBBBBBBBBBBBBBBB";
  ASSERT_TRUE(node.run(node.blobs->put(orphan_key, orphan_bytes)));

  auto early = node.run(node.files.sweep()).value();
  EXPECT_EQ(early.files, 0);
  EXPECT_EQ(early.blobs, 0);

  // Blob times are wall-clock: move the node's clock well past them and the TTL.
  node.clock.advance(SystemClock().now() - node.clock.now() + node.file_limits.upload_ttl_ms +
                     3600 * 1000);
  auto late = node.run(node.files.sweep()).value();
  EXPECT_EQ(late.files, 1);
  EXPECT_EQ(late.blobs, 1);
  EXPECT_EQ(readRange(alice, old_upload.record.id, 0, 1).error().code, Code::not_found);
  EXPECT_EQ(readRange(alice, attached.record.id, 0, 8).value(), "attached");
  EXPECT_EQ(blobFiles().size(), 1u);
}

// The thumbnail path, with an inspector standing in for src/media: "images" start with
// "IMG", thumbnails are "JPEG of <size>".
FileInspector fakeImageInspector() {
  FileInspector inspector;
  inspector.detect_mime = [](std::string_view head) {
    return std::string(head.starts_with("IMG") ? "image/png" : "application/octet-stream");
  };
  inspector.thumbnailable = [](std::string_view mime) { return mime == "image/png"; };
  inspector.thumbnail = [](std::string_view image) -> Result<FileInspector::Thumbnail> {
    if (image.find("BOMB") != std::string_view::npos) {
      return makeError(Code::bad_request, "image_too_large");
    }
    return FileInspector::Thumbnail{"JPEG of " + std::to_string(image.size()), 800, 600};
  };
  return inspector;
}

TEST_F(FilesTest, ImagesGetASealedThumbnailServedLikeAFile) {
  FilesService files(*node.store, *node.blobs, node.room_keys, *node.cache, node.clock,
                     node.file_limits, fakeImageInspector());
  const std::string image = "IMG" + markedBytes(200000);
  auto f = upload(alice, image, "cat.png", &files);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->record.mime, "image/png");
  EXPECT_EQ(f->record.image_width, 800);
  EXPECT_EQ(f->record.image_height, 600);
  EXPECT_GT(f->record.thumb_size, 0u);
  EXPECT_EQ(readRange(alice, f->record.id, 0, f->record.thumb_size, true).value(),
            "JPEG of 200003");

  auto bomb = upload(alice, "IMG BOMB", "bomb.png", &files);
  ASSERT_TRUE(bomb);
  EXPECT_EQ(bomb->record.mime, "image/png");
  EXPECT_EQ(bomb->record.thumb_size, 0u);
  EXPECT_EQ(bomb->record.image_width, 0);
  EXPECT_EQ(readRange(alice, bomb->record.id, 0, 0, true).error().code, Code::not_found);

  auto other = upload(alice, "plain", "a.txt", &files);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->record.thumb_size, 0u);
}

// Image bytes held for thumbnails are bounded across uploads: an image that does not fit the
// shared budget is stored without a thumbnail, and a finished upload gives its share back.
TEST_F(FilesTest, ThumbnailMemoryIsBoundedAndGivenBack) {
  FileLimits limits = node.file_limits;
  limits.thumbnail_memory = 250000;
  FilesService files(*node.store, *node.blobs, node.room_keys, *node.cache, node.clock, limits,
                     fakeImageInspector());

  const std::string image = "IMG" + markedBytes(200000);
  for (int i = 0; i < 2; ++i) {  // the second fits only if the first gave its bytes back
    auto f = upload(alice, image, "cat.png", &files);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_GT(f->record.thumb_size, 0u) << "upload " << i;
  }
  auto big = upload(alice, "IMG" + markedBytes(300000), "big.png", &files);
  ASSERT_TRUE(big) << big.error().message;
  EXPECT_EQ(big->record.mime, "image/png");
  EXPECT_EQ(big->record.thumb_size, 0u);
  EXPECT_EQ(readRange(alice, big->record.id, 0, 8).value(), "IMG" + markedBytes(5));
  auto after = upload(alice, image, "again.png", &files);  // the refused one gave back too
  ASSERT_TRUE(after);
  EXPECT_GT(after->record.thumb_size, 0u);
}

}  // namespace
}  // namespace parley
