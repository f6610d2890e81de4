#include "media/thumbnail.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "media/mime.h"
#include "test_images.h"

namespace parley::media {
namespace {

using test::decodeDims;
using test::Format;
using test::makeImage;

void expectError(const Result<Thumbnail>& r, Code code, std::string_view word) {
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, code);
  EXPECT_EQ(r.error().message, word);
}

// A thumbnail is a JPEG of the given size without metadata, whose decoded size matches.
void expectThumb(const Result<Thumbnail>& r, int w, int h, int sw, int sh) {
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->width, w);
  EXPECT_EQ(r->height, h);
  EXPECT_EQ(r->source_width, sw);
  EXPECT_EQ(r->source_height, sh);
  EXPECT_EQ(detectMime(r->jpeg), "image/jpeg");
  auto d = decodeDims(r->jpeg);
  EXPECT_EQ(d.width, w);
  EXPECT_EQ(d.height, h);
  EXPECT_TRUE(d.bands == 1 || d.bands == 3) << d.bands;
  EXPECT_EQ(r->jpeg.find("Exif"), std::string::npos) << "metadata not stripped";
}

TEST(MakeThumbnail, PngLandscapeKeepsAspect) {
  expectThumb(makeThumbnail(makeImage(Format::png, 800, 600), {}), 320, 240, 800, 600);
}

TEST(MakeThumbnail, JpegPortraitKeepsAspect) {
  expectThumb(makeThumbnail(makeImage(Format::jpeg, 300, 1000), {}), 96, 320, 300, 1000);
}

TEST(MakeThumbnail, GifAndWebp) {
  expectThumb(makeThumbnail(makeImage(Format::gif, 640, 640), {}), 320, 320, 640, 640);
  expectThumb(makeThumbnail(makeImage(Format::webp, 1000, 500), {}), 320, 160, 1000, 500);
}

TEST(MakeThumbnail, HonoursThumbEdge) {
  ImageLimits l;
  l.thumb_edge = 64;
  expectThumb(makeThumbnail(makeImage(Format::png, 256, 128), l), 64, 32, 256, 128);
}

TEST(MakeThumbnail, SmallImagesAreNotEnlarged) {
  expectThumb(makeThumbnail(makeImage(Format::png, 50, 40), {}), 50, 40, 50, 40);
}

TEST(MakeThumbnail, AlphaIsFlattenedAndGreyStaysGrey) {
  auto rgba = makeThumbnail(makeImage(Format::png, 400, 400, 4), {});
  expectThumb(rgba, 320, 320, 400, 400);
  EXPECT_EQ(decodeDims(rgba->jpeg).bands, 3);
  auto grey = makeThumbnail(makeImage(Format::png, 400, 200, 1), {});
  expectThumb(grey, 320, 160, 400, 200);
  EXPECT_EQ(decodeDims(grey->jpeg).bands, 1);
}

TEST(MakeThumbnail, ExifOrientationIsAppliedAndStripped) {
  // Stored 400x200, orientation 6 (rotate 90° clockwise to display): displayed 200x400.
  std::string jpeg = makeImage(Format::jpeg, 400, 200, 3, 6);
  ASSERT_NE(jpeg.find("Exif"), std::string::npos);
  expectThumb(makeThumbnail(jpeg, {}), 160, 320, 200, 400);
}

TEST(MakeThumbnail, SquareCropsTheCentreToExactlyTheEdge) {
  ImageLimits l;
  l.thumb_edge = 64;
  l.square = true;
  expectThumb(makeThumbnail(makeImage(Format::png, 800, 600), l), 64, 64, 800, 600);
  expectThumb(makeThumbnail(makeImage(Format::jpeg, 300, 1000), l), 64, 64, 300, 1000);
  l.thumb_edge = 256;  // a small image is enlarged to the edge (an avatar has one size)
  expectThumb(makeThumbnail(makeImage(Format::webp, 50, 40), l), 256, 256, 50, 40);
  // The header checks hold as for every thumbnail.
  expectError(makeThumbnail(test::pngHeaderOnly(100000, 100000), l), Code::bad_request,
              "image_too_large");
}

TEST(MakeThumbnail, PngPixelBombRefusedFromItsHeader) {
  // 67 bytes claiming 10^10 pixels: decoding would need 30 GB.
  std::string bomb = test::pngHeaderOnly(100000, 100000);
  ASSERT_LT(bomb.size(), 100u);
  ASSERT_EQ(detectMime(bomb), "image/png");
  expectError(makeThumbnail(bomb, {}), Code::bad_request, "image_too_large");
}

TEST(MakeThumbnail, JpegPixelBombRefusedFromItsHeader) {
  std::string bomb = test::patchJpegDims(makeImage(Format::jpeg, 16, 16), 65000, 65000);
  ASSERT_EQ(detectMime(bomb), "image/jpeg");
  expectError(makeThumbnail(bomb, {}), Code::bad_request, "image_too_large");
}

TEST(MakeThumbnail, PixelLimitIsWidthTimesHeight) {
  std::string png = makeImage(Format::png, 100, 50);
  ImageLimits l;
  l.max_pixels = 5000;
  expectThumb(makeThumbnail(png, l), 100, 50, 100, 50);
  l.max_pixels = 4999;
  expectError(makeThumbnail(png, l), Code::bad_request, "image_too_large");
}

TEST(MakeThumbnail, DecodedSizeCountsBandsAndBitDepth) {
  // 1000×1000: 1 MB as 8-bit grey, 8 MB as 16-bit RGBA, with the same pixel count.
  ImageLimits l;
  l.max_decoded_bytes = 4'000'000;
  expectThumb(makeThumbnail(test::pngBlack(1000, 1000, 0, 8, false), l), 320, 320, 1000, 1000);
  expectThumb(makeThumbnail(test::pngBlack(1000, 1000, 2, 8, false), l), 320, 320, 1000, 1000);
  expectError(makeThumbnail(test::pngBlack(1000, 1000, 6, 16, false), l), Code::bad_request,
              "image_too_large");
  l.max_decoded_bytes = 8'000'000;
  expectThumb(makeThumbnail(test::pngBlack(1000, 1000, 6, 16, false), l), 320, 320, 1000, 1000);
}

TEST(MakeThumbnail, InterlacedImagesHaveTheSmallerLimit) {
  ImageLimits l;
  l.max_decoded_bytes = 8'000'000;
  l.max_interlaced_bytes = 2'000'000;
  // 16-bit RGB, 600×600: 2.16 MB decoded; the same image not interlaced is made.
  std::string interlaced = test::pngBlack(600, 600, 2, 16, true);
  ASSERT_EQ(detectMime(interlaced), "image/png");
  expectError(makeThumbnail(interlaced, l), Code::bad_request, "image_too_large");
  expectThumb(makeThumbnail(test::pngBlack(600, 600, 2, 16, false), l), 320, 320, 600, 600);
  l.max_interlaced_bytes = 2'160'000;
  expectThumb(makeThumbnail(interlaced, l), 320, 320, 600, 600);
}

TEST(MakeThumbnail, TheReportedBombIsRefusedFromItsHeaderByDefault) {
  // The attack's shape: a few hundred KB of interlaced 16-bit RGBA whose pixel count passes
  // max_pixels but which decodes to hundreds of MiB.
  std::string bomb = test::pngBlack(7000, 7000, 6, 16, true);
  ASSERT_LT(bomb.size(), 1u << 20);
  expectError(makeThumbnail(bomb, {}), Code::bad_request, "image_too_large");
  // Not interlaced, 8000×8000 16-bit RGBA (512 MB) is over the general limit too.
  expectError(makeThumbnail(test::pngBlack(8000, 8000, 6, 16, false), {}), Code::bad_request,
              "image_too_large");
}

TEST(MakeThumbnail, HeaderUnderTheLimitButNoPixelsIsNotAnImage) {
  // The size check passes; the decoder then finds the pixel data missing.
  expectError(makeThumbnail(test::pngHeaderOnly(2000, 1000), {}), Code::bad_request,
              "not_an_image");
}

TEST(MakeThumbnail, TooManyInputBytesRefused) {
  std::string png = makeImage(Format::png, 64, 64);
  ImageLimits l;
  l.max_input_bytes = png.size() - 1;
  expectError(makeThumbnail(png, l), Code::bad_request, "image_too_large");
  l.max_input_bytes = png.size();
  EXPECT_TRUE(makeThumbnail(png, l).has_value());
}

TEST(MakeThumbnail, TruncatedImagesAreErrorsNotCrashes) {
  for (Format f : {Format::png, Format::jpeg, Format::gif, Format::webp}) {
    std::string img = makeImage(f, 300, 300);
    for (std::size_t keep : {img.size() / 2, img.size() - 20, std::size_t(40), std::size_t(8)}) {
      auto r = makeThumbnail(std::string_view(img).substr(0, keep), {});
      ASSERT_FALSE(r.has_value()) << "format " << int(f) << " kept " << keep;
      EXPECT_EQ(r.error().code, Code::bad_request);
      EXPECT_EQ(r.error().message, "not_an_image");
    }
  }
}

TEST(MakeThumbnail, CorruptedBodyIsAnErrorNotACrash) {
  // Header intact, every later byte flipped: must fail cleanly (or decode to something).
  for (Format f : {Format::png, Format::jpeg, Format::gif, Format::webp}) {
    std::string img = makeImage(f, 200, 100);
    for (std::size_t i = 64; i < img.size(); ++i) img[i] = static_cast<char>(~img[i]);
    auto r = makeThumbnail(img, {});
    if (!r) {
      EXPECT_EQ(r.error().code, Code::bad_request);
      EXPECT_EQ(r.error().message, "not_an_image");
    }
  }
}

TEST(MakeThumbnail, NotAnImage) {
  std::string garbage(5000, '\0');
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 31 + 7);
  expectError(makeThumbnail(garbage, {}), Code::bad_request, "not_an_image");
  expectError(makeThumbnail("", {}), Code::bad_request, "not_an_image");
  expectError(makeThumbnail("%PDF-1.4\n%%EOF\n", {}), Code::bad_request, "not_an_image");
  const std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"></svg>";
  expectError(makeThumbnail(svg, {}), Code::bad_request, "not_an_image");
}

TEST(MakeThumbnail, OtherDecodersAreBlocked) {
  // libvips can read TIFF, but only PNG, JPEG, GIF and WebP decoders may run here.
  std::string tiff = makeImage(Format::tiff, 64, 64);
  ASSERT_EQ(detectMime(tiff), "image/tiff");
  expectError(makeThumbnail(tiff, {}), Code::bad_request, "not_an_image");
}

TEST(MakeThumbnail, ConcurrentCallsGiveCorrectResults) {
  const std::string png = makeImage(Format::png, 640, 480);
  const std::string jpeg = makeImage(Format::jpeg, 480, 640);
  const std::string bomb = test::pngHeaderOnly(100000, 100000);
  constexpr int kThreads = 4, kRounds = 8;
  std::vector<int> ok(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        auto a = makeThumbnail(png, {});
        auto b = makeThumbnail(jpeg, {});
        auto c = makeThumbnail(bomb, {});
        if (a && a->width == 320 && a->height == 240 && b && b->width == 240 && b->height == 320 &&
            !c && c.error().message == "image_too_large")
          ++ok[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(ok[t], kRounds) << "thread " << t;
}

}  // namespace
}  // namespace parley::media
