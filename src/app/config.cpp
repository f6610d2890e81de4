#include "app/config.h"

#include <toml++/toml.h>

#include <boost/program_options.hpp>
#include <charconv>
#include <iostream>

namespace parley::app {

namespace po = boost::program_options;

namespace {

po::options_description describe() {
  po::options_description d("parley serve options (flags; env PARLEY_<NAME>; or TOML keys)");
  // clang-format off
  d.add_options()
    ("help,h", "print this help")
    ("config", po::value<std::string>(), "TOML file with any of these options as top-level keys")
    ("listen", po::value<std::string>()->default_value("127.0.0.1:8080"), "HOST:PORT to listen on; port 0 picks a free port (the bound address is printed)")
    ("data-dir", po::value<std::string>()->default_value("./parley-data"), "directory for the SQLite database and the keyring (created 0700)")
    ("db", po::value<std::string>()->default_value(""), "store URL: postgresql://user:pass@host:port/db, or sqlite:PATH (default: SQLite at <data-dir>/parley.db)")
    ("redis", po::value<std::string>()->default_value(""), "redis://host:port[/db], or redis+cluster://host:port[,host:port...] (Redis Cluster seed nodes), for the bus and cache shared by several nodes (default: in-process, one node)")
    ("bus", po::value<std::string>()->default_value(""), "what carries live events between nodes: kafka://HOST:PORT[,HOST:PORT...][?topic=parley.events&partitions=N&security.protocol=...] (needs --redis, which keeps the cache, presence, sessions and limits; default: Redis pub/sub when --redis is given, else in-process)")
    ("keyring", po::value<std::string>()->default_value(""), "the master key: a keyring file (default: <data-dir>/keyring.json), a KMS key, kms+https://ACCESS:SECRET@HOST[:PORT]/KEY_ID[?region=R&ca=PEM] (kms+http:// for plain HTTP), or a Vault/OpenBao Transit key, vault+https://HOST[:PORT]/MOUNT/keys/NAME (see --vault-token-file); every node of a deployment must use the same keys")
    ("vault-token-file", po::value<std::string>()->default_value(""), "with --keyring vault+https://HOST[:PORT]/MOUNT/keys/NAME[?ca=PEM&namespace=NS] (vault+http:// for plain HTTP): a file holding the Vault token (else the environment variable PARLEY_VAULT_TOKEN; never in the URL)")
    ("vault-role-id-file", po::value<std::string>()->default_value(""), "with a vault+ --keyring, instead of a token: log in with AppRole, the role id read from this file (with --vault-secret-id-file; the auth mount is approle unless the URL says approle_mount=PATH); the node renews its token, or logs in again, before it expires")
    ("vault-secret-id-file", po::value<std::string>()->default_value(""), "with --vault-role-id-file: a file holding the AppRole secret id")
    ("blobs", po::value<std::string>()->default_value(""), "where files are kept: a directory, or s3+https://ACCESS:SECRET@HOST[:PORT]/BUCKET[?region=R&style=path|virtual&part_mib=N&ca=PEM] (s3:// for plain HTTP) (default: <data-dir>/blobs); every node of a deployment must share it")
    ("max-upload", po::value<long long>()->default_value(100ll * 1024 * 1024), "largest file upload, bytes (larger ones get 413 and nothing is kept)")
    ("upload-ttl", po::value<long>()->default_value(86400), "seconds an upload may stay unattached to a message before it is deleted")
    ("upload-quota-mib", po::value<std::uint64_t>()->default_value(1024), "MiB of unattached uploads one user may hold (0: no limit)")
    ("upload-quota-files", po::value<std::uint64_t>()->default_value(100), "unattached uploads one user may hold (0: no limit)")
    ("upload-daily-mib", po::value<std::uint64_t>()->default_value(2048), "MiB one user may upload per UTC day (0: no limit)")
    ("upload-rate", po::value<int>()->default_value(30), "uploads one user may start per minute (0: no limit)")
    ("uploads-in-flight-per-user", po::value<int>()->default_value(4), "uploads of one user whose body is being read at once, per node (0: no limit)")
    ("uploads-in-flight", po::value<int>()->default_value(256), "uploads whose body is being read at once on this node (0: no limit)")
    ("upload-min-rate", po::value<std::uint64_t>()->default_value(16384), "bytes/s an upload body must average after --upload-grace-ms; slower ones are cut (0: only the 30 s idle timeout)")
    ("upload-grace-ms", po::value<long>()->default_value(10000), "milliseconds an upload body may take before --upload-min-rate applies")
    ("thumbnail-queue-per-user", po::value<int>()->default_value(2), "thumbnail jobs one user may have queued or running; more images get no thumbnail")
    ("thumbnail-wait-ms", po::value<long>()->default_value(5000), "how long an upload's answer waits for its thumbnail; later ones are not made")
    ("thumbnail-max-decoded-mib", po::value<std::uint64_t>()->default_value(256), "images that decode to more MiB (width x height x bands x bytes per band) get no thumbnail")
    ("thumbnail-max-interlaced-mib", po::value<std::uint64_t>()->default_value(64), "the same for interlaced PNG/GIF and progressive JPEG, which decode whole into memory")
    ("presence-lease-ms", po::value<long>()->default_value(30000), "how long a node's presence lease lasts; renewed every third of it (a dead node's users show offline after about this long)")
    ("presence-room-limit", po::value<long>()->default_value(200), "live presence frames flow between users who share a direct room or a group room of at most this many members; bigger rooms show presence only in their member list")
    ("tls-cert", po::value<std::string>()->default_value(""), "PEM certificate chain (the server's certificate first): serve HTTPS and wss:// with it, TLS 1.2+ (needs --tls-key; both files are read again on SIGHUP)")
    ("tls-key", po::value<std::string>()->default_value(""), "PEM private key of --tls-cert")
    ("hsts", po::bool_switch(), "send Strict-Transport-Security (max-age two years) on every HTTP response; use it with --tls-cert or behind a TLS proxy")
    ("test-echo-endpoint", po::bool_switch(), "TESTS ONLY: also serve /api/v1/test/echo, a WebSocket without authentication that echoes every message (for the Autobahn conformance suite); never in production")
    ("trust-forwarded-for", po::bool_switch(), "behind a proxy: take the client address (login limits, audit) from the last X-Forwarded-For entry")
    ("no-migrate", po::bool_switch(), "do not apply schema migrations at start (run `parley migrate`); refuse an older schema")
    ("static-dir", po::value<std::string>()->default_value(""), "directory of the built web client to serve at / (default: <exe dir>/../share/parley/web or web/dist if present)")
    ("allowed-origin", po::value<std::vector<std::string>>()->composing(), "extra browser Origin allowed for WebSockets and cookie-authenticated changes (repeatable)")
    ("threads", po::value<int>()->default_value(0), "I/O threads (0: one per core)")
    ("hash-threads", po::value<int>()->default_value(2), "password hashes run at once (argon2id)")
    ("max-frame", po::value<long long>()->default_value(64 * 1024), "largest WebSocket message, bytes")
    ("max-body", po::value<long long>()->default_value(64 * 1024), "largest HTTP request body, bytes")
    ("max-outbound", po::value<long long>()->default_value(4 * 1024 * 1024), "outbound queue per WebSocket, bytes; beyond it the socket is closed with 4008")
    ("send-rate", po::value<int>()->default_value(20), "messages per second per user")
    ("search-rate", po::value<int>()->default_value(5), "searches per second per user")
    ("search-suggest-rate", po::value<int>()->default_value(20), "search suggestion requests (one per keystroke) per second per user")
    ("search-synonyms", po::value<std::string>()->default_value(""), "synonym file applied to search queries (Solr/Elasticsearch format: 'laptop, notebook' and 'ny => new york' lines, # comments)")
    ("resume-max", po::value<int>()->default_value(1000), "events replayed per room on resume before the client is told to resync")
    ("history-cache-mib", po::value<int>()->default_value(64), "MiB of rendered newest history pages kept in this node's memory (0: none)")
    ("registration", po::value<std::string>()->default_value("invite"), "who may sign up through POST /register: open (anyone), invite (only with an admin's invite; parley admin create-invite) or closed (nobody; parley admin create-user)")
    ("people-search", po::value<std::string>()->default_value("all"), "whom GET /users?q= and GET /users/{username} show: all (every account that is not disabled) or shared (only people who share a room with the caller; others answer as if they did not exist)")
    ("people-search-rate", po::value<int>()->default_value(5), "searches for people (GET /users?q=) per second per user")
    ("profile-changes-per-hour", po::value<int>()->default_value(30), "profile changes (PATCH /me) per hour per user")
    ("require-2fa", po::bool_switch(), "every account must sign in with a second factor (TOTP); one without it enrols at its next login")
    ("admin", po::value<std::vector<std::string>>()->composing(), "username allowed to read every account's audit trail (repeatable)")
    ("login-per-ip", po::value<int>()->default_value(30), "login attempts per minute from one address")
    ("login-per-account-ip", po::value<int>()->default_value(10), "login attempts per 15 minutes for one account from one address")
    ("login-per-account-new-network", po::value<int>()->default_value(50), "login attempts per hour for one account from networks it never logged in from")
    ("register-per-ip", po::value<int>()->default_value(30), "registrations per hour from one IPv4 address or IPv6 /64")
    ("register-per-minute", po::value<int>()->default_value(60), "registrations per minute on the whole deployment (shared through Redis)")
    ("audit-retention-days", po::value<int>()->default_value(180), "audit rows older than this many days are deleted (hourly); 0 keeps them forever")
    ("session-idle-days", po::value<int>()->default_value(30), "a session unused this long expires")
    ("session-max-age-days", po::value<int>()->default_value(90), "a session this old expires")
    ("log-level", po::value<std::string>()->default_value("info"), "debug, info, warn or error");
  // clang-format on
  return d;
}

// The range each numeric flag accepts. A value outside is refused, never clamped: a typo
// must not start a node with a limit nobody chose. The bounds are wide; docs/operations.md
// lists them.
struct NumericFlag {
  const char* name;
  long long lo;
  long long hi;
};
constexpr long long kGiB = 1024ll * 1024 * 1024;
constexpr NumericFlag kNumericFlags[] = {
    {"max-upload", 1, 1024 * kGiB},
    {"upload-ttl", 1, 10ll * 365 * 86400},
    {"presence-lease-ms", 300, 3'600'000},
    {"presence-room-limit", 0, 1'000'000'000},
    {"threads", 0, 1024},
    {"hash-threads", 1, 256},
    {"max-frame", 128, kGiB},
    {"max-body", 128, kGiB},
    {"max-outbound", 1024, 64 * kGiB},
    {"send-rate", 1, 100'000'000},
    {"search-rate", 1, 100'000'000},
    {"search-suggest-rate", 1, 100'000'000},
    {"people-search-rate", 1, 100'000'000},
    {"profile-changes-per-hour", 1, 100'000'000},
    {"resume-max", 1, 100'000'000},
    {"history-cache-mib", 0, 1024 * 1024},
    {"login-per-ip", 1, 1'000'000'000},
    {"login-per-account-ip", 1, 1'000'000'000},
    {"login-per-account-new-network", 1, 1'000'000'000},
    {"session-idle-days", 1, 36500},
    {"session-max-age-days", 1, 36500},
    {"register-per-ip", 1, 1'000'000'000},
    {"register-per-minute", 1, 1'000'000'000},
    {"audit-retention-days", 0, 36500},
};

long long numberOf(const po::variable_value& v) {
  if (auto* i = boost::any_cast<int>(&v.value())) return *i;
  if (auto* l = boost::any_cast<long>(&v.value())) return *l;
  return boost::any_cast<long long>(v.value());
}

Status checkNumbers(const po::variables_map& vm) {
  for (const auto& f : kNumericFlags) {
    long long v = numberOf(vm[f.name]);
    if (v < f.lo || v > f.hi) {
      return makeError(Code::bad_request, "--" + std::string(f.name) + " must be " +
                                              std::to_string(f.lo) + " to " + std::to_string(f.hi) +
                                              " (got " + std::to_string(v) + ")");
    }
  }
  std::string level = vm["log-level"].as<std::string>();
  if (level != "debug" && level != "info" && level != "warn" && level != "error") {
    return makeError(Code::bad_request, "--log-level must be debug, info, warn or error");
  }
  return {};
}

// "HOST:PORT", "[V6]:PORT": the whole port must be a number 0 to 65535.
Status parseListen(const std::string& listen, Config& c) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return makeError(Code::bad_request, "--listen must be HOST:PORT");
  c.listen_host = listen.substr(0, colon);
  if (c.listen_host.size() > 2 && c.listen_host.front() == '[' && c.listen_host.back() == ']')
    c.listen_host = c.listen_host.substr(1, c.listen_host.size() - 2);
  std::string port = listen.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return makeError(Code::bad_request, "--listen port must be 0 to 65535");
  }
  c.listen_port = static_cast<std::uint16_t>(value);
  return {};
}

// TOML top-level keys become "--key=value" arguments (arrays repeat the flag).
Result<std::vector<std::string>> tomlArgs(const std::string& file) {
  std::vector<std::string> args;
  try {
    toml::table t = toml::parse_file(file);
    for (auto&& [key, node] : t) {
      const std::string name(key.str());  // a lambda may not capture a structured binding
      auto add = [&](const toml::node& n) -> bool {
        std::string v;
        if (auto s = n.value<std::string>()) {
          v = *s;
        } else if (auto i = n.value<std::int64_t>()) {
          v = std::to_string(*i);
        } else if (auto b = n.value<bool>()) {
          v = *b ? "true" : "false";
        } else {
          return false;
        }
        args.push_back("--" + name + "=" + v);
        return true;
      };
      if (auto arr = node.as_array()) {
        for (auto& el : *arr) {
          if (!add(el)) return makeError(Code::bad_request, "unsupported TOML value for " + name);
        }
      } else if (!add(node)) {
        return makeError(Code::bad_request, "unsupported TOML value for " + name);
      }
    }
  } catch (const toml::parse_error& e) {
    return makeError(Code::bad_request, "--config " + file + ": " + std::string(e.description()));
  }
  return args;
}

// The options from the command line, then PARLEY_* variables, then --config's file (the
// first source to give an option wins). A malformed option: bad_request.
Status readOptions(int argc, const char* const* argv, const po::options_description& desc,
                   po::variables_map& vm) {
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::store(po::parse_environment(desc,
                                    [&desc](const std::string& env) -> std::string {
                                      if (env.rfind("PARLEY_", 0) != 0) return "";
                                      std::string name = env.substr(7);
                                      for (auto& c : name) {
                                        // std::tolower of a negative char is undefined
                                        auto u = static_cast<unsigned char>(c);
                                        c = u == '_' ? '-' : static_cast<char>(std::tolower(u));
                                      }
                                      return desc.find_nothrow(name, false) ? name : "";
                                    }),
              vm);
    if (vm.count("config")) {
      auto args = tomlArgs(vm["config"].as<std::string>());
      if (!args) return args.error();
      po::store(po::command_line_parser(*args).options(desc).run(), vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    return makeError(Code::bad_request, e.what());
  }
  return Status{};
}

// Where the data lives and what the node talks to: storage, bus, keys, presence.
void readBackends(const po::variables_map& vm, Config& c) {
  c.data_dir = vm["data-dir"].as<std::string>();
  c.db_url = vm["db"].as<std::string>();
  c.redis_url = vm["redis"].as<std::string>();
  c.bus_url = vm["bus"].as<std::string>();
  c.migrate = !vm["no-migrate"].as<bool>();
  c.presence_lease_ms = vm["presence-lease-ms"].as<long>();
  c.presence_room_limit = vm["presence-room-limit"].as<long>();
  // Profile frames reach the same peers as presence frames.
  c.limits.profile_frame_room_limit = c.presence_room_limit;
  c.keyring = vm["keyring"].as<std::string>();
  c.vault_token_file = vm["vault-token-file"].as<std::string>();
  c.vault_role_id_file = vm["vault-role-id-file"].as<std::string>();
  c.vault_secret_id_file = vm["vault-secret-id-file"].as<std::string>();
  c.blobs = vm["blobs"].as<std::string>();
}

// The listener and the limits of what clients send and are sent.
Status readEdge(const po::variables_map& vm, Config& c) {
  if (auto st = parseListen(vm["listen"].as<std::string>(), c); !st) return st.error();
  c.edge.trust_forwarded_for = vm["trust-forwarded-for"].as<bool>();
  c.static_dir = vm["static-dir"].as<std::string>();
  if (vm.count("allowed-origin"))
    c.allowed_origins = vm["allowed-origin"].as<std::vector<std::string>>();
  c.threads = vm["threads"].as<int>();
  c.hash_threads = vm["hash-threads"].as<int>();
  c.edge.max_frame = static_cast<std::size_t>(vm["max-frame"].as<long long>());
  c.edge.max_body = static_cast<std::size_t>(vm["max-body"].as<long long>());
  c.edge.max_outbound = static_cast<std::size_t>(vm["max-outbound"].as<long long>());
  c.log_level = vm["log-level"].as<std::string>();
  return Status{};
}

// TLS (docs/operations.md, "TLS"): both files or neither; read at start, not here.
Status readTls(const po::variables_map& vm, Config& c) {
  c.tls_cert = vm["tls-cert"].as<std::string>();
  c.tls_key = vm["tls-key"].as<std::string>();
  if (c.tls_cert.empty() != c.tls_key.empty())
    return makeError(Code::bad_request, "--tls-cert and --tls-key go together");
  c.edge.hsts = vm["hsts"].as<bool>();
  c.edge.test_echo = vm["test-echo-endpoint"].as<bool>();
  return Status{};
}

// Uploads, their quotas, and thumbnails.
void readFiles(const po::variables_map& vm, Config& c) {
  c.files.max_upload = static_cast<std::uint64_t>(vm["max-upload"].as<long long>());
  c.files.upload_ttl_ms = vm["upload-ttl"].as<long>() * 1000;
  c.files.max_unattached_bytes = vm["upload-quota-mib"].as<std::uint64_t>() << 20;
  c.files.max_unattached_files = vm["upload-quota-files"].as<std::uint64_t>();
  c.files.max_bytes_per_day = vm["upload-daily-mib"].as<std::uint64_t>() << 20;
  c.files.uploads_per_minute = std::max(0, vm["upload-rate"].as<int>());
  c.files.max_in_flight_per_user = std::max(0, vm["uploads-in-flight-per-user"].as<int>());
  c.files.max_in_flight = std::max(0, vm["uploads-in-flight"].as<int>());
  c.files.min_upload_rate = vm["upload-min-rate"].as<std::uint64_t>();
  c.files.upload_grace_ms = std::max(0L, vm["upload-grace-ms"].as<long>());
  c.files.thumbnail_queue_per_user = std::max(1, vm["thumbnail-queue-per-user"].as<int>());
  c.files.thumbnail_wait_ms = std::max(0L, vm["thumbnail-wait-ms"].as<long>());
  c.image.max_decoded_bytes = vm["thumbnail-max-decoded-mib"].as<std::uint64_t>() << 20;
  c.image.max_interlaced_bytes = vm["thumbnail-max-interlaced-mib"].as<std::uint64_t>() << 20;
}

// Who may sign up, and whether a second factor is required (docs/operations.md, "Sign-up").
Status readSignup(const po::variables_map& vm, Config& c) {
  const std::string mode = vm["registration"].as<std::string>();
  using R = ServiceLimits::Registration;
  if (mode == "open") {
    c.limits.registration = R::open;
  } else if (mode == "invite") {
    c.limits.registration = R::invite;
  } else if (mode == "closed") {
    c.limits.registration = R::closed;
  } else {
    return makeError(Code::bad_request, "--registration must be open, invite or closed");
  }
  c.limits.require_2fa = vm["require-2fa"].as<bool>();
  const std::string people = vm["people-search"].as<std::string>();
  if (people != "all" && people != "shared") {
    return makeError(Code::bad_request, "--people-search must be all or shared");
  }
  c.limits.people_search_shared = people == "shared";
  c.limits.people_search_rate_per_sec = vm["people-search-rate"].as<int>();
  c.limits.profile_changes_per_hour = vm["profile-changes-per-hour"].as<int>();
  return Status{};
}

// Rates, sessions, logins, registrations and the audit trail.
Status readLimits(const po::variables_map& vm, Config& c) {
  c.limits.send_rate_per_sec = vm["send-rate"].as<int>();
  c.limits.search_rate_per_sec = vm["search-rate"].as<int>();
  c.limits.search_suggest_rate_per_sec = vm["search-suggest-rate"].as<int>();
  c.search_synonyms = vm["search-synonyms"].as<std::string>();
  c.limits.resume_max_events = vm["resume-max"].as<int>();
  c.limits.history_page_cache_bytes =
      static_cast<std::size_t>(vm["history-cache-mib"].as<int>()) * 1024 * 1024;
  c.limits.session_idle_ms = vm["session-idle-days"].as<int>() * 24LL * 3600 * 1000;
  c.limits.session_max_age_ms = vm["session-max-age-days"].as<int>() * 24LL * 3600 * 1000;
  if (vm.count("admin")) c.limits.admin_usernames = vm["admin"].as<std::vector<std::string>>();
  c.limits.login_per_ip_per_minute = vm["login-per-ip"].as<int>();
  c.limits.login_per_account_ip_per_15min = vm["login-per-account-ip"].as<int>();
  c.limits.login_per_account_unknown_network_per_hour =
      vm["login-per-account-new-network"].as<int>();
  c.limits.register_per_ip_per_hour = vm["register-per-ip"].as<int>();
  if (vm["audit-retention-days"].as<int>() < 0)
    return makeError(Code::bad_request, "--audit-retention-days must be 0 or more");
  c.limits.audit_retention_ms = vm["audit-retention-days"].as<int>() * 24LL * 3600 * 1000;
  c.limits.register_per_minute = vm["register-per-minute"].as<int>();
  return Status{};
}

}  // namespace

Result<std::optional<Config>> parseServeArgs(int argc, const char* const* argv) {
  auto desc = describe();
  po::variables_map vm;
  if (auto st = readOptions(argc, argv, desc, vm); !st) return st.error();
  if (vm.count("help")) {
    std::cout << "usage: parley serve [options]\n\n" << desc << "\n";
    return std::optional<Config>();
  }
  if (auto st = checkNumbers(vm); !st) return st.error();
  Config c;
  readBackends(vm, c);
  if (auto st = readEdge(vm, c); !st) return st.error();
  if (auto st = readTls(vm, c); !st) return st.error();
  readFiles(vm, c);
  if (auto st = readLimits(vm, c); !st) return st.error();
  if (auto st = readSignup(vm, c); !st) return st.error();
  return std::optional<Config>(std::move(c));
}

}  // namespace parley::app
