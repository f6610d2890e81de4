// Thumbnails of uploaded images, with libvips, safe against hostile input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace parley::media {

struct ImageLimits {
  std::uint64_t max_pixels = 50'000'000;  // width*height from the header; above: refused
  // Decoded size from the header (width × height × bands × bytes per band); above: refused.
  std::uint64_t max_decoded_bytes = 256u << 20;
  // The same for interlaced PNG, progressive JPEG and interlaced GIF, which libvips cannot
  // decode line by line: the whole decoded image is held in memory at once.
  std::uint64_t max_interlaced_bytes = 64u << 20;
  std::size_t max_input_bytes = 32u << 20;  // larger inputs are refused (no thumbnail)
  int thumb_edge = 320;                     // longest edge of the thumbnail, in pixels
  // An avatar: cropped to a square about the centre, exactly thumb_edge on each side
  // (enlarged if the image is smaller).
  bool square = false;
};

struct Thumbnail {
  std::string jpeg;                         // baseline JPEG, no metadata
  int width = 0, height = 0;                // of the thumbnail
  int source_width = 0, source_height = 0;  // of the image as displayed (EXIF rotation applied)
};

// A JPEG thumbnail of `image_bytes` (PNG, JPEG, GIF or WebP; the first frame of an
// animation), its longest edge `limits.thumb_edge` (never enlarged), aspect ratio kept
// (with `limits.square`: the centre square, exactly thumb_edge × thumb_edge),
// EXIF orientation applied, alpha flattened onto white, metadata stripped.
//
// The header alone is read first and width*height checked against `limits.max_pixels`,
// and the decoded size against `limits.max_decoded_bytes` (`max_interlaced_bytes` for an
// interlaced or progressive image), before any pixel is decoded: a small file claiming
// huge dimensions or deep pixels costs nothing. The memory a call may take is about
// max_interlaced_bytes, plus a few decoded lines for other images.
// Only the PNG, JPEG, GIF and WebP decoders of libvips are enabled in this process (all
// other libvips loaders, and those libvips marks untrusted, are blocked at start-up).
//
// Errors (Error::message is exactly the quoted word, for the caller to match or log):
//   Code::bad_request "image_too_large": more pixels than max_pixels, more bytes than
//     max_input_bytes, or a decoded size over max_decoded_bytes / max_interlaced_bytes;
//   Code::bad_request "not_an_image": not one of the four formats, or corrupt/truncated;
//   Code::internal "image_library_unavailable": libvips failed to start.
//
// Thread-safe; CPU-bound (milliseconds to ~1 s for the largest allowed image): call it
// from a worker pool, never from an I/O thread. libvips is started on the first call and
// uses one thread per call (the caller's pool provides the parallelism).
Result<Thumbnail> makeThumbnail(std::string_view image_bytes, const ImageLimits& limits);

}  // namespace parley::media
