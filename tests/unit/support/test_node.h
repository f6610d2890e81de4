// A whole node's service layer on real small adapters (SQLite in a temp dir, in-process
// bus and cache, a local keyring), with a manual clock. For service and router tests.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <random>

#include "adapters/blobs_local/local_blob_store.h"
#include "adapters/keyring/local_keyring.h"
#include "adapters/memory/inproc_bus.h"
#include "adapters/memory/memory_cache.h"
#include "adapters/sqlite/sqlite_store.h"
#include "crypto/password_hasher.h"
#include "ports/clock.h"
#include "service/accounts.h"
#include "service/files.h"
#include "service/hub.h"
#include "service/messages.h"
#include "service/presence.h"
#include "service/room_keys.h"
#include "service/rooms.h"
#include "service/users.h"

namespace parley::testing {

inline std::filesystem::path freshDir() {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() /
             ("parley-test-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

inline crypto::PasswordHasherOptions fastHashing() {
  crypto::PasswordHasherOptions o;
  o.opslimit = 1;
  o.memlimit = 8192;  // libsodium's minimum: tests only
  return o;
}

struct TestNode {
  std::filesystem::path dir = freshDir();
  boost::asio::io_context ioc;
  KeyProviderPtr keys = keyring::openLocalKeyring(dir / "keyring.json").value();
  StorePtr store = sqlite::openSqliteStore(dir / "parley.db").value();
  BusPtr bus = memory::makeInprocBus(ioc.get_executor());
  CachePtr cache = memory::makeMemoryCache();
  ManualClock clock{1'700'000'000'000};
  ServiceLimits limits;
  crypto::PasswordHasher hasher{fastHashing()};
  UserDirectory users{*store};
  RoomKeys room_keys{*store, *keys};
  BlobStorePtr blobs = blobs_local::makeLocalBlobStore(dir / "blobs").value();
  FileLimits file_limits;
  FilesService files{*store, *blobs, room_keys, *cache, clock, file_limits};
  MessageService messages{*store, *cache, *bus, room_keys, users, files, clock, limits};

  SharedSecrets secrets{*store, *keys};
  AccountService accounts{*store, *cache, *bus, hasher, users, secrets, clock, limits};
  Hub hub{*bus};
  const std::int64_t presence_room_limit;
  PresenceService presence{*store,
                           *cache,
                           *bus,
                           hub,
                           users,
                           clock,
                           "test-node",
                           PresenceService::kDefaultLeaseMs,
                           presence_room_limit};
  RoomService rooms{*store, *bus, messages, presence, users, clock, limits};

  explicit TestNode(std::int64_t room_limit = PresenceService::kDefaultRoomLimit)
      : presence_room_limit(room_limit) {
    limits.send_rate_per_sec = 1000;
    // Tests register many users from one address; the registration limits have their own
    // tests (tests/security/test_register_flood.py).
    limits.register_per_ip_per_hour = 1'000'000;
    limits.register_per_minute = 1'000'000;
    bus->setHandler(
        [this](const std::string& t, Bus::Payload p) { hub.onBusMessage(t, std::move(p)); },
        [this] { hub.onResubscribed(); });
  }
  ~TestNode() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  // Runs `task` and every handler it leaves behind (bus deliveries) to completion.
  template <class T>
  T run(Task<T> task) {
    auto f = boost::asio::co_spawn(ioc, std::move(task), boost::asio::use_future);
    ioc.restart();
    ioc.run();
    return f.get();
  }

  User user(const std::string& name) {
    return run(accounts.registerUser(name, "password-" + name, "127.0.0.1")).value();
  }
};

}  // namespace parley::testing
