#include "adapters/kms/kms_config.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <optional>

#include "adapters/aws/endpoint_url.h"
#include "adapters/aws/tls_context.h"

namespace parley::kms {

namespace {

Error bad(std::string_view why) {
  return makeError(Code::bad_request, "kms url: " + std::string(why));
}

// Key ids, ARNs and aliases are printable ASCII without spaces (AWS: 1..2048 characters).
bool validKeyId(std::string_view id) {
  if (id.empty() || id.size() > 2048) return false;
  for (char c : id) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

// One ?key=value of the URL into `c`; `c.tls` is already known.
std::optional<Error> readParam(const std::string& key, const std::string& value, KmsConfig& c) {
  if (key == "region") {
    if (value.empty()) return bad("region is empty");
    c.region = value;
  } else if (key == "ca") {
    if (!c.tls) return bad("ca= needs kms+https://");
    if (value.empty()) return bad("ca is empty");
    c.ca_file = value;
  } else {
    return bad("unknown parameter " + key);
  }
  return std::nullopt;
}

}  // namespace

bool isKmsUrl(std::string_view url) {
  return url.rfind("kms+", 0) == 0 || url.rfind("kms:", 0) == 0;
}

Result<KmsConfig> parseKmsUrl(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return bad("not a URL");
  const auto& u = *parsed;
  KmsConfig c;
  if (u.scheme() == "kms+https") {
    c.tls = true;
    c.port = "443";
  } else if (u.scheme() != "kms+http") {
    return bad("scheme must be kms+https:// or kms+http://");
  }
  aws::EndpointParts endpoint;
  if (auto why = aws::readEndpoint(u, c.port, endpoint)) return bad(*why);
  c.credentials = std::move(endpoint.credentials);
  c.host = std::move(endpoint.host);
  c.port = std::move(endpoint.port);
  std::string path = u.path();  // percent-decoded
  if (path.empty() || path.front() != '/') return bad("path must be /KEY_ID");
  path.erase(0, 1);
  if (!validKeyId(path)) return bad("path must be /KEY_ID (a key id, key ARN or alias/NAME)");
  c.key_id = path;
  if (u.has_fragment()) return bad("no #fragment allowed");
  for (auto param : u.params()) {
    if (auto e = readParam(param.key, param.value, c)) return *e;
  }
  if (!c.ca_file.empty()) {
    Status ca = aws::checkCaFile(c.ca_file);
    if (!ca) return bad(ca.error().message);
  }
  return c;
}

std::string redactedKmsUrl(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return "";
  boost::urls::url u(*parsed);
  if (u.has_password()) u.set_password("***");
  return std::string(u.buffer());
}

}  // namespace parley::kms
