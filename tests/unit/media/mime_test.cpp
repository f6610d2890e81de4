#include "media/mime.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "test_images.h"

namespace parley::media {
namespace {

using test::Format;
using test::makeImage;

TEST(DetectMime, RecognisesImagesFromTheirBytes) {
  EXPECT_EQ(detectMime(makeImage(Format::png, 20, 10)), "image/png");
  EXPECT_EQ(detectMime(makeImage(Format::jpeg, 20, 10)), "image/jpeg");
  EXPECT_EQ(detectMime(makeImage(Format::gif, 20, 10)), "image/gif");
  EXPECT_EQ(detectMime(makeImage(Format::webp, 20, 10)), "image/webp");
  EXPECT_EQ(detectMime(makeImage(Format::tiff, 20, 10)), "image/tiff");
}

TEST(DetectMime, LooksOnlyAtTheHead) {
  // The first bytes of a PNG are enough; what follows does not matter.
  std::string png = makeImage(Format::png, 20, 10);
  EXPECT_EQ(detectMime(std::string_view(png).substr(0, 64)), "image/png");
  std::string big = png + std::string(kMimeSniffBytes * 2, 'x');
  EXPECT_EQ(detectMime(big), "image/png");
}

TEST(DetectMime, RecognisesDocumentsAndText) {
  const std::string pdf =
      "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
      "2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
  EXPECT_EQ(detectMime(pdf), "application/pdf");
  EXPECT_EQ(detectMime("Hello, this is a plain note.\nSecond line.\n"), "text/plain");
  EXPECT_EQ(detectMime("{\"json\": [1, 2, 3]}"), "application/json");
}

TEST(DetectMime, ClientChosenNamesOrTypesPlayNoPart) {
  // HTML is HTML whatever the uploader calls it; the caller never serves it inline.
  EXPECT_EQ(detectMime("<!DOCTYPE html><html><body><script>x()</script></body></html>"),
            "text/html");
}

TEST(DetectMime, GarbageAndEmpty) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 7919 + 13) % 251 + 3));
  garbage[0] = '\x01';
  garbage[1] = '\xfe';
  EXPECT_EQ(detectMime(garbage), "application/octet-stream");
  EXPECT_EQ(detectMime(""), "application/x-empty");
  EXPECT_EQ(detectMime(std::string_view()), "application/x-empty");
}

TEST(DetectMime, ThreadSafe) {
  const std::string png = makeImage(Format::png, 8, 8);
  const std::string jpeg = makeImage(Format::jpeg, 8, 8);
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (detectMime((i + t) % 2 ? png : jpeg) != ((i + t) % 2 ? "image/png" : "image/jpeg"))
          ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

TEST(IsThumbnailable, OnlyTheFourInlineImageTypes) {
  for (const char* m : {"image/png", "image/jpeg", "image/gif", "image/webp"})
    EXPECT_TRUE(isThumbnailable(m)) << m;
  for (const char* m : {"image/tiff", "image/svg+xml", "application/pdf", "text/html", "",
                        "image/png ", "IMAGE/PNG", "image/x-icon"})
    EXPECT_FALSE(isThumbnailable(m)) << m;
}

}  // namespace
}  // namespace parley::media
