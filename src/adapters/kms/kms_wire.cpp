#include "adapters/kms/kms_wire.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "crypto/random.h"

namespace parley::kms {

namespace json = boost::json;

namespace {

json::object contextObject(std::string_view context) {
  json::object ctx;
  ctx[kContextKey] = json::string(context);
  return ctx;
}

std::string afterHash(std::string_view s) {
  const auto hash = s.rfind('#');
  return std::string(hash == std::string_view::npos ? s : s.substr(hash + 1));
}

// The text of the first <tag>…</tag> in `xml`, or "".
std::string xmlText(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const auto start = xml.find(open);
  if (start == std::string_view::npos) return "";
  const auto from = start + open.size();
  const auto end = xml.find(close, from);
  if (end == std::string_view::npos) return "";
  return std::string(xml.substr(from, end - from));
}

}  // namespace

std::string encryptRequest(std::string_view key_id, std::string_view plaintext,
                           std::string_view context) {
  json::object o;
  o["KeyId"] = json::string(key_id);
  o["Plaintext"] = json::string(crypto::base64(plaintext));
  o["EncryptionContext"] = contextObject(context);
  return json::serialize(o);
}

std::string decryptRequest(std::string_view ciphertext, std::string_view context) {
  json::object o;
  o["CiphertextBlob"] = json::string(crypto::base64(ciphertext));
  o["EncryptionContext"] = contextObject(context);
  return json::serialize(o);
}

Result<std::string> responseBlob(std::string_view body, std::string_view member) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return makeError(Code::internal, "kms: answer is not a JSON object");
  const json::value* m = v.as_object().if_contains(member);
  if (m == nullptr || !m->is_string()) {
    return makeError(Code::internal, "kms: answer has no " + std::string(member));
  }
  auto blob = crypto::fromBase64(std::string_view(m->as_string()));
  if (!blob) return makeError(Code::internal, "kms: " + std::string(member) + " is not base64");
  return std::move(*blob);
}

KmsError parseError(std::string_view body, std::string_view type_header) {
  KmsError e;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    const auto& o = v.as_object();
    if (const auto* t = o.if_contains("__type"); t && t->is_string()) {
      e.type = afterHash(t->as_string());
    }
    for (const char* name : {"message", "Message"}) {
      if (const auto* m = o.if_contains(name); m && m->is_string()) {
        e.message = std::string(m->as_string());
        break;
      }
    }
  }
  if (e.type.empty()) {
    // Not JSON: the XML error some front ends (and moto's signature check) answer with.
    e.type = xmlText(body, "Code");
    if (e.message.empty()) e.message = xmlText(body, "Message");
  }
  if (e.type.empty() && !type_header.empty()) {
    e.type = std::string(type_header.substr(0, type_header.find(':')));
  }
  return e;
}

bool retryable(int status, std::string_view type) {
  if (status >= 500 || status == 429) return true;
  return type == "ThrottlingException" || type == "KMSInternalException" ||
         type == "DependencyTimeoutException" || type == "RequestTimeoutException";
}

}  // namespace parley::kms
