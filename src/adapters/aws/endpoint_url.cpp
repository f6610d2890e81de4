#include "adapters/aws/endpoint_url.h"

#include <charconv>

namespace parley::aws {

std::optional<std::string> readEndpoint(boost::urls::url_view u, std::string default_port,
                                        EndpointParts& out) {
  out.credentials.access_key = u.user();
  out.credentials.secret_key = u.password();
  if (out.credentials.access_key.empty() || out.credentials.secret_key.empty()) {
    return "ACCESS_KEY:SECRET_KEY@ is required";
  }
  out.host = u.host_address();
  if (out.host.empty()) return "host is required";
  out.port = std::move(default_port);
  if (u.has_port()) {
    // "HOST:" (empty) and numbers outside 1..65535 would only fail later, at connect time.
    unsigned port = 0;
    const std::string p = u.port();
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || port == 0 || port > 65535) {
      return "port must be 1..65535";
    }
    out.port = p;
  }
  return std::nullopt;
}

}  // namespace parley::aws
