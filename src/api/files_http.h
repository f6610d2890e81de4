// The HTTP shape of the file endpoints (docs/api.md, "Files"), without Beast: which requests
// they are, the Range header, and the response headers. server.cpp streams the bodies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "domain/types.h"
#include "service/files.h"

namespace parley::api {

struct FileRoute {
  enum class Kind { upload, download, thumbnail };
  Kind kind = Kind::upload;
  RoomId room = 0;
  std::string id;  // download and thumbnail; checked by the service, never trusted here
};

// POST /api/v1/rooms/{room}/files, GET|HEAD /api/v1/rooms/{room}/files/{id}[/thumbnail].
// `path` is the target without its query. nullopt for every other request.
std::optional<FileRoute> matchFileRoute(std::string_view method, std::string_view path);

// The decoded `name` query parameter of an upload target (bad_request when missing).
Result<std::string> uploadName(std::string_view target);
// true when the target's query has download=1.
bool wantsDownload(std::string_view target);

// What a Range header asks of a file of `size` bytes: the whole file (no header, several
// ranges, or one that does not parse: ignored as RFC 9110 allows), one satisfiable range
// (206), or none that can be satisfied (416).
struct RangeRequest {
  enum class Kind { whole, partial, unsatisfiable };
  Kind kind = Kind::whole;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};
RangeRequest parseRange(std::string_view header, std::uint64_t size);

// The file name as it may appear in a header: its last path part, without control or
// bidirectional-override characters, quotes, backslashes or slashes; "file" if nothing is
// left.
std::string sanitizeFileName(std::string_view name);
// `inline|attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>`.
std::string contentDisposition(std::string_view name, bool as_inline);

// Types a browser may show inline: png, jpeg, gif, webp.
bool isInlineSafe(std::string_view mime);

// The headers of a file response (docs/api.md), without Content-Length and Content-Range.
std::vector<std::pair<std::string, std::string>> fileHeaders(const OpenedFile& f, bool download);

}  // namespace parley::api
