#include "adapters/redis/cluster_slot.h"

#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <charconv>

namespace parley::redis {
namespace {

constexpr std::string_view kScheme = "redis+cluster://";
constexpr std::size_t kMaxSeeds = 64;

std::uint16_t crc16(std::string_view bytes) {
  std::uint16_t crc = 0;
  for (unsigned char c : bytes) {
    crc ^= static_cast<std::uint16_t>(c) << 8;
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

Error badUrl(std::string why) {
  return makeError(Code::bad_request,
                   "expected redis+cluster://[[user]:password@]host:port[,host:port...]: " + why);
}

bool hostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

// HOST:PORT or [IPv6]:PORT.
Result<Endpoint> parseSeed(std::string_view seed) {
  Endpoint ep;
  std::string_view port;
  if (!seed.empty() && seed.front() == '[') {
    const auto close = seed.find(']');
    if (close == std::string_view::npos || close + 1 >= seed.size() || seed[close + 1] != ':')
      return badUrl("a bracketed IPv6 seed needs ]:port");
    ep.host = std::string(seed.substr(1, close - 1));
    port = seed.substr(close + 2);
    auto addr = boost::urls::parse_ipv6_address(ep.host);
    if (!addr) return badUrl("not an IPv6 address: " + ep.host);
  } else {
    const auto colon = seed.rfind(':');
    if (colon == std::string_view::npos) return badUrl("every seed needs :port");
    ep.host = std::string(seed.substr(0, colon));
    port = seed.substr(colon + 1);
    if (ep.host.empty() || ep.host.size() > 253) return badUrl("a seed has no host");
    for (char c : ep.host) {
      if (!hostChar(c)) return badUrl("a seed's host holds a character outside [A-Za-z0-9._-]");
    }
  }
  unsigned number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || number == 0 ||
      number > 65535)
    return badUrl("a seed's port must be 1 to 65535");
  ep.port = std::string(port);
  return ep;
}

}  // namespace

std::uint16_t keySlot(std::string_view key) {
  const auto open = key.find('{');
  if (open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1)
      key = key.substr(open + 1, close - open - 1);
  }
  return static_cast<std::uint16_t>(crc16(key) % kClusterSlots);
}

std::string withoutHashTag(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '%') {
      out += "%25";
    } else if (c == '{') {
      out += "%7B";
    } else if (c == '}') {
      out += "%7D";
    } else {
      out += c;
    }
  }
  return out;
}

bool isClusterUrl(std::string_view url) { return url.starts_with(kScheme); }

Result<std::vector<Endpoint>> parseClusterUrl(std::string_view url) {
  if (!isClusterUrl(url)) return badUrl("the scheme must be redis+cluster");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("/?#") != std::string_view::npos)
    return badUrl("no path, query or fragment (a cluster has only database 0)");
  std::string user;
  std::string password;
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    // Userinfo as in redis:// URLs, percent-decoded by Boost.URL.
    std::string single = "redis://" + std::string(rest.substr(0, at)) + "@h";
    auto parsed = boost::urls::parse_uri(single);
    if (!parsed || !parsed->has_userinfo()) return badUrl("malformed user:password@");
    user = parsed->user();
    password = parsed->password();
    rest = rest.substr(at + 1);
  }
  std::vector<Endpoint> seeds;
  while (true) {
    const auto comma = rest.find(',');
    auto seed = parseSeed(rest.substr(0, comma));
    if (!seed) return seed.error();
    seed->user = user;
    seed->password = password;
    seeds.push_back(std::move(*seed));
    if (seeds.size() > kMaxSeeds) return badUrl("at most 64 seeds");
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return seeds;
}

}  // namespace parley::redis
