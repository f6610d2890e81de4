// S3's answers: the XML reader and the two date forms on arbitrary bytes, and escaping
// round-trips through the reader.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "adapters/s3/s3_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (std::string_view tag : {"Contents", "Key", "Code", "UploadId", "IsTruncated", ""}) {
    for (const std::string& e : parley::s3::xmlElements(text, tag)) (void)e.size();
    (void)parley::s3::xmlFirst(text, tag);
  }
  (void)parley::s3::parseIso8601Ms(text);
  (void)parley::s3::parseHttpDateMs(text);
  // Whatever text is escaped comes back unchanged from the element reader.
  const std::string xml = "<Key>" + parley::s3::xmlEscape(text) + "</Key>";
  auto back = parley::s3::xmlFirst(xml, "Key");
  if (!back || *back != text) std::abort();
  return 0;
}
