// The circuit breaker in front of the key service (service/key_breaker.h): consecutive
// unavailable answers open it, an open breaker refuses at once without calling the service,
// one probe goes through after open_for, and its answer closes or reopens it.
#include "service/key_breaker.h"

#include <gtest/gtest.h>

#include <atomic>

#include "core/metrics.h"
#include "support/await.h"

namespace parley {
namespace {

using namespace std::chrono_literals;
using testing::await;

// A key service that can be "down" (every call unavailable) or refuse (internal).
class ScriptedKeys final : public KeyProvider {
 public:
  boost::asio::awaitable<Result<std::string>> wrap(std::string key, std::string) override {
    ++calls;
    if (down) co_return makeError(Code::unavailable, "connection refused");
    if (refuse) co_return makeError(Code::internal, "denied");
    co_return "w:" + key;
  }
  boost::asio::awaitable<Result<std::string>> unwrap(std::string blob, std::string ctx) override {
    auto r = co_await wrap(std::move(blob), std::move(ctx));
    co_return r;
  }
  std::atomic<int> calls{0};
  std::atomic<bool> down{false}, refuse{false};
};

class KeyBreakerTest : public ::testing::Test {
 protected:
  std::chrono::steady_clock::time_point now{std::chrono::seconds(1000)};
  ScriptedKeys* service = nullptr;
  std::unique_ptr<KeyServiceBreaker> breaker;

  void SetUp() override {
    auto keys = std::make_unique<ScriptedKeys>();
    service = keys.get();
    breaker = std::make_unique<KeyServiceBreaker>(
        std::move(keys), BreakerOptions{.failures_to_open = 3, .open_for = 5s},
        [this] { return now; });
  }
  Code unwrapCode() {
    auto r = await(breaker->unwrap("k", "ctx"));
    return r ? Code::internal : r.error().code;  // success reads as internal here: unused
  }
  bool unwraps() { return await(breaker->unwrap("k", "ctx")).has_value(); }
};

TEST_F(KeyBreakerTest, OpensAfterConsecutiveFailuresAndThenCostsTheServiceNothing) {
  EXPECT_TRUE(unwraps());
  EXPECT_EQ(metrics().key_service_up.value(), 1);
  service->down = true;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(unwrapCode(), Code::unavailable);
  EXPECT_EQ(breaker->state(), KeyServiceBreaker::State::open);
  EXPECT_EQ(metrics().key_service_up.value(), 0);
  EXPECT_EQ(metrics().key_breaker_state.value(), 2);
  const int calls = service->calls;
  const auto rejected = metrics().key_breaker_rejected.value();
  for (int i = 0; i < 50; ++i) EXPECT_EQ(unwrapCode(), Code::unavailable);
  EXPECT_EQ(service->calls, calls) << "an open breaker must not call the service";
  EXPECT_EQ(metrics().key_breaker_rejected.value(), rejected + 50);
  auto w = await(breaker->wrapInScope(std::string(32, 'k'), "ctx", "room:1"));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Code::unavailable);
}

TEST_F(KeyBreakerTest, AProbeAfterOpenForClosesItWhenTheServiceIsBack) {
  service->down = true;
  for (int i = 0; i < 3; ++i) unwrapCode();
  now += 4s;
  EXPECT_EQ(unwrapCode(), Code::unavailable);  // still open
  now += 1s;
  EXPECT_EQ(breaker->state(), KeyServiceBreaker::State::half_open);
  service->down = false;
  const int calls = service->calls;
  EXPECT_TRUE(unwraps());  // the probe
  EXPECT_EQ(service->calls, calls + 1);
  EXPECT_EQ(breaker->state(), KeyServiceBreaker::State::closed);
  EXPECT_EQ(metrics().key_service_up.value(), 1);
  EXPECT_TRUE(unwraps());
}

TEST_F(KeyBreakerTest, AFailedProbeReopensItForAnotherPeriod) {
  service->down = true;
  for (int i = 0; i < 3; ++i) unwrapCode();
  now += 5s;
  const int calls = service->calls;
  EXPECT_EQ(unwrapCode(), Code::unavailable);  // the probe, still down
  EXPECT_EQ(service->calls, calls + 1);
  EXPECT_EQ(breaker->state(), KeyServiceBreaker::State::open);
  now += 4s;
  EXPECT_EQ(unwrapCode(), Code::unavailable);
  EXPECT_EQ(service->calls, calls + 1);
}

TEST_F(KeyBreakerTest, RefusalsAndSuccessesAreNotOutages) {
  service->refuse = true;  // the service answers "no": it is up
  for (int i = 0; i < 10; ++i) EXPECT_EQ(unwrapCode(), Code::internal);
  EXPECT_EQ(breaker->state(), KeyServiceBreaker::State::closed);
  service->refuse = false;
  service->down = true;
  unwrapCode();
  unwrapCode();
  service->down = false;
  EXPECT_TRUE(unwraps());  // not consecutive: the count starts again
  service->down = true;
  unwrapCode();
  unwrapCode();
  EXPECT_EQ(breaker->state(), KeyServiceBreaker::State::closed);
}

}  // namespace
}  // namespace parley
