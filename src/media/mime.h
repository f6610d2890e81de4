// What kind of file a byte string is, from its content (never from a name or a client's
// Content-Type header).
#pragma once

#include <string>
#include <string_view>

namespace parley::media {

// The MIME type libmagic detects in `head`, the first bytes of a file ("image/png",
// "application/pdf", "text/plain", "application/octet-stream" when nothing matches,
// "application/x-empty" for no bytes). Only the first kMimeSniffBytes of `head` are looked
// at; a few KiB are enough for every format Parley treats specially. Compressed files are
// not decompressed to look inside. Thread-safe; the magic database is loaded once, on the
// first call. Never fails: if libmagic itself fails the answer is
// "application/octet-stream".
std::string detectMime(std::string_view head);

inline constexpr std::size_t kMimeSniffBytes = 256 * 1024;

// The types makeThumbnail (thumbnail.h) accepts and that are served inline: image/png,
// image/jpeg, image/gif, image/webp.
bool isThumbnailable(std::string_view mime);

}  // namespace parley::media
