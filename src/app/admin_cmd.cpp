#include "app/admin_cmd.h"

#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <vector>

#include "app/admin_ops.h"
#include "app/flag_checks.h"
#include "core/log.h"

namespace parley::app {

namespace {

namespace asio = boost::asio;

struct Command {
  const char* name;
  const char* synopsis;  // after "parley admin NAME"
  const char* what;
  const char* options;  // the command's own options, one per line
};

constexpr Command kCommands[] = {
    {"create-user", "USER [--admin] [--password-stdin] [--url URL]",
     "create an account; without --password-stdin, print a one-time link to set its password",
     "  --admin           make it a server admin (the first account of a new server is one)\n"
     "  --password-stdin  read the password from the first line of standard input\n"
     "  --url URL         the address people open the web client at (default: from --listen)\n"},
    {"reset-password", "USER [--url URL]",
     "print a one-time password reset link (valid one hour; earlier links stop working)",
     "  --url URL         the address people open the web client at (default: from --listen)\n"},
    {"disable", "USER", "disable an account and end its sessions", ""},
    {"enable", "USER", "enable a disabled account", ""},
    {"grant-admin", "USER", "make an account a server admin", ""},
    {"revoke-admin", "USER", "take the server admin role from an account", ""},
    // Listed here; main.cpp hands it to shred_cmd.cpp (it needs the key service too).
    {"delete-room", "ROOM_ID", "delete a room for good, destroying its keys first", ""},
    {"list-users", "[--after ID] [--limit N]", "list accounts (id, name, roles, created)",
     "  --after ID        start after this account id (paging)\n"
     "  --limit N         at most N accounts, 1 to 100000 (default 1000)\n"},
    {"create-invite", "[--uses N] [--days D] [--room ID] [--url URL]",
     "print a sign-up invite link (for --registration invite; stored only as a hash)",
     "  --uses N          how many accounts it may create, 1 to 10000 (default 1)\n"
     "  --days D          days until it expires, 1 to 90 (default 7)\n"
     "  --room ID         a group room the new accounts join\n"
     "  --url URL         the address people open the web client at (default: from --listen)\n"},
    {"reset-2fa", "USER", "turn off an account's two-factor sign-in (it may enrol again)", ""},
};

constexpr const char* kStoreOptions =
    "store options (as for `parley serve`; env PARLEY_<NAME>; or TOML keys):\n"
    "  --data-dir DIR    the data directory of an embedded server (default ./parley-data)\n"
    "  --db URL          postgresql://... or sqlite:PATH\n"
    "  --keyring URL     the nodes' master key (audit rows are chained under it)\n"
    "  --config FILE     a TOML file with the serve options\n";

int adminUsage(std::ostream& out) {
  out << "usage: parley admin <command> [USER] [options] [store options]\n\ncommands:\n";
  for (const auto& c : kCommands) out << "  " << c.name << " " << c.synopsis << "\n";
  out << "\nparley admin <command> --help describes one.\n";
  return 2;
}

int commandHelp(const Command& c) {
  std::cout << "usage: parley admin " << c.name << " " << c.synopsis << " [store options]\n\n"
            << c.what << "\n\n";
  if (*c.options) std::cout << "options:\n" << c.options << "\n";
  std::cout << kStoreOptions;
  if (std::string(c.synopsis).find("--url") != std::string::npos)
    std::cout << "  --listen HOST:PORT  the serve option that makes the default --url\n";
  return 0;
}

int usageError(const std::string& message) {
  std::cerr << "parley admin: " << message << "\n";
  return 2;
}

// The command's own flags taken out of `args`; what is left goes to the serve options.
struct Parsed {
  std::string user;
  std::map<std::string, std::string> flags;  // "--admin" -> "", "--url" -> "https://..."
  std::vector<std::string> rest;
};

Result<Parsed> split(const Command& c, std::vector<std::string> args) {
  Parsed p;
  const std::string synopsis = c.synopsis;
  if (synopsis.rfind("USER", 0) == 0) {
    if (args.empty() || args[0].rfind("-", 0) == 0)
      return makeError(Code::bad_request, std::string(c.name) + " needs a USER first");
    p.user = args[0];
    args.erase(args.begin());
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto eq = a.find('=');
    std::string name = a.substr(0, eq);
    const bool takes_value = synopsis.find("[" + name + " ") != std::string::npos;
    const bool own = takes_value || synopsis.find("[" + name + "]") != std::string::npos;
    if (name.rfind("--", 0) != 0 || !own) {
      p.rest.push_back(a);
      continue;
    }
    if (!takes_value) {
      p.flags[name] = "";
    } else if (eq != std::string::npos) {
      p.flags[name] = a.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      p.flags[name] = args[++i];
    } else {
      return makeError(Code::bad_request, name + " needs a value");
    }
  }
  return p;
}

// The serve options among `rest`, parsed as `parley serve` would.
Result<Config> storeConfig(const std::vector<std::string>& rest) {
  std::vector<const char*> argv{"admin"};
  for (const auto& a : rest) argv.push_back(a.c_str());
  auto cfg = parseServeArgs(static_cast<int>(argv.size()), argv.data());
  if (!cfg) return cfg.error();
  if (!*cfg) return makeError(Code::bad_request, "--help: see parley admin <command> --help");
  return std::move(**cfg);
}

const Command* find(const std::string& name) {
  for (const auto& c : kCommands) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

int runOnStore(const Command& c, Parsed p, const Config& cfg, Store& store) {
  asio::io_context io;
  AdminRequest req{c.name, std::move(p.user), std::move(p.flags), cfg};
  auto done = asio::co_spawn(io, runAdmin(store, std::move(req), std::cout), asio::use_future);
  io.run();
  auto result = done.get();
  if (!result) {
    std::cerr << "parley admin " << c.name << ": " << result.error().message << "\n";
    const Code code = result.error().code;
    const bool bad_input =
        code == Code::bad_request || code == Code::invalid_username || code == Code::weak_password;
    return bad_input ? 2 : 1;
  }
  return 0;
}

}  // namespace

bool wantsHelp(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

int commandUsage(const std::string& command) {
  if (command == "migrate") {
    std::cout << "usage: parley migrate [store options]\n\n"
                 "bring the store's schema up to this build's version, then exit (SQLite also\n"
                 "migrates when a node opens it; run this before nodes started with\n"
                 "--no-migrate)\n\n"
              << kStoreOptions;
  } else {  // keys rewrap
    std::cout << "usage: parley keys rewrap [serve options]\n\n"
                 "re-wrap every stored data key under the newest master key version; run it\n"
                 "again after a failure, it resumes. It reads --keyring, --vault-token-file,\n"
                 "--db, --data-dir and --config as `parley serve` does (parley serve --help).\n";
  }
  return 0;
}

int adminMain(int argc, const char* const* argv, const StoreOpener& open_store) {
  if (argc < 2) return adminUsage(std::cerr);
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    adminUsage(std::cout);
    return 0;
  }
  const Command* c = find(name);
  if (!c) return usageError("unknown command " + name + " (parley admin --help)");
  if (wantsHelp(argc - 1, argv + 1)) return commandHelp(*c);
  auto parsed = split(*c, std::vector<std::string>(argv + 2, argv + argc));
  if (!parsed) return usageError(parsed.error().message);
  auto cfg = storeConfig(parsed->rest);
  if (!cfg) return usageError(cfg.error().message);
  log::init(log::Level::warn);
  if (auto st = checkFlags(*cfg); !st) return usageError(st.error().message);
  // A new server's first admin may come before its first start: the data dir is made as
  // `serve` makes it.
  std::error_code ec;
  if (!isPostgresUrl(cfg->db_url) && std::filesystem::create_directories(cfg->data_dir, ec))
    ::chmod(cfg->data_dir.c_str(), 0700);
  auto store = open_store(*cfg);
  if (!store) {
    std::cerr << "parley admin: the store: " << store.error().message << "\n";
    return 1;
  }
  return runOnStore(*c, std::move(*parsed), *cfg, **store);
}

}  // namespace parley::app
