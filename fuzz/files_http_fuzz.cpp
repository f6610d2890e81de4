// The file endpoints' header parsing: the Range header, the upload name in the query, the
// route, and the names that go back out in Content-Disposition. Besides not crashing, checks
// what the server relies on: a partial range lies inside the file, and no sanitised name or
// header value can carry a control character, quote, backslash or slash.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "api/files_http.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::uint64_t file_size = 0;
  if (size >= sizeof file_size) {
    std::memcpy(&file_size, data, sizeof file_size);
    data += sizeof file_size;
    size -= sizeof file_size;
  }
  file_size %= (1ull << 40);
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  using parley::api::RangeRequest;
  const RangeRequest r = parley::api::parseRange(text, file_size);
  if (r.kind == RangeRequest::Kind::partial) {
    check(r.length > 0);
    check(r.offset < file_size);
    check(r.length <= file_size - r.offset);
  }

  const std::string clean = parley::api::sanitizeFileName(text);
  check(!clean.empty());
  for (unsigned char c : clean) {
    check(c >= 0x20 && c != 0x7f && c != '"' && c != '\\' && c != '/');
  }
  for (bool as_inline : {true, false}) {
    const std::string header = parley::api::contentDisposition(text, as_inline);
    for (unsigned char c : header) check(c >= 0x20 && c != 0x7f);
  }

  std::string target = "/api/v1/rooms/1/files?name=";
  target += text;
  (void)parley::api::uploadName(target);
  (void)parley::api::wantsDownload(text);
  (void)parley::api::matchFileRoute("GET", text);
  (void)parley::api::matchFileRoute("POST", text);
  return 0;
}
