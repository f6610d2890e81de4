// The parts of the S3 wire format the adapter reads and writes, as pure functions (tested
// without a server): request targets for both addressing styles, the few XML elements of
// S3's responses it needs, and S3's two timestamp forms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/aws/sigv4.h"
#include "adapters/s3/s3_config.h"

namespace parley::s3 {

// Where a request goes and what Host it names. `key` empty means the bucket itself.
struct Address {
  std::string connect_host;  // resolved and connected to
  std::string host_header;  // HOST[:PORT] (port omitted when the scheme's default), bucket-prefixed
                            // if virtual
  std::string tls_name;     // the name the server's certificate must carry: host_header's host
  std::string path;         // canonical URI: URI-encoded, '/' kept
};
Address addressFor(const S3Config& c, std::string_view key);

// Inner text of every <tag>...</tag> in `xml` (entities decoded), in document order. S3's
// responses are flat and small enough that this is all the XML reading the adapter needs;
// only element content is read, never attributes, DTDs or entities beyond the five
// predefined ones and numeric references.
std::vector<std::string> xmlElements(std::string_view xml, std::string_view tag);
std::optional<std::string> xmlFirst(std::string_view xml, std::string_view tag);
std::string xmlEscape(std::string_view text);

// "2026-11-28T17:29:19.000Z" (ListObjectsV2 LastModified) and
// "Sat, 28 Nov 2026 17:29:19 GMT" (HTTP Last-Modified) to ms since the epoch.
std::optional<std::int64_t> parseIso8601Ms(std::string_view s);
std::optional<std::int64_t> parseHttpDateMs(std::string_view s);

// "YYYYMMDDTHHMMSSZ" for `ms` since the epoch.
std::string amzDate(std::int64_t ms);

}  // namespace parley::s3
