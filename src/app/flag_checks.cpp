#include "app/flag_checks.h"

#include <boost/asio/ip/address.hpp>
#include <filesystem>
#include <regex>

#include "adapters/kafka/kafka_options.h"
#include "adapters/kms/kms_config.h"
#include "adapters/postgres/postgres_store.h"
#include "adapters/redis/cluster_slot.h"
#include "adapters/redis/connection.h"
#include "adapters/s3/s3_config.h"
#include "adapters/vault/vault_config.h"
#include "app/key_setup.h"

namespace parley::app {

namespace fs = std::filesystem;

namespace {

Error flagError(std::string_view flag, const std::string& why) {
  return makeError(Code::bad_request, std::string(flag) + ": " + why);
}

Status checkUrls(const Config& cfg) {
  if (redis::isClusterUrl(cfg.redis_url)) {
    if (auto seeds = redis::parseClusterUrl(cfg.redis_url); !seeds) {
      return flagError("--redis", seeds.error().message);
    }
  } else if (!cfg.redis_url.empty()) {
    if (auto ep = redis::parseRedisUrl(cfg.redis_url); !ep) {
      return flagError("--redis", ep.error().message);
    }
  }
  if (!cfg.bus_url.empty()) {
    if (!kafka::isKafkaUrl(cfg.bus_url)) return flagError("--bus", "must be kafka://...");
    if (auto k = kafka::parseKafkaUrl(cfg.bus_url); !k)
      return flagError("--bus", k.error().message);
    if (cfg.redis_url.empty()) {
      return flagError("--bus", "needs --redis (the cache, sessions and limits nodes share)");
    }
  }
  if (isPostgresUrl(cfg.db_url)) {
    if (auto st = postgres::checkPostgresUrl(cfg.db_url); !st) {
      return flagError("--db", st.error().message);
    }
  } else if (!cfg.db_url.empty() &&
             (cfg.db_url.rfind("sqlite:", 0) != 0 || cfg.db_url.size() == 7)) {
    return flagError("--db", "must be postgresql://... or sqlite:PATH");
  }
  if (auto st = checkKeyFlags(cfg); !st) return st;
  if (isS3Url(cfg.blobs)) {
    if (auto s = s3::parseS3Url(cfg.blobs); !s) return flagError("--blobs", s.error().message);
  }
  boost::system::error_code ec;
  boost::asio::ip::make_address(cfg.listen_host, ec);
  if (ec) return flagError("--listen", "not an IP address: " + cfg.listen_host);
  static const std::regex origin(R"(https?://[A-Za-z0-9.\-\[\]:]+)");
  for (const auto& o : cfg.allowed_origins) {
    if (!std::regex_match(o, origin)) {
      return flagError("--allowed-origin", "must be scheme://host[:port] (got " + o + ")");
    }
  }
  return {};
}

// The path as it will be once created: absolute, symlinks of its existing part resolved.
fs::path resolved(const fs::path& p) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? fs::absolute(p).lexically_normal() : r;
}

bool insideOrEqual(const fs::path& path, const fs::path& dir) {
  fs::path rel = path.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

// The static route serves what lies in the static dir (static_files.h): none of the node's
// own files may lie there, whatever the default or symlinks make of the two paths.
Status checkLocalPaths(const Config& cfg) {
  if (cfg.static_dir.empty()) return {};
  fs::path statics = resolved(cfg.static_dir);
  auto refuse = [&](std::string_view flag, const fs::path& p) -> Status {
    if (!insideOrEqual(resolved(p), statics)) return {};
    return flagError(flag, resolved(p).string() + " must not be inside --static-dir " +
                               statics.string() + " (nor equal to it): it would be served");
  };
  if (auto st = refuse("--data-dir", cfg.data_dir); !st) return st;
  if (!cfg.keyring.empty() && !kms::isKmsUrl(cfg.keyring) && !vault::isVaultUrl(cfg.keyring)) {
    if (auto st = refuse("--keyring", cfg.keyring); !st) return st;
  }
  if (cfg.db_url.rfind("sqlite:", 0) == 0) {
    if (auto st = refuse("--db", cfg.db_url.substr(7)); !st) return st;
  }
  if (!cfg.blobs.empty() && !isS3Url(cfg.blobs)) {
    if (auto st = refuse("--blobs", cfg.blobs); !st) return st;
  }
  return {};
}

}  // namespace

bool isPostgresUrl(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

bool isS3Url(std::string_view url) { return url.starts_with("s3://") || url.starts_with("s3+"); }

Status checkFlags(const Config& cfg) {
  if (auto st = checkUrls(cfg); !st) return st;
  return checkLocalPaths(cfg);
}

}  // namespace parley::app
