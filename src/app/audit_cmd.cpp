#include "app/audit_cmd.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <iostream>

#include "app/cli_text.h"
#include "app/flag_checks.h"
#include "app/key_setup.h"
#include "core/log.h"
#include "service/audit_chain.h"
#include "service/shared_secrets.h"

namespace parley::app {

namespace {

namespace asio = boost::asio;

// Runs `task` on a private io_context and returns its result.
template <class T>
T runSync(asio::awaitable<T> task) {
  asio::io_context io;
  auto done = asio::co_spawn(io, std::move(task), asio::use_future);
  io.run();
  return done.get();
}

Result<std::string> auditKey(Store& store, KeyProvider& keys) {
  SharedSecrets secrets(store, keys);
  return runSync([](SharedSecrets& s) -> asio::awaitable<Result<std::string>> {
    std::string name = SharedSecrets::kAuditChain;
    co_return co_await s.get(std::move(name));
  }(secrets));
}

int verifyUsage() {
  std::cout
      << "usage: parley audit verify [serve options]\n\n"
         "walk the audit trail's hash chain and report the first removed, altered or\n"
         "reordered event (its id and time; exit 1), or \"N events, chain intact\" (exit 0).\n"
         "It reads --keyring, --vault-token-file, --db, --data-dir and --config as\n"
         "`parley serve` does (parley serve --help): the chain's key is the deployment's.\n"
         "Note the newest event it prints: removing the newest events leaves no trace in\n"
         "the database, so compare with the last run's (docs/operations.md).\n";
  return 0;
}

const char* explain(const std::string& problem) {
  if (problem == "altered") return "its fields do not match its hash (edited)";
  if (problem == "removed") return "the event before it in the chain is missing (deleted)";
  if (problem == "reordered") return "it is not where the chain put it (rows moved)";
  if (problem == "unchained") return "it has no hash but comes after chained events";
  return "the pruning anchor does not match its MAC";
}

int report(const AuditVerdict& v) {
  if (!v.problem.empty()) {
    std::cout << "chain broken at event " << v.first_bad.id << " (" << utcText(v.first_bad.at)
              << "): " << v.problem << ": " << explain(v.problem) << "\n"
              << v.events << " events intact before it\n";
    return 1;
  }
  std::cout << v.events << " events, chain intact\n";
  if (v.unchained > 0)
    std::cout << v.unchained << " older events from before the chain existed are not covered\n";
  if (v.anchor)
    std::cout << "pruned through event " << v.anchor->through_id << " ("
              << utcText(v.anchor->through_at) << ")\n";
  if (v.events > 0)
    std::cout << "newest: event " << v.newest.id << " (" << utcText(v.newest.at) << ") hash "
              << v.newest.hash << "\n";
  return 0;
}

}  // namespace

Status chainAudit(Store& store, KeyProvider& keys) {
  auto key = auditKey(store, keys);
  if (!key) return key.error();
  store.setAuditChain(makeAuditChain(std::move(*key)));
  return {};
}

void recordNow(Store& store, std::string kind, std::string device, std::string detail) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  AuditEvent e{.kind = std::move(kind),
               .device = std::move(device),
               .detail = std::move(detail),
               .at = now.count()};
  const std::string what = e.kind;
  auto st = runSync(store.recordAudit(std::move(e)));
  if (!st) log::warn("audit_write_failed", {{"kind", what}, {"error", st.error().message}});
}

StoreOpener chainedOpener(StoreOpener open) {
  return [open = std::move(open)](const Config& cfg) -> Result<StorePtr> {
    auto store = open(cfg);
    if (!store) return store.error();
    // The audit rows it writes are chained under the nodes' key: the same --keyring.
    auto keys = openKeys(cfg);
    if (!keys) return makeError(keys.error().code, "--keyring: " + keys.error().message);
    if (auto st = chainAudit(**store, **keys); !st) {
      return makeError(st.error().code,
                       "the audit key (give the nodes' --keyring): " + st.error().message);
    }
    return std::move(*store);
  };
}

int auditMain(int argc, const char* const* argv, const StoreOpener& open_store) {
  if (argc < 2 || std::string(argv[1]) != "verify") {
    std::cerr << "usage: parley audit verify [serve options] (parley audit verify --help)\n";
    return 2;
  }
  if (wantsHelp(argc - 1, argv + 1)) return verifyUsage();
  auto cfg = parseServeArgs(argc - 1, argv + 1);
  if (!cfg) {
    std::cerr << "parley audit verify: " << cfg.error().message << "\n";
    return 2;
  }
  if (!*cfg) return 0;
  const Config& c = **cfg;
  log::init(log::Level::warn);
  if (auto st = checkFlags(c); !st) {
    std::cerr << "parley audit verify: " << st.error().message << "\n";
    return 2;
  }
  auto keys = openKeys(c);
  if (!keys) {
    std::cerr << "parley audit verify: --keyring: " << keys.error().message << "\n";
    return 1;
  }
  auto store = open_store(c);
  if (!store) {
    std::cerr << "parley audit verify: the store: " << store.error().message << "\n";
    return 1;
  }
  auto key = auditKey(**store, **keys);
  if (!key) {
    std::cerr << "parley audit verify: the audit key: " << key.error().message << "\n";
    return 1;
  }
  auto verdict = runSync(verifyAuditChain(**store, std::move(*key)));
  if (!verdict) {
    std::cerr << "parley audit verify: " << verdict.error().message << "\n";
    return 1;
  }
  return report(*verdict);
}

}  // namespace parley::app
