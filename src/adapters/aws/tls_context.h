// The TLS client context of the AWS adapters: peer verification on, TLS 1.2 at least, trust
// from the system's store or from a PEM file of CAs. No Beast here.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "core/error.h"

namespace parley::aws {

// Code::internal with the reason if the trust store cannot be loaded: `ca_file` (if not
// empty) must be a readable regular PEM file holding at least one certificate.
Result<std::shared_ptr<boost::asio::ssl::context>> makeTlsContext(const std::string& ca_file);

// The same check as makeTlsContext, as Code::bad_request: for checking configuration early.
Status checkCaFile(const std::string& ca_file);

}  // namespace parley::aws
