#include "test_images.h"

#include <vips/vips.h>
#include <zlib.h>

#include <stdexcept>

namespace parley::media::test {
namespace {

void check(int r, const char* what) {
  if (r != 0) {
    std::string e = vips_error_buffer();
    vips_error_clear();
    throw std::runtime_error(std::string(what) + ": " + e);
  }
}

struct Img {
  VipsImage* p = nullptr;
  ~Img() {
    if (p) g_object_unref(p);
  }
};

void be32(std::string& s, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void pngChunk(std::string& out, const char* type, const std::string& data) {
  be32(out, static_cast<std::uint32_t>(data.size()));
  std::string body = std::string(type, 4) + data;
  out += body;
  be32(out, static_cast<std::uint32_t>(
                crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
}

}  // namespace

std::string makeImage(Format f, int w, int h, int bands, int orientation) {
  if (VIPS_INIT("media_test") != 0) throw std::runtime_error("vips_init");
  // A gradient (x+y per band, distinct per band) so that images are not flat.
  Img xyz, sum, lin, cast, img;
  check(vips_xyz(&xyz.p, w, h, nullptr), "xyz");
  check(vips_bandmean(xyz.p, &sum.p, nullptr), "bandmean");
  Img joined;
  VipsImage* parts[4] = {sum.p, sum.p, sum.p, sum.p};
  check(vips_bandjoin(parts, &joined.p, bands, nullptr), "bandjoin");
  double a[4] = {1.0, 0.5, 0.25, 0.0}, b[4] = {0, 40, 80, 200};
  check(vips_linear(joined.p, &lin.p, a, b, bands, nullptr), "linear");
  check(vips_cast_uchar(lin.p, &cast.p, nullptr), "cast");
  check(vips_copy(cast.p, &img.p, "interpretation",
                  bands <= 2 ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB, nullptr),
        "copy");
  if (orientation != 0) vips_image_set_int(img.p, VIPS_META_ORIENTATION, orientation);

  void* buf = nullptr;
  size_t len = 0;
  switch (f) {
    case Format::png:
      check(vips_pngsave_buffer(img.p, &buf, &len, nullptr), "png");
      break;
    case Format::jpeg:
      check(vips_jpegsave_buffer(img.p, &buf, &len, nullptr), "jpeg");
      break;
    case Format::gif:
      check(vips_gifsave_buffer(img.p, &buf, &len, nullptr), "gif");
      break;
    case Format::webp:
      check(vips_webpsave_buffer(img.p, &buf, &len, nullptr), "webp");
      break;
    case Format::tiff:
      check(vips_tiffsave_buffer(img.p, &buf, &len, nullptr), "tiff");
      break;
  }
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  return out;
}

Dims decodeDims(const std::string& bytes) {
  // jpegload is allowed by src/media's block list, and thumbnails are JPEG.
  Img img;
  img.p = vips_image_new_from_buffer(bytes.data(), bytes.size(), "", nullptr);
  if (img.p == nullptr) {
    vips_error_clear();
    return {-1, -1, -1};
  }
  return {vips_image_get_width(img.p), vips_image_get_height(img.p), vips_image_get_bands(img.p)};
}

std::string pngHeaderOnly(std::uint32_t w, std::uint32_t h) {
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  be32(ihdr, w);
  be32(ihdr, h);
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, no filter, no interlace
  pngChunk(out, "IHDR", ihdr);
  // A complete zlib stream of a few zero bytes: far fewer than one row needs.
  std::string raw(16, '\0');
  uLongf zlen = compressBound(raw.size());
  std::string z(zlen, '\0');
  compress(reinterpret_cast<Bytef*>(z.data()), &zlen, reinterpret_cast<const Bytef*>(raw.data()),
           raw.size());
  z.resize(zlen);
  pngChunk(out, "IDAT", z);
  pngChunk(out, "IEND", "");
  return out;
}

std::string patchJpegDims(std::string jpeg, std::uint16_t w, std::uint16_t h) {
  // Walk the markers up to SOF0/SOF2 (FFC0/FFC2): FF Cx len(2) precision(1) height(2) width(2).
  std::size_t i = 2;
  while (i + 9 < jpeg.size()) {
    if (static_cast<unsigned char>(jpeg[i]) != 0xff) throw std::runtime_error("bad marker");
    unsigned char m = static_cast<unsigned char>(jpeg[i + 1]);
    std::size_t len =
        (static_cast<unsigned char>(jpeg[i + 2]) << 8) | static_cast<unsigned char>(jpeg[i + 3]);
    if (m == 0xc0 || m == 0xc2) {
      jpeg[i + 5] = static_cast<char>(h >> 8);
      jpeg[i + 6] = static_cast<char>(h & 0xff);
      jpeg[i + 7] = static_cast<char>(w >> 8);
      jpeg[i + 8] = static_cast<char>(w & 0xff);
      return jpeg;
    }
    i += 2 + len;
  }
  throw std::runtime_error("no SOF marker");
}

}  // namespace parley::media::test

namespace parley::media::test {

std::string pngBlack(std::uint32_t w, std::uint32_t h, int colour_type, int bit_depth,
                     bool interlaced) {
  const int channels = colour_type == 0 ? 1 : colour_type == 2 ? 3 : 4;
  const std::uint64_t pixel_bytes = static_cast<std::uint64_t>(channels) * (bit_depth / 8);
  // Scanlines (a filter byte, then zeros) of the image, or of each Adam7 pass.
  std::uint64_t raw_size = 0;
  if (!interlaced) {
    raw_size = h * (1 + w * pixel_bytes);
  } else {
    constexpr int kX0[7] = {0, 4, 0, 2, 0, 1, 0}, kDx[7] = {8, 8, 4, 4, 2, 2, 1};
    constexpr int kY0[7] = {0, 0, 4, 0, 2, 0, 1}, kDy[7] = {8, 8, 8, 4, 4, 2, 2};
    for (int p = 0; p < 7; ++p) {
      const std::uint64_t pw = w > std::uint32_t(kX0[p]) ? (w - kX0[p] + kDx[p] - 1) / kDx[p] : 0;
      const std::uint64_t ph = h > std::uint32_t(kY0[p]) ? (h - kY0[p] + kDy[p] - 1) / kDy[p] : 0;
      if (pw > 0 && ph > 0) raw_size += ph * (1 + pw * pixel_bytes);
    }
  }
  std::string raw(raw_size, '\0');
  uLongf packed_size = compressBound(raw.size());
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 9) != Z_OK)
    throw std::runtime_error("compress2");
  packed.resize(packed_size);

  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  be32(ihdr, w);
  be32(ihdr, h);
  ihdr.push_back(static_cast<char>(bit_depth));
  ihdr.push_back(static_cast<char>(colour_type));
  ihdr.push_back(0);  // deflate
  ihdr.push_back(0);  // adaptive filtering
  ihdr.push_back(interlaced ? 1 : 0);
  pngChunk(out, "IHDR", ihdr);
  pngChunk(out, "IDAT", packed);
  pngChunk(out, "IEND", "");
  return out;
}

}  // namespace parley::media::test
