// TLS for `parley serve` (docs/operations.md, "TLS"): loads --tls-cert/--tls-key at start
// and reads them again on each SIGHUP. A reload that fails is logged and changes nothing.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>

#include "api/tls_contexts.h"
#include "app/config.h"

namespace parley::app {

// Null (and no error) without --tls-cert; SIGHUP is then logged and ignored. The SIGHUP
// handler lives as long as `ioc` runs.
Result<api::TlsContextsPtr> setupTls(boost::asio::io_context& ioc, const Config& cfg);

}  // namespace parley::app
