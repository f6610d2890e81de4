#include "adapters/vault/vault_config.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <charconv>
#include <optional>

#include "adapters/aws/tls_context.h"

namespace parley::vault {

namespace {

Error bad(std::string_view why) {
  return makeError(Code::bad_request, "vault url: " + std::string(why));
}

// Transit key names and mount segments: letters, digits, '_', '-', '.' (not "." or "..").
bool validSegment(std::string_view s) {
  if (s.empty() || s.size() > 128 || s == "." || s == "..") return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> readPort(boost::urls::url_view u, std::string& port) {
  if (!u.has_port()) return std::nullopt;
  unsigned n = 0;
  const std::string p = u.port();
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
  if (p.empty() || ec != std::errc() || end != p.data() + p.size() || n == 0 || n > 65535) {
    return "port must be 1..65535";
  }
  port = p;
  return std::nullopt;
}

// "/MOUNT.../keys/NAME" → mount and key name.
std::optional<std::string> readPath(std::string path, VaultConfig& c) {
  constexpr std::string_view kShape = "path must be /MOUNT/keys/NAME (e.g. /transit/keys/parley)";
  if (path.empty() || path.front() != '/') return std::string(kShape);
  const auto keys = path.rfind("/keys/");
  if (keys == std::string::npos || keys == 0) return std::string(kShape);
  c.mount = path.substr(1, keys - 1);
  c.key_name = path.substr(keys + 6);
  if (!validSegment(c.key_name)) return std::string(kShape) + "; NAME is [A-Za-z0-9_.-]";
  std::string_view rest = c.mount;
  if (rest.empty()) return std::string(kShape);
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    if (!validSegment(rest.substr(0, slash))) return std::string(kShape);
    rest = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    if (slash != std::string_view::npos && rest.empty()) return std::string(kShape);
  }
  return std::nullopt;
}

std::optional<std::string> readParams(boost::urls::url_view u, VaultConfig& c) {
  for (auto param : u.params()) {
    const std::string key = param.key;
    const std::string value = param.value;
    if (key == "ca") {
      if (!c.tls) return "ca= needs vault+https://";
      if (value.empty()) return "ca is empty";
      c.ca_file = value;
    } else if (key == "namespace") {
      if (value.empty() || value.size() > 256) return "namespace must be 1..256 characters";
      for (char ch : value) {
        if (ch <= ' ' || ch > '~') return "namespace must be printable ASCII";
      }
      c.vault_namespace = value;
    } else if (key == "approle_mount") {
      std::string_view rest = value;
      if (rest.empty()) return "approle_mount is empty";
      while (!rest.empty()) {  // auth mounts nest like secret mounts: a/b/approle
        const auto slash = rest.find('/');
        if (!validSegment(rest.substr(0, slash))) return "approle_mount is [A-Za-z0-9_.-] segments";
        rest = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
        if (slash != std::string_view::npos && rest.empty()) return "approle_mount ends with /";
      }
      c.approle_mount = value;
    } else {
      return "unknown parameter " + key.substr(0, 64);
    }
  }
  return std::nullopt;
}

}  // namespace

bool isVaultUrl(std::string_view url) {
  return url.rfind("vault+", 0) == 0 || url.rfind("vault:", 0) == 0;
}

Result<VaultConfig> parseVaultUrl(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return bad("not a URL");
  const auto& u = *parsed;
  VaultConfig c;
  if (u.scheme() == "vault+https") {
    c.tls = true;
  } else if (u.scheme() != "vault+http") {
    return bad("scheme must be vault+https:// or vault+http://");
  }
  if (u.has_userinfo()) {
    return bad(
        "no credentials in the URL: give the token in PARLEY_VAULT_TOKEN or "
        "--vault-token-file");
  }
  c.host = u.host_address();
  if (c.host.empty()) return bad("host is required");
  if (auto why = readPort(u, c.port)) return bad(*why);
  if (auto why = readPath(u.path(), c)) return bad(*why);
  if (u.has_fragment()) return bad("no #fragment allowed");
  if (auto why = readParams(u, c)) return bad(*why);
  if (!c.ca_file.empty()) {
    Status ca = aws::checkCaFile(c.ca_file);
    if (!ca) return bad(ca.error().message);
  }
  return c;
}

Result<std::string> checkCredential(std::string_view raw, std::string_view what) {
  const std::string name(what);
  const auto first = raw.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos)
    return makeError(Code::bad_request, "the " + name + " is empty");
  raw = raw.substr(first, raw.find_last_not_of(" \t\r\n") - first + 1);
  if (raw.size() > 4096) return makeError(Code::bad_request, "the " + name + " is over 4096 bytes");
  for (char ch : raw) {
    if (ch <= ' ' || ch > '~') {
      return makeError(Code::bad_request,
                       "the " + name + " holds a character that is not printable");
    }
  }
  return std::string(raw);
}

Result<std::string> checkToken(std::string_view raw) { return checkCredential(raw, "token"); }

}  // namespace parley::vault
