// Images for the media tests, made in memory with libvips (encoders only: the loaders
// under test stay restricted by src/media).
#pragma once

#include <cstdint>
#include <string>

namespace parley::media::test {

enum class Format { png, jpeg, gif, webp, tiff };

// A w×h gradient with `bands` bands (1 grey, 3 RGB, 4 RGBA). `orientation` (1-8) is
// written as the EXIF orientation tag (JPEG only).
std::string makeImage(Format f, int w, int h, int bands = 3, int orientation = 0);

// Width and height of an encoded image, decoded with libvips; {-1,-1} if it does not decode.
struct Dims {
  int width, height, bands;
};
Dims decodeDims(const std::string& bytes);

// A valid PNG signature + IHDR claiming w×h RGB pixels, followed by a tiny IDAT and IEND.
std::string pngHeaderOnly(std::uint32_t w, std::uint32_t h);

// A complete PNG of w×h black pixels: colour type 0 (grey), 2 (RGB) or 6 (RGBA), bit depth
// 8 or 16, Adam7-interlaced or not. Tiny on disk however large it decodes.
std::string pngBlack(std::uint32_t w, std::uint32_t h, int colour_type, int bit_depth,
                     bool interlaced);

// `jpeg` with the frame header (SOF0) rewritten to claim w×h pixels.
std::string patchJpegDims(std::string jpeg, std::uint16_t w, std::uint16_t h);

}  // namespace parley::media::test
