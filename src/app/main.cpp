// The composition root: reads configuration, builds the adapters, services and the server,
// runs until SIGINT/SIGTERM, then shuts down gracefully. The only place (with the tests)
// that names adapters.
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <iostream>
#include <thread>

#include "adapters/blobs_local/local_blob_store.h"
#include "adapters/kafka/kafka_bus.h"
#include "adapters/memory/inproc_bus.h"
#include "adapters/memory/memory_cache.h"
#include "adapters/postgres/postgres_search_index.h"
#include "adapters/postgres/postgres_store.h"
#include "adapters/redis/redis_bus.h"
#include "adapters/redis/redis_cache.h"
#include "adapters/s3/s3_blob_store.h"
#include "adapters/sqlite/sqlite_search_index.h"
#include "adapters/sqlite/sqlite_store.h"
#include "api/server.h"
#include "api/static_files.h"
#include "app/admin_cmd.h"
#include "app/admin_ops.h"
#include "app/audit_cmd.h"
#include "app/backup_cmd.h"
#include "app/config.h"
#include "app/flag_checks.h"
#include "app/key_setup.h"
#include "app/search_cmd.h"
#include "app/shred_cmd.h"
#include "app/tls_setup.h"
#include "core/log.h"
#include "crypto/password_hasher.h"
#include "crypto/random.h"
#include "ports/clock.h"
#include "service/accounts.h"
#include "service/files.h"
#include "service/hub.h"
#include "service/key_breaker.h"
#include "service/key_rewrap.h"
#include "service/media_inspector.h"
#include "service/messages.h"
#include "service/presence.h"
#include "service/room_deletion.h"
#include "service/room_keys.h"
#include "service/rooms.h"
#include "service/sealed_bus.h"
#include "service/shared_secrets.h"
#include "service/users.h"

namespace asio = boost::asio;
using namespace parley;

namespace {

int usage() {
  std::cout << "usage: parley <command> [options]\n\n"
               "commands:\n"
               "  serve     run the chat server (see parley serve --help)\n"
               "  migrate   bring the database schema (--db) up to this build's version\n"
               "  admin     manage accounts: create-user, reset-password, disable, enable,\n"
               "            grant-admin, revoke-admin, list-users (see parley admin --help)\n"
               "  keys rewrap  re-wrap every stored data key under the newest master key\n"
               "            version (takes the serve options: --keyring, --db, ...)\n"
               "  audit verify check the audit trail's hash chain (parley audit verify --help)\n"
               "  backup DIR   copy the data (database, blobs, keyring) into a new DIR, live\n"
               "  restore DIR  put a backup into a new or empty --data-dir\n"
               "  search reindex  rebuild the search index from the store (--room ID: one room;\n"
               "            see parley search reindex --help)\n"
               "  version   print the version\n";
  return 2;
}

log::Level levelOf(const std::string& s) {
  if (s == "debug") return log::Level::debug;
  if (s == "warn") return log::Level::warn;
  if (s == "error") return log::Level::error;
  return log::Level::info;
}

std::string defaultStaticDir(const char* argv0) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (ec) exe = fs::absolute(argv0);
  for (fs::path candidate : {exe.parent_path() / "../share/parley/web", fs::path("web/dist")}) {
    if (fs::exists(candidate / "index.html", ec)) return fs::canonical(candidate, ec).string();
  }
  return "";
}

// A flag or URL that cannot be right: one line naming it, exit 2, and nothing was created.
int badFlag(const Error& e, std::string_view command = "serve") {
  std::string line = e.message;
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::cerr << "parley " << command << ": " << line << "\n";
  return 2;
}

// The built client, loaded whole at start (static_files.h); null when there is none.
Result<api::StaticSitePtr> loadStaticSite(const app::Config& cfg) {
  if (cfg.static_dir.empty()) return api::StaticSitePtr();
  auto site = api::StaticSite::load(cfg.static_dir);
  if (!site) return site.error();
  log::info(
      "static_site",
      {{"dir", cfg.static_dir}, {"files", (*site)->fileCount()}, {"bytes", (*site)->totalBytes()}});
  return *site;
}

int fail(const std::string& what, const Error& e) {
  log::error("startup_failed", {{"step", what}, {"error", e.message}});
  std::cerr << "parley: " << what << ": " << e.message << "\n";
  return 1;
}

Result<BlobStorePtr> openBlobs(const app::Config& cfg) {
  if (app::isS3Url(cfg.blobs)) {
    auto s3cfg = s3::parseS3Url(cfg.blobs);
    if (!s3cfg) return s3cfg.error();
    return s3::makeS3BlobStore(std::move(*s3cfg));
  }
  std::filesystem::path dir = cfg.blobs.empty() ? std::filesystem::path(cfg.data_dir) / "blobs"
                                                : std::filesystem::path(cfg.blobs);
  return blobs_local::makeLocalBlobStore(dir);
}

// Removes expired unattached uploads and orphan blobs, every tenth of the TTL (at least
// every second, at most every hour).
asio::awaitable<void> sweepLoop(FilesService& files, Millis ttl_ms) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const Millis every = std::clamp<Millis>(ttl_ms / 10, 1000, 3600 * 1000);
  for (;;) {
    timer.expires_after(std::chrono::milliseconds(every));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    auto swept = co_await files.sweep();
    if (!swept) log::warn("files_sweep_failed", {{"error", swept.error().message}});
  }
}

// Deletes audit rows past the retention, at start and then hourly.
asio::awaitable<void> auditRetentionLoop(AccountService& accounts) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    auto pruned = co_await accounts.pruneAudit();
    if (!pruned) log::warn("audit_prune_failed", {{"error", pruned.error().message}});
    if (pruned && *pruned > 0) log::info("audit_pruned", {{"rows", *pruned}});
    timer.expires_after(std::chrono::hours(1));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

Result<StorePtr> openStore(const app::Config& cfg) {
  if (app::isPostgresUrl(cfg.db_url)) {
    postgres::PostgresOptions opts;
    opts.migrate = cfg.migrate;
    return postgres::openPostgresStore(cfg.db_url, opts);
  }
  std::filesystem::path file = std::filesystem::path(cfg.data_dir) / "parley.db";
  if (!cfg.db_url.empty()) {
    if (cfg.db_url.rfind("sqlite:", 0) != 0) {
      return makeError(Code::bad_request, "--db must be postgresql://... or sqlite:PATH");
    }
    file = cfg.db_url.substr(7);
  }
  return sqlite::openSqliteStore(file);
}

// The search index beside the store: in the PostgreSQL database (its tables come with the
// store's migrations, so it opens after the store), else a SQLite file next to the store's.
// An OpenSearch adapter will be chosen here by a --search flag.
Result<SearchIndexPtr> openSearch(const app::Config& cfg) {
  if (app::isPostgresUrl(cfg.db_url)) return postgres::openPostgresSearchIndex(cfg.db_url);
  std::filesystem::path file = std::filesystem::path(cfg.data_dir) / "search.db";
  if (cfg.db_url.rfind("sqlite:", 0) == 0) file = cfg.db_url.substr(7) + "-search";
  return sqlite::openSqliteSearchIndex(file);
}

int migrate(const app::Config& cfg) {
  log::init(levelOf(cfg.log_level));
  if (auto st = app::checkFlags(cfg); !st) return badFlag(st.error(), "migrate");
  if (app::isPostgresUrl(cfg.db_url)) {
    auto v = postgres::migratePostgres(cfg.db_url);
    if (!v) return fail("migrate", v.error());
    std::cout << "postgresql schema at version " << *v << "\n";
    return 0;
  }
  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);
  auto store = openStore(cfg);  // SQLite migrates when it opens
  if (!store) return fail("migrate", store.error());
  std::cout << "sqlite schema at version " << sqlite::sqliteSchemaVersion() << "\n";
  return 0;
}

// Every connection is a file descriptor: take the whole hard limit on open files (the
// soft limit is often 1,024, which would cap a node at about a thousand sockets).
void raiseOpenFileLimit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    ::getrlimit(RLIMIT_NOFILE, &rl);
  }
  log::info("open_file_limit", {{"limit", static_cast<std::uint64_t>(rl.rlim_cur)}});
}

// The adapters of one node. Members are destroyed in reverse order, so the io_context,
// declared first, goes last, after everything that holds I/O objects or executors of it:
// the Store's, Keys' and Blobs' worker threads post completions to it until they are
// joined, their connection pools hold sockets of it, and its pending handlers (idle
// keep-alive connections) go with it. So SIGTERM mid-request cannot crash (f6faaa9).
struct Adapters {
  std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>();
  KeyProviderPtr keys;
  StorePtr store;
  SearchIndexPtr search;  // after the store: goes first
  BlobStorePtr blobs;
  BusPtr bus;
  CachePtr cache;
};

// The deployment's bus key (made by the first node, kept wrapped in the Store), fetched once
// at start on a private io_context: the Store and the KeyProvider run their own threads.
Result<std::string> busKey(Store& store, KeyProvider& keys) {
  SharedSecrets secrets(store, keys);
  asio::io_context io;
  auto key = asio::co_spawn(
      io,
      [&secrets]() -> asio::awaitable<Result<std::string>> {
        std::string name = SharedSecrets::kBusSeal;
        co_return co_await secrets.get(std::move(name));
      },
      asio::use_future);
  io.run();
  return key.get();
}

// --bus kafka://...: the node keeps the offsets it processed in its data dir, so a restart
// reads on from them (kafka_bus.h).
Result<BusPtr> openKafkaBus(const app::Config& cfg, asio::io_context& ioc) {
  auto opts = kafka::parseKafkaUrl(cfg.bus_url);
  if (!opts) return opts.error();
  opts->offsets_file = (std::filesystem::path(cfg.data_dir) / "kafka-offsets").string();
  return kafka::makeKafkaBus(ioc.get_executor(), std::move(*opts));
}

// Opens every adapter the flags name; 0, or the exit code of a logged failure.
int openAdapters(const app::Config& cfg, Adapters& a) {
  auto keys = app::openKeys(cfg);
  if (!keys) return fail("--keyring", keys.error());
  // A dead key service answers cold reads at once, not after every call's retries.
  a.keys = std::make_unique<KeyServiceBreaker>(std::move(*keys));
  auto store = openStore(cfg);
  if (!store) return fail("--db", store.error());
  a.store = std::move(*store);
  // The deployment's secrets are wrapped by the key provider that made them: a node given
  // another --keyring, or one whose key version was retired before `parley keys rewrap`,
  // stops here rather than serve what it cannot open.
  if (auto st = app::chainAudit(*a.store, *a.keys); !st) {
    return fail("audit key (does this --keyring open the deployment's secrets?)", st.error());
  }
  auto search = openSearch(cfg);
  if (!search) return fail("search index", search.error());
  a.search = std::move(*search);
  auto blobs = openBlobs(cfg);
  if (!blobs) return fail("--blobs", blobs.error());
  a.blobs = std::move(*blobs);
  if (cfg.redis_url.empty()) {
    a.bus = memory::makeInprocBus(a.ioc->get_executor());
    a.cache = memory::makeMemoryCache();
    return 0;
  }
  // What crosses the bus (Redis pub/sub or Kafka) is sealed under the deployment's bus key.
  auto bus_key = busKey(*a.store, *a.keys);
  if (!bus_key) return fail("bus key", bus_key.error());
  redis::RedisOptions ro;
  ro.url = cfg.redis_url;
  try {  // checkFlags parsed the URL already: this only keeps a throw from leaving main
    a.cache = redis::makeRedisCache(a.ioc->get_executor(), ro);
    if (cfg.bus_url.empty()) {
      a.bus = std::make_unique<SealedBus>(redis::makeRedisBus(a.ioc->get_executor(), ro),
                                          std::move(*bus_key));
      return 0;
    }
  } catch (const ErrorException& e) {
    return badFlag(makeError(Code::bad_request, std::string("--redis: ") + e.what()));
  }
  auto bus = openKafkaBus(cfg, *a.ioc);
  if (!bus) return badFlag(makeError(Code::bad_request, "--bus: " + bus.error().message));
  a.bus = std::make_unique<SealedBus>(std::move(*bus), std::move(*bus_key));
  return 0;
}

crypto::PasswordHasherOptions hashOptions(const app::Config& cfg) {
  crypto::PasswordHasherOptions o;
  o.threads = cfg.hash_threads;
  return o;
}

int threadCount(const app::Config& cfg) {
  return cfg.threads > 0 ? cfg.threads
                         : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// One fan-out shard (a strand) per I/O thread: connections are spread over them.
std::vector<asio::any_io_executor> makeShards(asio::io_context& ioc, int n) {
  std::vector<asio::any_io_executor> shards;
  for (int i = 0; i < n; ++i) shards.push_back(asio::make_strand(ioc));
  return shards;
}

// The services over the adapters, each after what it uses (members are built in order);
// destroyed before the adapters they reference.
struct Services {
  Services(const app::Config& cfg, Adapters& a, int threads, const search::Synonyms* synonyms)
      : hasher(hashOptions(cfg)),
        users(*a.store),
        room_keys(*a.store, *a.keys),
        secrets(*a.store, *a.keys),
        files(*a.store, *a.blobs, room_keys, *a.cache, clock, cfg.files, mediaInspector(cfg.image)),
        messages(*a.store, *a.cache, *a.bus, room_keys, users, files, clock, cfg.limits),
        indexer(*a.store, *a.search, room_keys),
        search(*a.store, *a.cache, *a.search, indexer, room_keys, users, clock,
               SearchOptions{.rate_per_sec = cfg.limits.search_rate_per_sec,
                             .suggest_rate_per_sec = cfg.limits.search_suggest_rate_per_sec,
                             .synonyms = synonyms}),
        accounts(*a.store, *a.cache, *a.bus, hasher, users, secrets, clock, cfg.limits),
        hub(*a.bus, makeShards(*a.ioc, threads)),
        presence(*a.store, *a.cache, *a.bus, hub, users, clock, crypto::newEventId(),
                 cfg.presence_lease_ms, cfg.presence_room_limit),
        rooms(*a.store, *a.bus, messages, presence, users, clock, cfg.limits),
        reactions(*a.store, *a.cache, messages, room_keys, clock, cfg.limits),
        room_deletion(*a.store, *a.bus, room_keys, files, messages, clock),
        threads(*a.store, messages, clock),
        admin_rooms(*a.store, accounts, rooms),
        pins(*a.store, *a.cache, messages, clock, cfg.limits),
        room_settings(*a.store, *a.cache, messages, room_keys, clock, cfg.limits) {
    a.bus->setHandler(
        [this](const std::string& topic, Bus::Payload p) {
          if (topic == RoomDeletion::kTopic) return room_deletion.onDeleted(*p);
          hub.onBusMessage(topic, std::move(p));
        },
        [this] { hub.onResubscribed(); });
    a.bus->subscribe(RoomDeletion::kTopic);
    messages.onAppend([this, ex = a.ioc->get_executor()](RoomId room, Seq seq) {
      indexer.notify(ex, room, seq);
    });
  }
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  SystemClock clock;
  crypto::PasswordHasher hasher;
  UserDirectory users;
  RoomKeys room_keys;
  SharedSecrets secrets;
  FilesService files;
  MessageService messages;
  SearchIndexer indexer;
  SearchService search;
  AccountService accounts;
  Hub hub;
  PresenceService presence;
  RoomService rooms;
  ReactionService reactions;
  RoomDeletion room_deletion;
  ThreadService threads;
  AdminRooms admin_rooms;
  PinService pins;
  RoomSettingsService room_settings;
};

// Log, the web client (loaded before anything is created), open-file limit, data
// directory; 0 or an exit code.
int prepare(app::Config& cfg, const char* argv0, api::StaticSitePtr& site) {
  log::init(levelOf(cfg.log_level));
  if (cfg.static_dir.empty()) cfg.static_dir = defaultStaticDir(argv0);
  if (cfg.static_dir.empty()) {
    log::warn("no_web_client",
              {{"looked_in", "<exe dir>/../share/parley/web, ./web/dist"},
               {"effect", "serving the API only; give --static-dir or build the client"}});
  }
  if (auto st = app::checkFlags(cfg); !st) return badFlag(st.error());
  auto loaded = loadStaticSite(cfg);
  if (!loaded) return badFlag(loaded.error());
  site = std::move(*loaded);
  raiseOpenFileLimit();
  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);
  if (ec) return fail("--data-dir", {Code::internal, ec.message()});
  ::chmod(cfg.data_dir.c_str(), 0700);
  return 0;
}

// Listens; returns the URL browsers use, which (with localhost for a loopback address)
// joins the allowed origins.
Result<std::string> listen(api::Server& server, const app::Config& cfg, api::ApiContext& ctx) {
  auto bound = server.listen(cfg.listen_host, cfg.listen_port);
  if (!bound) return bound.error();
  std::string host = bound->address().is_v6() ? "[" + bound->address().to_string() + "]"
                                              : bound->address().to_string();
  const std::string scheme = ctx.tls ? "https://" : "http://";
  std::string url = scheme + host + ":" + std::to_string(bound->port());
  // Browsers may address a loopback server as localhost too.
  if (bound->address().is_loopback()) {
    ctx.allowed_origins.push_back(scheme + "localhost:" + std::to_string(bound->port()));
  }
  ctx.allowed_origins.push_back(url);
  return url;
}

void startBackground(asio::io_context& ioc, Services& s, const app::Config& cfg) {
  asio::co_spawn(ioc, s.presence.heartbeatLoop(), asio::detached);
  asio::co_spawn(ioc, sweepLoop(s.files, cfg.files.upload_ttl_ms), [](std::exception_ptr e) {
    if (e) log::error("files_sweep_loop_failed");
  });
  asio::co_spawn(ioc, auditRetentionLoop(s.accounts), [](std::exception_ptr e) {
    if (e) log::error("audit_retention_loop_failed");
  });
  asio::co_spawn(ioc, app::purgeLoop(s.room_deletion), [](std::exception_ptr e) {
    if (e) log::error("room_purge_loop_failed");
  });
}

// Runs `threads` I/O threads until SIGINT or SIGTERM has shut the server down.
void runUntilSignal(asio::io_context& ioc, api::Server& server, int threads) {
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& e, int sig) {
    if (e) return;
    log::info("shutting_down", {{"signal", sig}});
    asio::co_spawn(ioc, server.shutdown(std::chrono::seconds(5)),
                   [&](std::exception_ptr) { ioc.stop(); });
  });
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
}

int serve(app::Config cfg, const char* argv0) {
  // Before anything is logged or created: a bad file is a bad flag (one line, exit 2).
  auto synonyms = app::loadSynonyms(cfg.search_synonyms);
  if (!synonyms) return badFlag(synonyms.error());
  api::StaticSitePtr site;
  if (int rc = prepare(cfg, argv0, site); rc != 0) return rc;
  Adapters adapters;  // first, so destroyed last: see Adapters
  if (int rc = openAdapters(cfg, adapters); rc != 0) return rc;
  const int threads = threadCount(cfg);
  Services s(cfg, adapters, threads, synonyms->get());
  api::ApiContext ctx{s.accounts, s.rooms,  s.messages,          s.presence, s.hub,    s.files,
                      cfg.limits, cfg.edge, cfg.allowed_origins, site,       &s.search};
  auto tls = app::setupTls(*adapters.ioc, cfg);
  if (!tls) return fail("TLS", tls.error());
  ctx.tls = *tls;
  if (cfg.edge.test_echo) log::warn("test_echo_endpoint_enabled", {{"path", "/api/v1/test/echo"}});
  ctx.reactions = &s.reactions;
  ctx.room_deletion = &s.room_deletion;
  ctx.admin_rooms = &s.admin_rooms;
  ctx.threads = &s.threads;
  ctx.pins = &s.pins;
  ctx.room_settings = &s.room_settings;
  api::Server server(*adapters.ioc, ctx);
  auto url = listen(server, cfg, ctx);
  if (!url) return fail("--listen", url.error());
  server.start();
  startBackground(*adapters.ioc, s, cfg);
  asio::co_spawn(*adapters.ioc, app::firstAdminHint(*adapters.store, cfg, std::cerr),
                 [](std::exception_ptr e) {
                   if (e) log::error("first_admin_hint_failed");
                 });
  log::info("listening",
            {{"url", *url}, {"data_dir", cfg.data_dir}, {"static_dir", cfg.static_dir}});
  std::cout << "parley listening on " << *url << std::endl;
  runUntilSignal(*adapters.ioc, server, threads);
  log::info("stopped");
  return 0;
}

}  // namespace

// parley keys rewrap [serve options]: re-wraps every stored data key under the newest master
// key version (service/key_rewrap.h, docs/operations.md). Exit 0 when done, 1 on a failure
// (run it again: it resumes), 2 on bad flags.
int keysRewrap(const app::Config& cfg) {
  log::init(levelOf(cfg.log_level));
  if (auto st = app::checkFlags(cfg); !st) return badFlag(st.error(), "keys rewrap");
  auto keys = app::openKeys(cfg);
  if (!keys) return fail("--keyring", keys.error());
  auto store = openStore(cfg);
  if (!store) return fail("--db", store.error());
  if (auto st = app::chainAudit(**store, **keys); !st) return fail("audit key", st.error());
  RewrapOptions o;
  o.skip = app::alreadyNewest(cfg, **keys);
  o.progress = [](RoomId room, std::uint32_t version, const RewrapReport& r) {
    std::cout << "rewrapped " << r.rewrapped << ", skipped " << r.skipped << ", through room "
              << room << " key v" << version << "\n";
  };
  asio::io_context io;
  auto done = asio::co_spawn(io, rewrapAll(**store, **keys, std::move(o)), asio::use_future);
  io.run();
  auto report = done.get();
  if (!report) return fail("keys rewrap", report.error());
  app::recordNow(**store, "keys_rewrapped", "parley keys rewrap",
                 "rewrapped " + std::to_string(report->rewrapped));
  std::cout << "done: rewrapped " << report->rewrapped << ", already newest " << report->skipped
            << ", changed meanwhile " << report->changed << "\n";
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string cmd = argv[1];
  if (cmd == "version" || cmd == "--version") {
    std::cout << "parley 0.1.0\n";
    return 0;
  }
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage();
    return 0;
  }
  if (cmd == "admin" && argc > 2 && std::string(argv[2]) == "delete-room")
    return app::deleteRoomMain(argc - 2, argv + 2, app::chainedOpener(openStore));
  if (cmd == "admin") return app::adminMain(argc - 1, argv + 1, app::chainedOpener(openStore));
  if (cmd == "audit") return app::auditMain(argc - 1, argv + 1, openStore);
  if (cmd == "keys") {
    if (argc < 3 || std::string(argv[2]) != "rewrap") return usage();
    if (app::wantsHelp(argc - 2, argv + 2)) return app::commandUsage("keys rewrap");
    auto cfg = app::parseServeArgs(argc - 2, argv + 2);
    if (!cfg) return badFlag(cfg.error(), "keys rewrap");
    return *cfg ? keysRewrap(**cfg) : 0;
  }
  if (cmd == "backup") return app::backupCommand(argc - 1, argv + 1);
  if (cmd == "search") return app::searchMain(argc - 1, argv + 1, {openStore, openSearch});
  if (cmd == "restore") return app::restoreCommand(argc - 1, argv + 1);
  if (cmd != "serve" && cmd != "migrate") return usage();
  if (cmd == "migrate" && app::wantsHelp(argc - 1, argv + 1)) return app::commandUsage(cmd);
  auto cfg = app::parseServeArgs(argc - 1, argv + 1);
  if (!cfg) return badFlag(cfg.error(), cmd);
  if (!*cfg) return 0;
  if (cmd == "migrate") return migrate(**cfg);
  return serve(std::move(**cfg), argv[0]);
}
