#include "app/tls_setup.h"

#include <boost/asio/signal_set.hpp>
#include <csignal>

#include "core/log.h"

namespace parley::app {

namespace asio = boost::asio;

namespace {

void awaitHangup(std::shared_ptr<asio::signal_set> signals, api::TlsContextsPtr tls) {
  signals->async_wait([signals, tls](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (!tls) {
      log::info("sighup_ignored", {{"why", "no --tls-cert: nothing to reload"}});
    } else if (auto st = tls->reload(); !st) {
      log::error("tls_reload_failed", {{"error", st.error().message}});
    } else {
      log::info("tls_reloaded", {{"cert", tls->certFile()}, {"generation", tls->generation()}});
    }
    awaitHangup(signals, tls);
  });
}

}  // namespace

Result<api::TlsContextsPtr> setupTls(asio::io_context& ioc, const Config& cfg) {
  // SIGHUP is handled either way: a reload sent to a node without TLS must not end it.
  auto signals = std::make_shared<asio::signal_set>(ioc, SIGHUP);
  if (cfg.tls_cert.empty()) {
    awaitHangup(signals, nullptr);
    return api::TlsContextsPtr();
  }
  auto tls = api::TlsContexts::load(cfg.tls_cert, cfg.tls_key);
  if (!tls) return tls.error();
  awaitHangup(signals, *tls);
  return *tls;
}

}  // namespace parley::app
