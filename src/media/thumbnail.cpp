#include "media/thumbnail.h"

#include <vips/vips.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "core/log.h"

namespace parley::media {
namespace {

// The libvips loaders that may run; every other loader is blocked.
constexpr std::array<const char*, 4> kAllowedLoaderClasses = {
    "VipsForeignLoadPng", "VipsForeignLoadJpeg", "VipsForeignLoadNsgif", "VipsForeignLoadWebp"};
// What vips_foreign_find_load_buffer answers (a GType name) for them.
constexpr std::array<std::string_view, 4> kAllowedBufferLoaders = {
    "VipsForeignLoadPngBuffer", "VipsForeignLoadJpegBuffer", "VipsForeignLoadNsgifBuffer",
    "VipsForeignLoadWebpBuffer"};

// libvips reports decoder warnings (truncated data, corrupt markers) through GLib's log,
// which would print them as free text on stderr; they belong in the JSON log, at debug
// level: hostile uploads produce them at will.
void vipsLogToOurs(const gchar* domain, GLogLevelFlags level, const gchar* message, gpointer) {
  log::debug("vips_warning", {{"domain", domain != nullptr ? domain : ""},
                              {"message", message != nullptr ? message : ""}});
}

bool startVips() {
  static const bool ok = [] {
    if (VIPS_INIT("parley") != 0) {
      log::error("vips_init_failed", {{"error", vips_error_buffer()}});
      vips_error_clear();
      return false;
    }
    g_log_set_handler("VIPS", GLogLevelFlags(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE),
                      vipsLogToOurs, nullptr);
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoad", TRUE);
    for (const char* cls : kAllowedLoaderClasses) vips_operation_block_set(cls, FALSE);
    // Each thumbnail is made once: the operation cache would only keep decoded images (and
    // references to the caller's buffer) alive.
    vips_cache_set_max(0);
    vips_concurrency_set(1);
    return true;
  }();
  return ok;
}

struct Unref {
  void operator()(VipsImage* i) const { g_object_unref(i); }
};
using ImagePtr = std::unique_ptr<VipsImage, Unref>;

Error failure(Code code, const char* word, std::string_view stage) {
  // libvips' error buffer is process-wide: with concurrent calls the text may mix two
  // failures. It is only logged, never returned to a client.
  log::debug("thumbnail_failed",
             {{"reason", word}, {"stage", stage}, {"vips", vips_error_buffer()}});
  vips_error_clear();
  return makeError(code, word);
}

Error notAnImage(std::string_view stage) {
  return failure(Code::bad_request, "not_an_image", stage);
}

bool allowedLoader(const char* nickname) {
  if (nickname == nullptr) return false;
  for (auto n : kAllowedBufferLoaders)
    if (n == nickname) return true;
  return false;
}

// What decoding takes, from the header alone: width × height × bands × bytes per band
// (a 16-bit RGBA pixel is 8 bytes).
std::uint64_t decodedBytes(VipsImage* header) {
  const auto w = static_cast<std::uint64_t>(vips_image_get_width(header));
  const auto h = static_cast<std::uint64_t>(vips_image_get_height(header));
  const auto bands = static_cast<std::uint64_t>(std::max(1, vips_image_get_bands(header)));
  const auto per_band =
      static_cast<std::uint64_t>(vips_format_sizeof(vips_image_get_format(header)));
  return w * h * bands * std::max<std::uint64_t>(1, per_band);
}

// libvips marks interlaced PNG and GIF, and progressive JPEG, "interlaced": their loaders
// decode the whole image into memory before the first line can be read.
std::uint64_t decodedLimit(VipsImage* header, const ImageLimits& limits) {
  int interlaced = 0;
  if (vips_image_get_typeof(header, "interlaced") != 0 &&
      vips_image_get_int(header, "interlaced", &interlaced) == 0 && interlaced != 0)
    return std::min(limits.max_interlaced_bytes, limits.max_decoded_bytes);
  return limits.max_decoded_bytes;
}

// Thumbnail pixels → 8-bit sRGB or grey, without alpha (JPEG has none).
Result<ImagePtr> toJpegSpace(ImagePtr img) {
  VipsInterpretation interp = vips_image_guess_interpretation(img.get());
  bool grey = interp == VIPS_INTERPRETATION_B_W || interp == VIPS_INTERPRETATION_GREY16;
  VipsImage* out = nullptr;
  if (vips_colourspace(img.get(), &out, grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB,
                       nullptr) != 0)
    return notAnImage("colourspace");
  img.reset(out);
  if (vips_image_hasalpha(img.get())) {
    VipsArrayDouble* white = vips_array_double_newv(1, 255.0);
    int r = vips_flatten(img.get(), &out, "background", white, nullptr);
    vips_area_unref(VIPS_AREA(white));
    if (r != 0) return notAnImage("flatten");
    img.reset(out);
  }
  if (vips_image_get_format(img.get()) != VIPS_FORMAT_UCHAR) {
    if (vips_cast_uchar(img.get(), &out, nullptr) != 0) return notAnImage("cast");
    img.reset(out);
  }
  return img;
}

}  // namespace

Result<Thumbnail> makeThumbnail(std::string_view bytes, const ImageLimits& limits) {
  if (!startVips()) return makeError(Code::internal, "image_library_unavailable");
  if (bytes.size() > limits.max_input_bytes)
    return failure(Code::bad_request, "image_too_large", "input_bytes");
  if (bytes.empty()) return notAnImage("empty");

  // Which loader would take it: anything but the four allowed ones is refused here (the
  // others are also blocked, this makes the answer explicit).
  if (!allowedLoader(vips_foreign_find_load_buffer(bytes.data(), bytes.size())))
    return notAnImage("format");

  // Lazy: reads the header only, no pixels are decoded yet.
  ImagePtr header(vips_image_new_from_buffer(bytes.data(), bytes.size(), "", "access",
                                             VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR,
                                             nullptr));
  if (!header) return notAnImage("header");
  const int w = vips_image_get_width(header.get());
  const int h = vips_image_get_height(header.get());
  if (w <= 0 || h <= 0) return notAnImage("dimensions");
  if (std::uint64_t(w) * std::uint64_t(h) > limits.max_pixels)
    return failure(Code::bad_request, "image_too_large", "pixels");
  if (decodedBytes(header.get()) > decodedLimit(header.get(), limits))
    return failure(Code::bad_request, "image_too_large", "decoded_bytes");
  const bool swap = vips_image_get_orientation_swap(header.get());
  header.reset();

  // Decodes (with shrink-on-load for JPEG and WebP) and resizes; EXIF orientation applied.
  const int edge = limits.thumb_edge > 0 ? limits.thumb_edge : 1;
  VipsImage* raw = nullptr;
  const int made = limits.square
                       ? vips_thumbnail_buffer(const_cast<char*>(bytes.data()), bytes.size(), &raw,
                                               edge, "height", edge, "size", VIPS_SIZE_BOTH, "crop",
                                               VIPS_INTERESTING_CENTRE, "option_string",
                                               "fail_on=error", nullptr)
                       : vips_thumbnail_buffer(const_cast<char*>(bytes.data()), bytes.size(), &raw,
                                               edge, "height", edge, "size", VIPS_SIZE_DOWN,
                                               "option_string", "fail_on=error", nullptr);
  if (made != 0) return notAnImage("decode");
  auto ready = toJpegSpace(ImagePtr(raw));
  if (!ready) return ready.error();
  ImagePtr img = std::move(*ready);

  void* buf = nullptr;
  std::size_t len = 0;
  if (vips_jpegsave_buffer(img.get(), &buf, &len, "Q", 80, "strip", TRUE, "optimize_coding", TRUE,
                           nullptr) != 0)
    return notAnImage("encode");
  Thumbnail t;
  t.jpeg.assign(static_cast<const char*>(buf), len);
  g_free(buf);
  t.width = vips_image_get_width(img.get());
  t.height = vips_image_get_height(img.get());
  t.source_width = swap ? h : w;
  t.source_height = swap ? w : h;
  return t;
}

}  // namespace parley::media
