#include "api/files_http.h"

#include <gtest/gtest.h>

namespace parley::api {
namespace {

using Kind = RangeRequest::Kind;

TEST(FilesHttp, MatchesOnlyTheFileRoutes) {
  auto up = matchFileRoute("POST", "/api/v1/rooms/7/files");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->kind, FileRoute::Kind::upload);
  EXPECT_EQ(up->room, 7);
  auto down = matchFileRoute("GET", "/api/v1/rooms/7/files/abc");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->kind, FileRoute::Kind::download);
  EXPECT_EQ(down->id, "abc");
  auto thumb = matchFileRoute("HEAD", "/api/v1/rooms/7/files/abc/thumbnail");
  ASSERT_TRUE(thumb);
  EXPECT_EQ(thumb->kind, FileRoute::Kind::thumbnail);
  EXPECT_FALSE(matchFileRoute("GET", "/api/v1/rooms/7/files"));
  EXPECT_FALSE(matchFileRoute("POST", "/api/v1/rooms/7/files/abc"));
  // Not a room id: room 0, which no room has, so the answer is a missing room's.
  EXPECT_EQ(matchFileRoute("GET", "/api/v1/rooms/x/files/abc")->room, 0);
  EXPECT_EQ(matchFileRoute("GET", "/api/v1/rooms/0/files/abc")->room, 0);
  EXPECT_EQ(matchFileRoute("POST", "/api/v1/rooms/-3/files")->room, 0);
  EXPECT_EQ(matchFileRoute("GET", "/api/v1/rooms/99999999999999999999/files/a")->room, 0);
  EXPECT_FALSE(matchFileRoute("GET", "/api/v1/rooms/7/messages"));
  EXPECT_FALSE(matchFileRoute("GET", "/api/v1/rooms/7/files/abc/other"));
}

TEST(FilesHttp, UploadNameIsDecodedAndRequired) {
  EXPECT_EQ(uploadName("/api/v1/rooms/1/files?name=caf%C3%A9%20.png").value(), "caf\xC3\xA9 .png");
  EXPECT_EQ(uploadName("/api/v1/rooms/1/files").error().code, Code::bad_request);
  EXPECT_EQ(uploadName("/api/v1/rooms/1/files?name=").error().code, Code::bad_request);
  EXPECT_TRUE(wantsDownload("/x?download=1"));
  EXPECT_FALSE(wantsDownload("/x?download=0"));
}

TEST(FilesHttp, RangesFollowRfc9110) {
  auto r = parseRange("bytes=0-9", 100);
  EXPECT_EQ(r.kind, Kind::partial);
  EXPECT_EQ(r.offset, 0u);
  EXPECT_EQ(r.length, 10u);
  r = parseRange("bytes=90-", 100);
  EXPECT_EQ(r.kind, Kind::partial);
  EXPECT_EQ(r.offset, 90u);
  EXPECT_EQ(r.length, 10u);
  r = parseRange("bytes=-30", 100);
  EXPECT_EQ(r.offset, 70u);
  EXPECT_EQ(r.length, 30u);
  r = parseRange("bytes=-300", 100);  // longer than the file: all of it
  EXPECT_EQ(r.kind, Kind::partial);
  EXPECT_EQ(r.offset, 0u);
  EXPECT_EQ(r.length, 100u);
  r = parseRange("bytes=50-1000", 100);  // clamped to the end
  EXPECT_EQ(r.length, 50u);
  EXPECT_EQ(parseRange("bytes=100-", 100).kind, Kind::unsatisfiable);
  EXPECT_EQ(parseRange("bytes=-0", 100).kind, Kind::unsatisfiable);
  EXPECT_EQ(parseRange("bytes=0-0", 0).kind, Kind::unsatisfiable);
  for (const char* ignored : {"", "bytes=0-1,4-5", "items=0-1", "bytes=5-1", "bytes=a-b", "bytes=1",
                              "bytes=-", "bytes=99999999999999999999999-"}) {
    EXPECT_EQ(parseRange(ignored, 100).kind, Kind::whole) << ignored;
  }
}

TEST(FilesHttp, ContentDispositionIsSanitised) {
  EXPECT_EQ(contentDisposition("cat.png", true),
            "inline; filename=\"cat.png\"; filename*=UTF-8''cat.png");
  EXPECT_EQ(contentDisposition("../../etc/passwd\r\n\"x.png", false),
            "attachment; filename=\"passwdx.png\"; filename*=UTF-8''passwdx.png");
  EXPECT_EQ(contentDisposition("C:\\Users\\me\\a b.txt", false),
            "attachment; filename=\"a b.txt\"; filename*=UTF-8''a%20b.txt");
  EXPECT_EQ(contentDisposition("caf\xC3\xA9.txt", false),
            "attachment; filename=\"caf_.txt\"; filename*=UTF-8''caf%C3%A9.txt");
  // U+202E (right-to-left override) is dropped.
  EXPECT_EQ(sanitizeFileName("evil\xE2\x80\xAEgnp.exe"), "evilgnp.exe");
  EXPECT_EQ(sanitizeFileName("../.."), "file");
  EXPECT_EQ(sanitizeFileName("\r\n"), "file");
  EXPECT_EQ(sanitizeFileName("..hidden"), "hidden");
}

TEST(FilesHttp, OnlyImagesAreInlineAndEverythingIsSandboxed) {
  OpenedFile f;
  f.view.name = "x.html";
  f.view.record.mime = "text/html";
  auto h = fileHeaders(f, false);
  auto get = [&](const std::string& k) {
    for (auto& [key, v] : h) {
      if (key == k) return v;
    }
    return std::string();
  };
  EXPECT_EQ(get("Content-Type"), "application/octet-stream");
  EXPECT_TRUE(get("Content-Disposition").starts_with("attachment;"));
  EXPECT_EQ(get("Content-Security-Policy"), "sandbox; default-src 'none'");
  f.view.record.mime = "image/png";
  h = fileHeaders(f, false);
  EXPECT_EQ(get("Content-Type"), "image/png");
  EXPECT_TRUE(get("Content-Disposition").starts_with("inline;"));
  h = fileHeaders(f, true);
  EXPECT_TRUE(get("Content-Disposition").starts_with("attachment;"));
  f.thumbnail = true;
  f.view.record.mime = "image/gif";
  h = fileHeaders(f, true);
  EXPECT_EQ(get("Content-Type"), "image/jpeg");
  EXPECT_TRUE(get("Content-Disposition").starts_with("inline;"));
}

}  // namespace
}  // namespace parley::api
