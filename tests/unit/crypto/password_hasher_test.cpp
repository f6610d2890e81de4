#include "crypto/password_hasher.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <thread>

#include "run_sync.h"

namespace parley::crypto {
namespace {

namespace asio = boost::asio;
using parley::testing::runSync;

PasswordHasherOptions fastOptions(int threads = 2, int max_waiting = 64) {
  PasswordHasherOptions o;
  o.threads = threads;
  o.max_waiting = max_waiting;
  o.opslimit = crypto_pwhash_OPSLIMIT_MIN;
  o.memlimit = crypto_pwhash_MEMLIMIT_MIN;
  return o;
}

TEST(PasswordHasher, DefaultsAreOwaspArgon2id) {
  PasswordHasherOptions o;
  EXPECT_EQ(o.opslimit, 2u);
  EXPECT_EQ(o.memlimit, 19u * 1024 * 1024);
}

TEST(PasswordHasher, VerifiesTheRightPasswordOnly) {
  PasswordHasher hasher(fastOptions());
  auto hash = runSync(hasher.hash("correct horse battery staple"));
  ASSERT_TRUE(hash.has_value()) << hash.error().message;
  EXPECT_TRUE(hash->starts_with("$argon2id$")) << *hash;
  EXPECT_EQ(hash->find('\0'), std::string::npos);

  EXPECT_EQ(runSync(hasher.verify(*hash, "correct horse battery staple")).value(), true);
  EXPECT_EQ(runSync(hasher.verify(*hash, "correct horse battery stapler")).value(), false);
  EXPECT_EQ(runSync(hasher.verify(*hash, "")).value(), false);
  EXPECT_EQ(runSync(hasher.verify("not a hash", "x")).value(), false);
}

TEST(PasswordHasher, SaltsEveryHash) {
  PasswordHasher hasher(fastOptions());
  EXPECT_NE(runSync(hasher.hash("same")).value(), runSync(hasher.hash("same")).value());
}

TEST(PasswordHasher, DefaultParametersWork) {
  PasswordHasher hasher;  // t=2, m=19 MiB: one real hash plus the one made at construction
  auto hash = runSync(hasher.hash("pw")).value();
  EXPECT_NE(hash.find("$m=19456,t=2,p=1$"), std::string::npos) << hash;
  EXPECT_TRUE(runSync(hasher.verify(hash, "pw")).value());
  EXPECT_FALSE(hasher.needsRehash(hash));
}

TEST(PasswordHasher, NeedsRehashWhenParametersChange) {
  PasswordHasher fast(fastOptions());
  auto hash = runSync(fast.hash("pw")).value();
  EXPECT_FALSE(fast.needsRehash(hash));
  PasswordHasherOptions stronger = fastOptions();
  stronger.opslimit += 1;
  EXPECT_TRUE(PasswordHasher(stronger).needsRehash(hash));
  EXPECT_TRUE(fast.needsRehash("garbage"));
}

TEST(PasswordHasher, BurnSucceedsWithoutAUser) {
  PasswordHasher hasher(fastOptions());
  EXPECT_TRUE(runSync(hasher.burn("whatever")).has_value());
}

TEST(PasswordHasher, CallerResumesOnItsOwnExecutor) {
  PasswordHasher hasher(fastOptions());
  asio::io_context io;
  std::thread::id before, after;
  auto done = asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        before = std::this_thread::get_id();
        auto h = co_await hasher.hash("pw");
        EXPECT_TRUE(h.has_value());
        EXPECT_TRUE(io.get_executor().running_in_this_thread());
        after = std::this_thread::get_id();
      },
      asio::use_future);
  io.run();
  done.get();
  EXPECT_EQ(before, after);
}

TEST(PasswordHasher, SaturationAnswersBusyAndNeverHangs) {
  // One thread, at most two requests running or queued. All ten requests start before any
  // hash can finish (their completions queue behind them on the single io_context thread),
  // so exactly two are admitted.
  PasswordHasher hasher(fastOptions(/*threads=*/1, /*max_waiting=*/2));
  asio::io_context io;
  int ok = 0, busy = 0, other = 0;
  for (int i = 0; i < 10; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto r = co_await hasher.burn("pw");  // a verify: hash() may hold only half
          if (r.has_value()) {
            ++ok;
          } else if (r.error().code == Code::busy) {
            ++busy;
          } else {
            ++other;
          }
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
  }
  io.run();  // returns only when all ten have answered
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(busy, 8);
  EXPECT_EQ(other, 0);

  // Slots are released: the hasher accepts work again.
  EXPECT_TRUE(runSync(hasher.hash("pw")).has_value());
  EXPECT_TRUE(runSync(hasher.burn("pw")).has_value());
}

TEST(PasswordHasher, NewHashesLeaveHalfThePlacesToLogins) {
  // Ten places. A flood of hash() (registrations) gets at most five; the verifies (logins)
  // started after the flood still find places.
  PasswordHasher hasher(fastOptions(/*threads=*/1, /*max_waiting=*/10));
  auto stored = runSync(hasher.hash("pw")).value();
  asio::io_context io;
  int hashed = 0, hash_busy = 0, verified = 0, verify_busy = 0;
  auto spawn = [&io](auto body) {
    asio::co_spawn(io, std::move(body), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  };
  for (int i = 0; i < 20; ++i) {
    spawn([&]() -> asio::awaitable<void> {
      auto r = co_await hasher.hash("flood");
      ++(r.has_value() ? hashed : hash_busy);
    });
  }
  for (int i = 0; i < 5; ++i) {
    spawn([&]() -> asio::awaitable<void> {
      auto r = co_await hasher.verify(stored, "pw");
      if (r.has_value() && *r) ++verified;
      if (!r.has_value() && r.error().code == Code::busy) ++verify_busy;
    });
  }
  io.run();
  EXPECT_EQ(hashed, 5);
  EXPECT_EQ(hash_busy, 15);
  EXPECT_EQ(verified, 5);
  EXPECT_EQ(verify_busy, 0);
}

TEST(PasswordHasher, ConcurrentCallersFromManyThreads) {
  PasswordHasher hasher(fastOptions(/*threads=*/2, /*max_waiting=*/64));
  auto hash = runSync(hasher.hash("pw")).value();
  asio::io_context io;
  std::atomic<int> matched = 0;
  for (int i = 0; i < 16; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          auto r = co_await hasher.verify(hash, i % 2 == 0 ? "pw" : "nope");
          if (r.value()) ++matched;
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
  }
  std::thread a([&] { io.run(); });
  std::thread b([&] { io.run(); });
  a.join();
  b.join();
  EXPECT_EQ(matched, 8);
}

}  // namespace
}  // namespace parley::crypto
