#include "adapters/vault/vault_wire.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>

#include "crypto/random.h"

namespace parley::vault {

namespace json = boost::json;

namespace {

// The string member data.<name> of a successful answer.
Result<std::string> dataMember(std::string_view body, std::string_view name) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return makeError(Code::internal, "vault: answer is not JSON");
  const json::value* data = v.as_object().if_contains("data");
  if (data == nullptr || !data->is_object()) {
    return makeError(Code::internal, "vault: answer has no data");
  }
  const json::value* m = data->as_object().if_contains(name);
  if (m == nullptr || !m->is_string()) {
    return makeError(Code::internal, "vault: answer has no data." + std::string(name));
  }
  return std::string(m->as_string());
}

}  // namespace

std::string encryptRequest(std::string_view data_key, std::string_view context) {
  json::object o;
  o["plaintext"] = json::string(crypto::base64(data_key));
  o["context"] = json::string(crypto::base64(context));
  return json::serialize(o);
}

std::string decryptRequest(std::string_view ciphertext, std::string_view context) {
  json::object o;
  o["ciphertext"] = json::string(ciphertext);
  o["context"] = json::string(crypto::base64(context));
  return json::serialize(o);
}

std::string appRoleLoginRequest(std::string_view role_id, std::string_view secret_id) {
  json::object o;
  o["role_id"] = json::string(role_id);
  o["secret_id"] = json::string(secret_id);
  return json::serialize(o);
}

Result<TokenLease> tokenLeaseAnswer(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return makeError(Code::internal, "vault login: answer is not JSON");
  const json::value* auth = v.as_object().if_contains("auth");
  if (auth == nullptr || !auth->is_object()) {
    return makeError(Code::internal, "vault login: answer has no auth");
  }
  const json::object& a = auth->as_object();
  const json::value* token = a.if_contains("client_token");
  const json::value* lease = a.if_contains("lease_duration");
  const json::value* renewable = a.if_contains("renewable");
  if (token == nullptr || !token->is_string()) {
    return makeError(Code::internal, "vault login: answer has no auth.client_token");
  }
  constexpr std::int64_t kTenYears = 10LL * 366 * 24 * 3600;
  if (lease == nullptr || !lease->is_int64() || lease->as_int64() < 0 ||
      lease->as_int64() > kTenYears) {
    return makeError(Code::internal, "vault login: auth.lease_duration is not 0..10 years");
  }
  const std::string_view t = token->as_string();
  bool printable = !t.empty() && t.size() <= 4096;
  for (char ch : t) printable = printable && ch > ' ' && ch <= '~';
  if (!printable) {
    return makeError(Code::internal,
                     "vault login: auth.client_token is not 1..4096 printable bytes");
  }
  TokenLease out;
  out.token = std::string(t);
  out.ttl = std::chrono::seconds(lease->as_int64());
  out.renewable = renewable != nullptr && renewable->is_bool() && renewable->as_bool();
  return out;
}

std::optional<std::uint32_t> ciphertextVersion(std::string_view c) {
  constexpr std::string_view kPrefix = "vault:v";
  if (c.size() > kMaxCiphertext || c.rfind(kPrefix, 0) != 0) return std::nullopt;
  c.remove_prefix(kPrefix.size());
  std::uint32_t n = 0;
  auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), n);
  if (ec != std::errc() || n == 0 || n > 0x7fffffffu || end == c.data() || *c.data() == '0') {
    return std::nullopt;
  }
  const std::string_view rest(end, c.data() + c.size() - end);
  if (rest.size() < 2 || rest.front() != ':') return std::nullopt;
  if (!crypto::fromBase64(rest.substr(1))) return std::nullopt;
  return n;
}

Result<std::string> encryptAnswer(std::string_view body) {
  auto c = dataMember(body, "ciphertext");
  if (!c) return c.error();
  if (!ciphertextVersion(*c)) {
    return makeError(Code::internal, "vault encrypt: the ciphertext is not vault:vN:<base64>");
  }
  return std::move(*c);
}

Result<std::string> decryptAnswer(std::string_view body, std::size_t key_bytes) {
  auto p = dataMember(body, "plaintext");
  if (!p) return p.error();
  if (p->size() > 4 * key_bytes) {
    return makeError(Code::internal, "vault decrypt: the plaintext is not a data key");
  }
  auto key = crypto::fromBase64(*p);
  if (!key) return makeError(Code::internal, "vault decrypt: the plaintext is not base64");
  if (key->size() != key_bytes) {
    return makeError(Code::internal, "vault decrypt: the plaintext is not a 32-byte data key");
  }
  return std::move(*key);
}

std::string errorText(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  std::string out;
  if (ec || !v.is_object()) return out;
  const json::value* errors = v.as_object().if_contains("errors");
  if (errors == nullptr || !errors->is_array()) return out;
  constexpr std::size_t kMax = 300;
  for (const auto& e : errors->as_array()) {
    if (!e.is_string()) continue;
    if (!out.empty()) out += "; ";
    for (char ch : e.as_string()) {
      if (out.size() >= kMax) break;
      out += (ch >= ' ' && ch <= '~') ? ch : ' ';  // Vault nests "\n\t* " in some errors
    }
    if (out.size() >= kMax) break;
  }
  if (out.size() > kMax) out.resize(kMax);  // the "; " after an error that ended at the bound
  return out;
}

bool retryable(int status) { return status >= 500 || status == 429; }

}  // namespace parley::vault
