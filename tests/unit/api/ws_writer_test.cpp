// The writer's one byte count: every frame held for a socket counts against the cap, and the
// count falls by exactly what the socket took, partial writes included.
#include "api/ws_writer.h"

#include <gtest/gtest.h>

#include <string>

namespace parley::api {
namespace {

LiveItem frame(std::size_t n, char c = 'x') { return directItem(std::string(n, c)); }

LiveItem event(RoomId room, Seq seq, std::size_t n) {
  LiveItem item = frame(n, 'e');
  item.env = Envelope::event(room, seq, 1);
  return item;
}

// What a batch would put on the wire, in order.
std::string wire(const WsWriter::Batch& b) {
  std::string out;
  for (std::size_t i = 0; i < b.count; ++i) {
    out.append(static_cast<const char*>(b.bufs[i].data()), b.bufs[i].size());
  }
  return out;
}

// Writes everything the writer holds, as a socket that takes all would.
std::string drain(WsWriter& w) {
  std::string out;
  WsWriter::Batch b;
  while (w.prepare(b)) {
    std::string bytes = wire(b);
    out += bytes;
    EXPECT_TRUE(w.commit(b, bytes.size()));
  }
  return out;
}

TEST(WsWriter, CountsEveryKindOfFrameInWireBytes) {
  WsWriter w(1 << 20);
  EXPECT_EQ(w.bytes(), 0u);
  ASSERT_TRUE(w.queue(event(1, 1, 100)));  // a live event, before the feed
  EXPECT_EQ(w.bytes(), 102u);
  ASSERT_TRUE(w.add(frame(200)));  // a reply or one frame of hello's replay
  EXPECT_EQ(w.bytes(), 102u + 204u);
  WsWriter::Frames fill;  // a gap fill: several frames at once
  fill.push_back(event(1, 2, 10));
  fill.push_back(event(1, 3, 70'000));
  ASSERT_TRUE(w.add(std::move(fill)));
  EXPECT_EQ(w.bytes(), 102u + 204u + 12u + 70'010u);
  w.pong("abc");  // a control frame
  EXPECT_EQ(w.bytes(), 102u + 204u + 12u + 70'010u + 5u);
  w.pong("abcdef");  // replaces the pong not yet written
  EXPECT_EQ(w.bytes(), 102u + 204u + 12u + 70'010u + 8u);
  EXPECT_EQ(WsWriter::wireSize(125), 127u);
  EXPECT_EQ(WsWriter::wireSize(126), 130u);
  EXPECT_EQ(WsWriter::wireSize(65'536), 65'546u);
}

// The test echo endpoint answers a binary message with a binary frame (opcode 0x2).
TEST(WsWriter, AddedFramesAreTextUnlessBinaryIsAsked) {
  WsWriter w(1 << 20);
  ASSERT_TRUE(w.add(frame(3, 'a')));
  ASSERT_TRUE(w.add(frame(2, 'b'), ws::Opcode::binary));
  EXPECT_EQ(drain(w), std::string("\x81\x03"
                                  "aaa"
                                  "\x82\x02"
                                  "bb",
                                  9));
  EXPECT_EQ(w.bytes(), 0u);
}

TEST(WsWriter, TakingFromTheQueueCountsTheItemOut) {
  WsWriter w(1 << 20);
  ASSERT_TRUE(w.queue(event(1, 1, 100)));
  ASSERT_TRUE(w.queue(event(1, 2, 50)));
  ASSERT_TRUE(w.hasQueued());
  LiveItem first = w.takeQueued();
  EXPECT_EQ(first.env.seq, 1);
  EXPECT_EQ(w.bytes(), 52u);
  ASSERT_TRUE(w.add(std::move(first)));  // what the feed made of it is counted again
  EXPECT_EQ(w.bytes(), 52u + 102u);
  w.takeQueued();
  EXPECT_FALSE(w.hasQueued());
  EXPECT_EQ(w.bytes(), 102u);
}

TEST(WsWriter, CountFallsByWhatIsWrittenPartialWritesIncluded) {
  WsWriter w(1 << 20);
  ASSERT_TRUE(w.add(frame(1000, 'a')));
  ASSERT_TRUE(w.add(frame(3000, 'b')));
  w.pong("p");
  const std::size_t total = w.bytes();
  ASSERT_EQ(total, 3u + 1004u + 3004u);

  std::string written;
  WsWriter::Batch b;
  ASSERT_TRUE(w.prepare(b));
  std::string all = wire(b);
  ASSERT_EQ(all.size(), total);
  // The socket takes 10 bytes: the pong and the start of the first frame.
  EXPECT_FALSE(w.commit(b, 10));
  written += all.substr(0, 10);
  EXPECT_EQ(w.bytes(), total - 10);
  // Then the rest of that frame and part of the next, one byte at a time for a while.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(w.prepare(b));
    std::string next = wire(b);
    EXPECT_FALSE(w.commit(b, 1));
    written += next.substr(0, 1);
    EXPECT_EQ(w.bytes(), total - written.size());
  }
  ASSERT_TRUE(w.prepare(b));
  std::string next = wire(b);
  EXPECT_FALSE(w.commit(b, 1500));
  written += next.substr(0, 1500);
  EXPECT_EQ(w.bytes(), total - written.size());
  // Nothing written: nothing changes.
  ASSERT_TRUE(w.prepare(b));
  EXPECT_FALSE(w.commit(b, 0));
  EXPECT_EQ(w.bytes(), total - written.size());
  written += drain(w);
  EXPECT_EQ(w.bytes(), 0u);
  EXPECT_EQ(written, all);  // the bytes on the wire are the frames, once, in order
  EXPECT_FALSE(w.prepare(b));
}

TEST(WsWriter, GathersAtMostABatchOfFrames) {
  WsWriter w(1 << 20);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(w.add(frame(10)));
  WsWriter::Batch b;
  ASSERT_TRUE(w.prepare(b));
  EXPECT_EQ(b.frames, WsWriter::kBatch);
  EXPECT_EQ(b.count, 2 * WsWriter::kBatch);
  EXPECT_TRUE(w.commit(b, wire(b).size()));
  EXPECT_EQ(w.framesWaiting(), 100 - WsWriter::kBatch);
  EXPECT_EQ(w.bytes(), (100 - WsWriter::kBatch) * 12);
}

TEST(WsWriter, CapRefusesWhatWouldPassItAndTheCloseGoesOutWith4008) {
  WsWriter w(1000);
  ASSERT_TRUE(w.add(frame(400)));
  ASSERT_TRUE(w.queue(event(1, 1, 400)));
  EXPECT_EQ(w.bytes(), 808u);
  // Replies, replay frames, gap fills and live events share the one count.
  EXPECT_FALSE(w.add(frame(200)));
  EXPECT_FALSE(w.queue(event(1, 2, 200)));
  WsWriter::Frames replay;
  replay.push_back(frame(50));
  replay.push_back(frame(150));
  EXPECT_FALSE(w.add(std::move(replay)));  // all or none
  EXPECT_EQ(w.bytes(), 808u);
  EXPECT_TRUE(w.add(frame(188)));  // exactly the cap still fits
  EXPECT_EQ(w.bytes(), 1000u);

  // The caller's policy: close with 4008. What is held is dropped; the close frame is
  // counted and goes out alone.
  EXPECT_TRUE(w.close(4008));
  EXPECT_FALSE(w.close(1000));  // once
  EXPECT_TRUE(w.closing());
  EXPECT_EQ(w.closeCode(), 4008);
  EXPECT_EQ(w.bytes(), 4u);
  EXPECT_TRUE(w.add(frame(10)));  // dropped: nothing follows a close
  w.pong("late");
  EXPECT_EQ(w.bytes(), 4u);
  EXPECT_EQ(drain(w), ws::closeFrame(4008));
  EXPECT_TRUE(w.closeWritten());
  EXPECT_EQ(w.bytes(), 0u);
}

TEST(WsWriter, CloseFinishesAFrameCutShortThenSendsTheCloseFrame) {
  WsWriter w(1 << 20);
  ASSERT_TRUE(w.add(frame(100, 'a')));
  ASSERT_TRUE(w.add(frame(100, 'b')));
  WsWriter::Batch b;
  ASSERT_TRUE(w.prepare(b));
  std::string all = wire(b);
  EXPECT_FALSE(w.commit(b, 50));  // the first frame is cut
  w.close(4008);
  EXPECT_EQ(w.bytes(), 52u + 4u);  // its rest and the close frame
  EXPECT_EQ(drain(w), all.substr(50, 52) + ws::closeFrame(4008));
  EXPECT_TRUE(w.closeWritten());
}

TEST(WsWriter, CloseKeepingOutputWritesWhatWasAddedFirst) {
  WsWriter w(1 << 20);
  ASSERT_TRUE(w.add(frame(5, 'e')));  // e.g. hello's error frame
  ASSERT_TRUE(w.queue(event(1, 1, 10)));
  w.close(4001, true);
  EXPECT_FALSE(w.hasQueued());
  EXPECT_EQ(w.bytes(), 7u + 4u);
  EXPECT_EQ(drain(w), "\x81\x05" + std::string(5, 'e') + ws::closeFrame(4001));
}

TEST(WsWriter, ACloseFrameCutShortIsCompletedBeforeItCountsAsWritten) {
  WsWriter w(1 << 20);
  w.close(1000);
  WsWriter::Batch b;
  ASSERT_TRUE(w.prepare(b));
  EXPECT_FALSE(w.commit(b, 1));
  EXPECT_FALSE(w.closeWritten());
  EXPECT_EQ(w.bytes(), 3u);
  EXPECT_EQ(drain(w), ws::closeFrame(1000).substr(1));
  EXPECT_TRUE(w.closeWritten());
}

TEST(WsWriter, ClearDropsEverything) {
  WsWriter w(1 << 20);
  ASSERT_TRUE(w.add(frame(100)));
  ASSERT_TRUE(w.queue(event(1, 1, 100)));
  w.pong("x");
  w.clear();
  EXPECT_EQ(w.bytes(), 0u);
  WsWriter::Batch b;
  EXPECT_FALSE(w.prepare(b));
}

}  // namespace
}  // namespace parley::api
