// The --blobs s3 URL parser on arbitrary text.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/s3/s3_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = parley::s3::parseS3Url(text);
  if (c) {
    if (c->bucket.size() < 3 || c->bucket.size() > 63 || c->host.empty() || c->port.empty())
      std::abort();
    if (!c->ca_file.empty() && !c->tls) std::abort();
  } else if (c.error().code != parley::Code::bad_request) {
    std::abort();
  }
  return 0;
}
