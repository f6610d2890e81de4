// The behaviour every KeyProvider adapter must show (src/ports/key_provider.h), as one
// value-parameterised suite. An adapter's test instantiates it with a factory that opens the
// provider under test:
//
//   INSTANTIATE_TEST_SUITE_P(Keyring, KeyProviderContract, ::testing::Values(keyringFactory()));
//
// Each call is awaited on a private io_context, as a caller on another executor would.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crypto/random.h"
#include "ports/key_provider.h"
#include "support/await.h"

namespace parley::key_contract {

struct KeyProviderFactory {
  std::string name;
  // Null (after failing the test) when the provider cannot be opened. Two calls open two
  // providers on the same master key (two nodes of one deployment).
  std::function<KeyProviderPtr()> open;
};

inline std::ostream& operator<<(std::ostream& os, const KeyProviderFactory& f) {
  return os << f.name;
}

using ::parley::testing::await;

class KeyProviderContract : public ::testing::TestWithParam<KeyProviderFactory> {
 protected:
  void SetUp() override {
    keys_ = GetParam().open();
    ASSERT_NE(keys_, nullptr) << "could not open the " << GetParam().name << " key provider";
  }

  Result<std::string> wrap(KeyProvider& k, const std::string& key, const std::string& ctx) {
    return await(k.wrap(key, ctx));
  }
  Result<std::string> unwrap(KeyProvider& k, const std::string& blob, const std::string& ctx) {
    return await(k.unwrap(blob, ctx));
  }

  KeyProviderPtr keys_;
};

TEST_P(KeyProviderContract, WrapUnwrapRoundTripsAndHidesTheKey) {
  const std::string key = crypto::randomBytes(32);
  auto wrapped = wrap(*keys_, key, "room:42:v1");
  ASSERT_TRUE(wrapped) << wrapped.error().message;
  EXPECT_EQ(wrapped->find(key), std::string::npos) << "the data key is in the wrapped blob";
  auto back = unwrap(*keys_, *wrapped, "room:42:v1");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, key);
}

TEST_P(KeyProviderContract, WrappingTwiceGivesDifferentBlobsThatBothOpen) {
  const std::string key = crypto::randomBytes(32);
  auto a = wrap(*keys_, key, "room:1:v1");
  auto b = wrap(*keys_, key, "room:1:v1");
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(unwrap(*keys_, *a, "room:1:v1").value(), key);
  EXPECT_EQ(unwrap(*keys_, *b, "room:1:v1").value(), key);
}

TEST_P(KeyProviderContract, AnotherContextDoesNotOpen) {
  const std::string key = crypto::randomBytes(32);
  auto wrapped = wrap(*keys_, key, "room:42:v1");
  ASSERT_TRUE(wrapped) << wrapped.error().message;
  for (const std::string other : {"room:43:v1", "room:42:v2", "room:42:v1 ", ""}) {
    auto r = unwrap(*keys_, *wrapped, other);
    ASSERT_FALSE(r) << "opened under context '" << other << "'";
    EXPECT_EQ(r.error().code, Code::internal) << r.error().message;
  }
}

TEST_P(KeyProviderContract, TamperedOrTruncatedBlobsDoNotOpen) {
  const std::string key = crypto::randomBytes(32);
  auto wrapped = wrap(*keys_, key, "room:7:v1");
  ASSERT_TRUE(wrapped) << wrapped.error().message;
  std::vector<std::string> bad = {"", wrapped->substr(0, 1),
                                  wrapped->substr(0, wrapped->size() / 2), *wrapped + "x"};
  for (std::size_t i : {std::size_t{1}, wrapped->size() / 2, wrapped->size() - 1}) {
    std::string flipped = *wrapped;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
    bad.push_back(flipped);
  }
  for (const auto& b : bad) {
    auto r = unwrap(*keys_, b, "room:7:v1");
    ASSERT_FALSE(r) << "a damaged blob of " << b.size() << " bytes opened";
    EXPECT_EQ(r.error().code, Code::internal) << r.error().message;
  }
}

TEST_P(KeyProviderContract, AKeyThatIsNot32BytesIsRefused) {
  for (std::size_t n : {0, 16, 31, 33}) {
    auto r = wrap(*keys_, std::string(n, 'k'), "room:1:v1");
    ASSERT_FALSE(r) << n << " bytes wrapped";
    EXPECT_EQ(r.error().code, Code::internal);
  }
}

// A provider that can shred (canShred) destroys a scope for good; one that cannot wraps
// in-scope keys like any other and destroys nothing (port: key_provider.h).
TEST_P(KeyProviderContract, ScopedKeysOpenUntilTheirScopeIsDestroyedWhereThatExists) {
  const std::string key = crypto::randomBytes(32);
  auto a = await(keys_->wrapInScope(key, "room:5:v1", "room:5"));
  auto b = await(keys_->wrapInScope(key, "room:6:v1", "room:6"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(unwrap(*keys_, *a, "room:5:v1").value(), key);
  EXPECT_FALSE(unwrap(*keys_, *a, "room:6:v1"));
  ASSERT_TRUE(await(keys_->destroyScope("room:5")));
  auto after = unwrap(*keys_, *a, "room:5:v1");
  EXPECT_EQ(unwrap(*keys_, *b, "room:6:v1").value(), key);
  if (!keys_->canShred()) {
    EXPECT_EQ(after.value(), key);
    return;
  }
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, Code::internal);
  auto again = await(keys_->wrapInScope(key, "room:5:v2", "room:5"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Code::conflict);
  KeyProviderPtr other = GetParam().open();  // another node sees the destruction
  ASSERT_NE(other, nullptr);
  EXPECT_FALSE(unwrap(*other, *a, "room:5:v1"));
}

TEST_P(KeyProviderContract, AnotherProviderOnTheSameMasterKeyOpensIt) {
  const std::string key = crypto::randomBytes(32);
  auto wrapped = wrap(*keys_, key, "room:9:v3");
  ASSERT_TRUE(wrapped) << wrapped.error().message;
  KeyProviderPtr other = GetParam().open();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(unwrap(*other, *wrapped, "room:9:v3").value(), key);
}

TEST_P(KeyProviderContract, ConcurrentCallsFromSeveralThreadsAllSucceed) {
  constexpr int kThreads = 4, kEach = 8;
  std::vector<std::string> keys(kThreads * kEach), opened(kThreads * kEach);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      boost::asio::io_context io;
      for (int i = 0; i < kEach; ++i) {
        const int n = t * kEach + i;
        keys[n] = crypto::randomBytes(32);
        boost::asio::co_spawn(
            io,
            [&, n]() -> boost::asio::awaitable<void> {
              std::string ctx = "room:" + std::to_string(n) + ":v1";
              std::string key = keys[n];
              auto w = co_await keys_->wrap(key, ctx);
              if (!w) co_return;
              std::string blob = *w;
              auto u = co_await keys_->unwrap(blob, ctx);
              if (u) opened[n] = *u;
            },
            boost::asio::detached);
      }
      io.run();
    });
  }
  for (auto& th : threads) th.join();
  for (std::size_t n = 0; n < keys.size(); ++n) EXPECT_EQ(opened[n], keys[n]) << "call " << n;
}

}  // namespace parley::key_contract
