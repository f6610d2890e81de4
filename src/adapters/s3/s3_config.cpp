#include "adapters/s3/s3_config.h"

#include <boost/url/parse.hpp>
#include <charconv>
#include <optional>

#include "adapters/aws/endpoint_url.h"
#include "adapters/aws/tls_context.h"

namespace parley::s3 {

using aws::checkCaFile;

namespace {

Error bad(std::string_view why) {
  return makeError(Code::bad_request, "s3 url: " + std::string(why));
}

bool validBucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  return true;
}

// part_mib=N: the multipart part size, 5..1024 MiB (S3's minimum part is 5 MiB).
std::optional<Error> readPartMib(const std::string& value, S3Config& c) {
  std::size_t mib = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), mib);
  if (ec != std::errc() || end != value.data() + value.size() || mib < 5 || mib > 1024) {
    return bad("part_mib must be 5..1024");
  }
  c.part_bytes = mib * 1024 * 1024;
  return std::nullopt;
}

// One ?key=value of the URL into `c`; `c.tls` is already known.
std::optional<Error> readParam(const std::string& key, const std::string& value, S3Config& c) {
  if (key == "region") {
    if (value.empty()) return bad("region is empty");
    c.region = value;
  } else if (key == "style") {
    if (value != "path" && value != "virtual") return bad("style must be path or virtual");
    c.path_style = value == "path";
  } else if (key == "part_mib") {
    return readPartMib(value, c);
  } else if (key == "ca") {
    if (!c.tls) return bad("ca= needs s3+https://");
    if (value.empty()) return bad("ca is empty");
    c.ca_file = value;
  } else {
    return bad("unknown parameter " + key);
  }
  return std::nullopt;
}

// The path names the bucket: "/BUCKET" or "/BUCKET/".
std::optional<Error> readBucket(std::string path, S3Config& c) {
  if (path.empty() || path.front() != '/') return bad("path must be /BUCKET");
  path.erase(0, 1);
  if (!path.empty() && path.back() == '/') path.pop_back();
  if (!validBucket(path)) return bad("path must be /BUCKET (3-63 of a-z 0-9 . -)");
  c.bucket = std::move(path);
  return std::nullopt;
}

}  // namespace

Result<S3Config> parseS3Url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return bad("not a URL");
  const auto& u = *parsed;
  S3Config c;
  if (u.scheme() == "s3+https") {
    c.tls = true;
    c.port = "443";
  } else if (u.scheme() != "s3" && u.scheme() != "s3+http") {
    return bad("scheme must be s3+https://, s3:// or s3+http://");
  }
  aws::EndpointParts endpoint;
  if (auto why = aws::readEndpoint(u, c.port, endpoint)) return bad(*why);
  c.credentials = std::move(endpoint.credentials);
  c.host = std::move(endpoint.host);
  c.port = std::move(endpoint.port);
  if (auto e = readBucket(u.path(), c)) return *e;
  for (auto param : u.params()) {
    if (auto e = readParam(param.key, param.value, c)) return *e;
  }
  if (!c.ca_file.empty()) {
    Status ca = checkCaFile(c.ca_file);
    if (!ca) return bad(ca.error().message);
  }
  return c;
}

}  // namespace parley::s3
