#include "api/tls_contexts.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>

namespace parley::api {

namespace ssl = boost::asio::ssl;

namespace {

// Mozilla's "intermediate" configuration (version 5.7) for TLS 1.2; TLS 1.3 keeps
// OpenSSL's default suites, which are those Mozilla lists.
constexpr const char* kCiphers12 =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

// What OpenSSL queued about the last failure, oldest first, on one line.
std::string openSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown error" : out;
}

Error tlsError(const std::string& what, const std::string& file) {
  return Error{Code::bad_request, what + " " + file + ": " + openSslErrors()};
}

Result<TlsContexts::ContextPtr> makeContext(const std::string& cert_file,
                                            const std::string& key_file) {
  ERR_clear_error();
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_SSLv3 |
                                  SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1);
  // Buffers are given back while a connection is idle (most WebSockets, most of the time).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(native, kCiphers12) != 1)
    return tlsError("cannot set the cipher list for", cert_file);
  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1)
    return tlsError("--tls-cert: cannot use the PEM certificate chain in", cert_file);
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return tlsError("--tls-key: cannot use the PEM private key in", key_file);
  if (SSL_CTX_check_private_key(native) != 1)
    return tlsError("--tls-key: the key does not match the certificate in", cert_file);
  return ctx;
}

}  // namespace

TlsContexts::TlsContexts(std::string cert_file, std::string key_file, ContextPtr first)
    : cert_file_(std::move(cert_file)),
      key_file_(std::move(key_file)),
      current_(std::move(first)) {}

Result<std::shared_ptr<TlsContexts>> TlsContexts::load(std::string cert_file,
                                                       std::string key_file) {
  auto ctx = makeContext(cert_file, key_file);
  if (!ctx) return ctx.error();
  return std::shared_ptr<TlsContexts>(
      new TlsContexts(std::move(cert_file), std::move(key_file), std::move(*ctx)));
}

TlsContexts::ContextPtr TlsContexts::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

Status TlsContexts::reload() {
  auto ctx = makeContext(cert_file_, key_file_);
  if (!ctx) return ctx.error();
  std::lock_guard lock(mutex_);
  current_ = std::move(*ctx);
  ++generation_;
  return {};
}

std::uint64_t TlsContexts::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

}  // namespace parley::api
