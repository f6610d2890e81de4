#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "adapters/kafka/kafka_options.h"

namespace parley::kafka {
namespace {

Error bad(const std::string& why) {
  return makeError(Code::bad_request,
                   why + " (expected kafka://HOST:PORT[,HOST:PORT...][?topic=T&partitions=N])");
}

bool parsePositive(std::string_view s, long max, long& out) {
  if (s.empty() || s.size() > 6) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out >= 1 && out <= max;
}

bool hostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

// HOST:PORT, HOST a name, an IPv4 address or a bracketed IPv6 address.
bool validBroker(std::string_view b) {
  const auto colon = b.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = b.substr(0, colon);
  long port = 0;
  if (!parsePositive(b.substr(colon + 1), 65535, port)) return false;
  if (host.front() == '[') {
    if (host.size() < 4 || host.back() != ']') return false;
    return std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
  }
  return host.size() <= 253 && std::all_of(host.begin(), host.end(), hostChar);
}

// Kafka's own rule for topic names.
bool validTopic(std::string_view t) {
  return !t.empty() && t.size() <= 249 && t != "." && t != ".." &&
         std::all_of(t.begin(), t.end(), hostChar);
}

Result<std::string> percentDecoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    unsigned v = 0;
    if (i + 2 >= s.size()) return bad("bad percent-encoding");
    auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
    if (ec != std::errc() || p != s.data() + i + 3) return bad("bad percent-encoding");
    out += static_cast<char>(v);
    i += 2;
  }
  if (out.find('\0') != std::string::npos) return bad("a parameter holds a NUL byte");
  return out;
}

const std::set<std::string, std::less<>> kClientKeys = {
    "security.protocol", "sasl.mechanism",           "sasl.username",    "sasl.password",
    "ssl.ca.location",   "ssl.certificate.location", "ssl.key.location", "ssl.key.password"};

Status checkClient(const std::map<std::string, std::string>& c) {
  static const std::set<std::string, std::less<>> protocols = {"plaintext", "ssl", "sasl_plaintext",
                                                               "sasl_ssl"};
  static const std::set<std::string, std::less<>> mechanisms = {"PLAIN", "SCRAM-SHA-256",
                                                                "SCRAM-SHA-512"};
  auto get = [&](const char* k) { return c.contains(k) ? c.at(k) : std::string(); };
  const std::string proto = get("security.protocol");
  if (!proto.empty() && !protocols.contains(proto))
    return bad("security.protocol must be plaintext, ssl, sasl_plaintext or sasl_ssl");
  const bool sasl = proto.starts_with("sasl_");
  const std::string mech = get("sasl.mechanism");
  if (!mech.empty() && !mechanisms.contains(mech))
    return bad("sasl.mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
  const bool has_sasl = !mech.empty() || c.contains("sasl.username") || c.contains("sasl.password");
  if (has_sasl != sasl) return bad("sasl.* go with security.protocol=sasl_plaintext|sasl_ssl");
  if (sasl && (mech.empty() || get("sasl.username").empty() || !c.contains("sasl.password")))
    return bad("SASL needs sasl.mechanism, sasl.username and sasl.password");
  const bool tls = proto == "ssl" || proto == "sasl_ssl";
  if (mech == "PLAIN" && !tls)
    return bad("sasl.mechanism=PLAIN sends the password: only with sasl_ssl");
  for (const auto& [k, v] : c) {
    if (k.starts_with("ssl.") && !tls) return bad(k + " goes with security.protocol=ssl|sasl_ssl");
  }
  return {};
}

Status parseQuery(std::string_view query, KafkaOptions& o) {
  std::set<std::string, std::less<>> seen;
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) return bad("parameter without a value");
    const std::string key(pair.substr(0, eq));
    auto value = percentDecoded(pair.substr(eq + 1));
    if (!value) return value.error();
    if (!seen.insert(key).second) return bad("parameter " + key + " given twice");
    long n = 0;
    if (key == "topic") {
      if (!validTopic(*value)) return bad("topic must be 1-249 of [A-Za-z0-9._-]");
      o.topic = *value;
    } else if (key == "partitions") {
      if (!parsePositive(*value, 1024, n)) return bad("partitions must be 1 to 1024");
      o.partitions = static_cast<int>(n);
    } else if (kClientKeys.contains(key)) {
      o.client[key] = *value;
    } else {
      return bad("unknown parameter " + key);
    }
  }
  return checkClient(o.client);
}

}  // namespace

bool isKafkaUrl(std::string_view url) { return url.starts_with("kafka://"); }

Result<KafkaOptions> parseKafkaUrl(std::string_view url) {
  if (!isKafkaUrl(url)) return bad("not a kafka:// URL");
  std::string_view rest = url.substr(8);
  const auto q = rest.find('?');
  std::string_view authority = rest.substr(0, q);
  if (authority.ends_with('/')) authority.remove_suffix(1);
  KafkaOptions o;
  while (true) {
    const auto comma = authority.find(',');
    std::string_view broker = authority.substr(0, comma);
    // Not echoed: a URL with user:password@ in it would print the password.
    if (!validBroker(broker))
      return bad("broker " + std::to_string(o.brokers.size() + 1) + " is not HOST:PORT");
    o.brokers.emplace_back(broker);
    if (comma == std::string_view::npos) break;
    authority = authority.substr(comma + 1);
  }
  if (o.brokers.size() > 64) return bad("more than 64 brokers");
  if (q != std::string_view::npos) {
    if (auto st = parseQuery(rest.substr(q + 1), o); !st) return st.error();
  }
  return o;
}

std::string redactedKafkaUrl(const KafkaOptions& o) {
  std::string out = "kafka://";
  for (std::size_t i = 0; i < o.brokers.size(); ++i) out += (i ? "," : "") + o.brokers[i];
  out += "?topic=" + o.topic + "&partitions=" + std::to_string(o.partitions);
  for (const auto& [k, v] : o.client)
    out += "&" + k + "=" + (k.ends_with("password") ? "REDACTED" : v);
  return out;
}

}  // namespace parley::kafka
