// Thumbnails of uploaded images, with libvips, safe against hostile input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace parley::media {

struct ImageLimits {
  std::uint64_t max_pixels = 50'000'000;    // width*height from the header; above: refused
  std::size_t max_input_bytes = 32u << 20;  // larger inputs are refused (no thumbnail)
  int thumb_edge = 320;                     // longest edge of the thumbnail, in pixels
};

struct Thumbnail {
  std::string jpeg;                         // baseline JPEG, no metadata
  int width = 0, height = 0;                // of the thumbnail
  int source_width = 0, source_height = 0;  // of the image as displayed (EXIF rotation applied)
};

// A JPEG thumbnail of `image_bytes` (PNG, JPEG, GIF or WebP; the first frame of an
// animation), its longest edge `limits.thumb_edge` (never enlarged), aspect ratio kept,
// EXIF orientation applied, alpha flattened onto white, metadata stripped.
//
// The header alone is read first and width*height checked against `limits.max_pixels`
// before any pixel is decoded, so a small file claiming huge dimensions costs nothing.
// Only the PNG, JPEG, GIF and WebP decoders of libvips are enabled in this process (all
// other libvips loaders, and those libvips marks untrusted, are blocked at start-up).
//
// Errors (Error::message is exactly the quoted word, for the caller to match or log):
//   Code::bad_request "image_too_large": more pixels than max_pixels, or more bytes than
//     max_input_bytes;
//   Code::bad_request "not_an_image": not one of the four formats, or corrupt/truncated;
//   Code::internal "image_library_unavailable": libvips failed to start.
//
// Thread-safe; CPU-bound (milliseconds to ~1 s for the largest allowed image): call it
// from a worker pool, never from an I/O thread. libvips is started on the first call and
// uses one thread per call (the caller's pool provides the parallelism).
Result<Thumbnail> makeThumbnail(std::string_view image_bytes, const ImageLimits& limits);

}  // namespace parley::media
