// Upload admission (quotas, rate, in-flight caps) and the fair thumbnail queue.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <vector>

#include "service/thumbnail_queue.h"
#include "support/test_node.h"

namespace parley {
namespace {

using testing::TestNode;

class UploadLimitsTest : public ::testing::Test {
 protected:
  TestNode node;
  User alice = node.user("alice");
  User bob = node.user("bob");
  Room room = node.run(node.rooms.create(alice, "general", "", false)).value();

  UploadLimitsTest() {
    node.run(node.rooms.addMember(alice, room.id, "bob")).value();
    // Every limit off but the one a test sets.
    FileLimits& l = node.file_limits;
    l.max_unattached_bytes = 0;
    l.max_unattached_files = 0;
    l.max_bytes_per_day = 0;
    l.uploads_per_minute = 0;
    l.max_in_flight_per_user = 0;
    l.max_in_flight = 0;
  }

  Result<UploadTicket> admit(const User& who, std::optional<std::uint64_t> declared) {
    return node.run(node.files.admit(who.id, declared));
  }

  // An upload of `size` bytes, declared (Content-Length) or not (chunked).
  Result<FileView> upload(const User& who, std::size_t size, bool declared = true) {
    auto ticket = admit(who, declared ? std::optional<std::uint64_t>(size) : std::nullopt);
    if (!ticket) return ticket.error();
    StringBlobSource body(std::string(size, 'x'), 100);
    return node.run(node.files.upload(*ticket, who, room.id, "f.bin", body));
  }

  static void expectQuota(const Error& e) {
    EXPECT_EQ(e.code, Code::payload_too_large);
    EXPECT_TRUE(e.message.starts_with("quota_exceeded: ")) << e.message;
  }
};

TEST_F(UploadLimitsTest, UnattachedCountIsCheckedBeforeTheBody) {
  node.file_limits.max_unattached_files = 2;
  auto first = upload(alice, 10).value();
  ASSERT_TRUE(upload(alice, 10));
  expectQuota(admit(alice, 10).error());
  expectQuota(admit(alice, std::nullopt).error());
  EXPECT_TRUE(admit(bob, 10));  // per user
  ASSERT_TRUE(node.run(node.store->deleteUnattachedFile(first.record.id)));
  EXPECT_TRUE(admit(alice, 10));
}

TEST_F(UploadLimitsTest, UnattachedBytesCountDeclaredAndStreamedBodies) {
  node.file_limits.max_unattached_bytes = 1000;
  ASSERT_TRUE(upload(alice, 600));
  expectQuota(admit(alice, 401).error());
  EXPECT_TRUE(admit(alice, 400));
  // A chunked body is cut once it passes what is left, and nothing of it is kept.
  auto chunked = upload(alice, 401, false);
  ASSERT_FALSE(chunked);
  expectQuota(chunked.error());
  EXPECT_EQ(node.run(node.store->unattachedUsage(alice.id))->count, 1u);
  EXPECT_TRUE(upload(alice, 400, false));
}

TEST_F(UploadLimitsTest, UploadsInFlightCountAgainstTheBytesQuota) {
  node.file_limits.max_unattached_bytes = 1000;
  auto held = admit(alice, 700);
  ASSERT_TRUE(held);
  expectQuota(admit(alice, 301).error());
  EXPECT_TRUE(admit(alice, 300));
}

TEST_F(UploadLimitsTest, BytesPerDayHoldUntilTheNextUtcDay) {
  node.file_limits.max_bytes_per_day = 1000;
  auto f = upload(alice, 600).value();
  ASSERT_TRUE(node.run(node.store->deleteUnattachedFile(f.record.id)));  // deleting gives none back
  auto refused = admit(alice, 401);
  ASSERT_FALSE(refused);
  expectQuota(refused.error());
  EXPECT_GT(refused.error().retry_after_s, 0);
  EXPECT_LE(refused.error().retry_after_s, 86400);
  EXPECT_FALSE(upload(alice, 401, false));  // chunked: cut as it streams
  node.clock.advance(24LL * 3600 * 1000);
  EXPECT_TRUE(upload(alice, 1000));
}

TEST_F(UploadLimitsTest, ADeclaredLengthNotReachedIsGivenBack) {
  node.file_limits.max_bytes_per_day = 1000;
  {
    auto ticket = admit(alice, 1000).value();
    StringBlobSource body(std::string(10, 'x'));
    ASSERT_TRUE(node.run(node.files.upload(ticket, alice, room.id, "f.bin", body)));
  }
  EXPECT_TRUE(admit(alice, 990));
}

TEST_F(UploadLimitsTest, UploadRatePerMinute) {
  node.file_limits.uploads_per_minute = 2;
  ASSERT_TRUE(upload(alice, 1));
  ASSERT_TRUE(upload(alice, 1));
  auto refused = admit(alice, 1);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Code::rate_limited);
  EXPECT_GT(refused.error().retry_after_s, 0);
  EXPECT_TRUE(admit(bob, 1));
  node.clock.advance(60'000);
  EXPECT_TRUE(admit(alice, 1));
}

TEST_F(UploadLimitsTest, InFlightCapsPerUserAndInTotal) {
  node.file_limits.max_in_flight_per_user = 2;
  node.file_limits.max_in_flight = 3;
  auto a1 = admit(alice, 1);
  auto a2 = admit(alice, 1);
  ASSERT_TRUE(a1 && a2);
  auto a3 = admit(alice, 1);
  ASSERT_FALSE(a3);
  EXPECT_EQ(a3.error().code, Code::rate_limited);
  auto b1 = admit(bob, 1);
  ASSERT_TRUE(b1);
  auto b2 = admit(bob, 1);
  ASSERT_FALSE(b2);
  EXPECT_EQ(b2.error().code, Code::busy);  // the node's total
  { UploadTicket done = std::move(*a1); }  // one finishes
  EXPECT_TRUE(admit(alice, 1));
}

// A job that blocks its worker until released, recording the order jobs ran in.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  std::vector<std::string> order;
  int done = 0;

  std::function<void()> job(std::string name, bool block = false) {
    return [this, name, block] {
      std::unique_lock lock(mu);
      order.push_back(name);
      if (block) cv.wait(lock, [this] { return released; });
      ++done;
      cv.notify_all();
    };
  }
  void release() {
    std::lock_guard lock(mu);
    released = true;
    cv.notify_all();
  }
  void waitFor(int n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done >= n; });
  }
};

TEST(ThumbnailQueue, ANewcomerGoesBeforeAnotherUsersQueue) {
  Recorder r;
  {
    ThumbnailQueue q(1, 10);
    ASSERT_TRUE(q.submit(1, r.job("a1", true)));  // holds the only worker
    ASSERT_TRUE(q.submit(1, r.job("a2")));
    ASSERT_TRUE(q.submit(1, r.job("a3")));
    ASSERT_TRUE(q.submit(2, r.job("b1")));
    ASSERT_TRUE(q.submit(3, r.job("c1")));
    ASSERT_TRUE(q.submit(2, r.job("b2")));
    r.release();
    r.waitFor(6);
  }
  // b1 and c1 wait only for the job running when they came; then turns alternate.
  EXPECT_EQ(r.order, (std::vector<std::string>{"a1", "b1", "c1", "a2", "b2", "a3"}));
}

TEST(ThumbnailQueue, CapsJobsPerUser) {
  Recorder r;
  {
    ThumbnailQueue q(1, 2);
    ASSERT_TRUE(q.submit(1, r.job("a1", true)));
    ASSERT_TRUE(q.submit(1, r.job("a2")));
    EXPECT_FALSE(q.submit(1, r.job("a3")));  // two queued or running already
    EXPECT_TRUE(q.submit(2, r.job("b1")));
    r.release();
    r.waitFor(3);
    EXPECT_TRUE(q.submit(1, r.job("a4")));  // finished jobs no longer count
    r.waitFor(4);
  }
  EXPECT_EQ(r.order.size(), 4u);
}

}  // namespace
}  // namespace parley
