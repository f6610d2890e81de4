#include "adapters/aws/tls_context.h"

#include <openssl/ssl.h>

#include <filesystem>

namespace parley::aws {

namespace ssl = boost::asio::ssl;

Result<std::shared_ptr<ssl::context>> makeTlsContext(const std::string& ca_file) {
  const std::string from = ca_file.empty() ? "the system trust store" : ca_file;
  auto fail = [&](const std::string& why) {
    return makeError(Code::internal, "https: cannot load " + from + ": " + why);
  };
  // Not a device or a FIFO: reading one could block or never end.
  std::error_code fec;
  if (!ca_file.empty() && !std::filesystem::is_regular_file(ca_file, fec)) {
    return fail("not a regular file");
  }
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (!ec) {
    if (ca_file.empty()) {
      ctx->set_default_verify_paths(ec);
    } else {
      ctx->load_verify_file(ca_file, ec);
    }
  }
  if (ec) return fail(ec.message());
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  return ctx;
}

Status checkCaFile(const std::string& ca_file) {
  auto ctx = makeTlsContext(ca_file);
  if (!ctx) return makeError(Code::bad_request, ctx.error().message);
  return Status{};
}

}  // namespace parley::aws
