// Configuration of `parley serve`: command-line flags, then PARLEY_* environment variables,
// then an optional TOML file (`--config`), in that order of precedence.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/api_context.h"
#include "core/error.h"
#include "media/thumbnail.h"
#include "service/files.h"
#include "service/limits.h"

namespace parley::app {

struct Config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::string data_dir = "./parley-data";
  std::string db_url;  // empty: SQLite at <data_dir>/parley.db; else sqlite:PATH or postgresql://
  std::string redis_url;  // empty: in-process bus and cache (one node only)
  std::string bus_url;    // empty: the bus is Redis pub/sub with --redis, else in-process
  bool migrate = true;    // apply missing schema steps at start
  std::string keyring;    // empty: <data_dir>/keyring.json; a path, or kms+https://...; shared
  std::string vault_token_file;      // with a vault+ keyring: where the token is (else env)
  std::string vault_role_id_file;    // ... or an AppRole login: its role id
  std::string vault_secret_id_file;  // ... and secret id
  std::string blobs;  // empty: a local directory <data_dir>/blobs; else a path or s3://...
  FileLimits files;
  media::ImageLimits image;
  std::string static_dir;
  std::vector<std::string> allowed_origins;
  int threads = 0;  // 0: one per core
  int hash_threads = 2;
  std::string log_level = "info";
  ServiceLimits limits;
  Millis presence_lease_ms = 30'000;
  std::int64_t presence_room_limit = 200;  // group rooms above it carry no live presence
  api::EdgeLimits edge;
  std::string tls_cert;         // PEM chain; empty: plain HTTP
  std::string tls_key;          // PEM key of tls_cert
  std::string search_synonyms;  // --search-synonyms FILE; empty: none
};

// Parses `argv` (after the "serve" word). Returns nullopt after printing --help.
Result<std::optional<Config>> parseServeArgs(int argc, const char* const* argv);
// `parley migrate` takes the same options; only --db, --data-dir and --config matter.

}  // namespace parley::app
