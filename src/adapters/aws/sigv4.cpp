#include "adapters/aws/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

namespace parley::aws {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trimmed, inner runs of spaces collapsed to one (the canonical header value rule).
std::string canonicalValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Lower-cased names, sorted; values of a repeated name joined by ',' in the order given.
std::vector<std::pair<std::string, std::string>> canonicalHeaders(const Pairs& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : headers) out.emplace_back(lower(name), canonicalValue(value));
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::string>> merged;
  for (auto& h : out) {
    if (!merged.empty() && merged.back().first == h.first) {
      merged.back().second += "," + h.second;
    } else {
      merged.push_back(std::move(h));
    }
  }
  return merged;
}

}  // namespace

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

std::string sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string uriEncode(std::string_view s, bool encode_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    const bool unreserved = alnum || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (c == '/' && !encode_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xf];
    }
  }
  return out;
}

std::string canonicalQuery(const Pairs& query) {
  std::vector<std::pair<std::string, std::string>> enc;
  for (const auto& [k, v] : query) enc.emplace_back(uriEncode(k, true), uriEncode(v, true));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::string signedHeaders(const Pairs& headers) {
  std::string out;
  for (const auto& [name, value] : canonicalHeaders(headers)) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

std::string canonicalRequest(const SigningRequest& r) {
  std::string out = r.method + "\n" + r.canonical_uri + "\n" + canonicalQuery(r.query) + "\n";
  for (const auto& [name, value] : canonicalHeaders(r.headers)) out += name + ":" + value + "\n";
  out += "\n" + signedHeaders(r.headers) + "\n" + r.payload_hash;
  return out;
}

std::string credentialScope(std::string_view amz_date, std::string_view region,
                            std::string_view service) {
  std::string scope(amz_date.substr(0, 8));
  scope += "/";
  scope += region;
  scope += "/";
  scope += service;
  scope += "/aws4_request";
  return scope;
}

std::string stringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out = "AWS4-HMAC-SHA256\n";
  out += amz_date;
  out += "\n";
  out += scope;
  out += "\n";
  out += sha256Hex(canonical_request);
  return out;
}

std::string signingKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string k = hmacSha256("AWS4" + std::string(secret), date);
  k = hmacSha256(k, region);
  k = hmacSha256(k, service);
  return hmacSha256(k, "aws4_request");
}

std::string signature(const SigningRequest& r, const Credentials& c, std::string_view region,
                      std::string_view service, std::string_view amz_date) {
  const std::string scope = credentialScope(amz_date, region, service);
  const std::string key = signingKey(c.secret_key, amz_date.substr(0, 8), region, service);
  return hex(hmacSha256(key, stringToSign(amz_date, scope, canonicalRequest(r))));
}

std::string authorization(const SigningRequest& r, const Credentials& c, std::string_view region,
                          std::string_view service, std::string_view amz_date) {
  return "AWS4-HMAC-SHA256 Credential=" + c.access_key + "/" +
         credentialScope(amz_date, region, service) +
         ", SignedHeaders=" + signedHeaders(r.headers) +
         ", Signature=" + signature(r, c, region, service, amz_date);
}

}  // namespace parley::aws
