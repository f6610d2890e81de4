// The behaviour every SearchIndex adapter must show (src/ports/search_index.h), as one
// value-parameterised suite. An adapter's test instantiates it with a factory that returns
// a fresh, empty index on every call (or null when its server is not running):
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, SearchIndexContract, ::testing::Values(makeFresh));
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <vector>

#include "ports/search_index.h"
#include "support/await.h"

namespace parley::search_index_contract {

using Factory = std::function<SearchIndexPtr()>;

class SearchIndexContract : public ::testing::TestWithParam<Factory> {
 protected:
  void SetUp() override {
    index_ = GetParam()();
    ASSERT_TRUE(index_) << "no index (is the database running?)";
  }

  Status put(RoomId room, Seq from, Seq to, std::vector<IndexedMessage> msgs,
             std::vector<Seq> removed = {}) {
    return testing::await(index_->apply({room, from, to, std::move(msgs), std::move(removed)}));
  }
  static IndexedMessage msg(Seq seq, std::vector<SearchToken> tokens, UserId sender = 1,
                            Millis at = 0, bool reply = false) {
    return {seq, sender, at == 0 ? seq * 1000 : at, reply, std::move(tokens)};
  }
  std::vector<Seq> seqs(IndexQuery q) {
    auto hits = testing::await(index_->search(std::move(q)));
    EXPECT_TRUE(hits);
    std::vector<Seq> out;
    if (hits) {
      for (auto& h : *hits) out.push_back(h.seq);
    }
    return out;
  }
  static IndexQuery query(RoomId room, std::vector<IndexTerm> terms) {
    IndexQuery q;
    q.room = room;
    q.all_of = std::move(terms);
    return q;
  }

  SearchIndexPtr index_;
};

using Seqs = std::vector<Seq>;

TEST_P(SearchIndexContract, WatermarkStartsAtZeroAndMovesOnlyFromWhereItIs) {
  EXPECT_EQ(*testing::await(index_->watermark(5)), 0);
  ASSERT_TRUE(put(5, 0, 3, {msg(1, {10}), msg(3, {11})}));
  EXPECT_EQ(*testing::await(index_->watermark(5)), 3);
  auto stale = put(5, 0, 4, {msg(4, {12})});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Code::conflict);
  EXPECT_EQ(*testing::await(index_->watermark(5)), 3);
  EXPECT_EQ(seqs(query(5, {{{12}, {}}})), Seqs{});      // the refused batch changed nothing
  EXPECT_EQ(*testing::await(index_->watermark(6)), 0);  // per room
}

TEST_P(SearchIndexContract, AllTermsMustMatchNewestFirst) {
  ASSERT_TRUE(put(1, 0, 4, {msg(1, {10, 20}), msg(2, {10}), msg(3, {20, 10, 30}), msg(4, {30})}));
  EXPECT_EQ(seqs(query(1, {{{10}, {}}})), (Seqs{3, 2, 1}));
  EXPECT_EQ(seqs(query(1, {{{10}, {}}, {{20}, {}}})), (Seqs{3, 1}));
  EXPECT_EQ(seqs(query(1, {{{10}, {}}, {{99}, {}}})), Seqs{});
  EXPECT_EQ(seqs(query(2, {{{10}, {}}})), Seqs{});  // other rooms see nothing
  auto q = query(1, {{{10}, {}}});
  q.limit = 2;
  EXPECT_EQ(seqs(q), (Seqs{3, 2}));
  q.below = 3;
  EXPECT_EQ(seqs(q), (Seqs{2, 1}));
  EXPECT_EQ(*testing::await(index_->count(query(1, {{{10}, {}}}), 100)), 3);
  EXPECT_EQ(*testing::await(index_->count(query(1, {{{10}, {}}}), 2)), 2);
}

TEST_P(SearchIndexContract, ExactTermsAreCountedFuzzyOnesMatchToo) {
  ASSERT_TRUE(put(1, 0, 2, {msg(1, {10, 20}), msg(2, {11, 20})}));
  auto hits = testing::await(index_->search(query(1, {{{10}, {11}}, {{20}, {}}})));
  ASSERT_TRUE(hits);
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[0].seq, 2);
  EXPECT_EQ((*hits)[0].exact, 1);  // 11 only fuzzy
  EXPECT_EQ((*hits)[1].exact, 2);
  EXPECT_EQ((*hits)[1].sender, 1);
  EXPECT_EQ((*hits)[1].at, 1000);
}

TEST_P(SearchIndexContract, ExclusionsAndFilters) {
  ASSERT_TRUE(put(1, 0, 4,
                  {msg(1, {10}, 7, 100), msg(2, {10, 66}, 7, 200), msg(3, {10}, 8, 300, true),
                   msg(4, {10}, 9, 400)}));
  auto q = query(1, {{{10}, {}}});
  q.none_of = {66};
  EXPECT_EQ(seqs(q), (Seqs{4, 3, 1}));
  q = query(1, {{{10}, {}}});
  q.senders = {7, 9};
  EXPECT_EQ(seqs(q), (Seqs{4, 2, 1}));
  q = query(1, {{{10}, {}}});
  q.since = 200;
  q.until = 400;
  EXPECT_EQ(seqs(q), (Seqs{3, 2}));
  q = query(1, {{{10}, {}}});
  q.reply_only = true;
  EXPECT_EQ(seqs(q), (Seqs{3}));
}

TEST_P(SearchIndexContract, ReplacingAndRemovingForgetOldTokens) {
  ASSERT_TRUE(put(1, 0, 2, {msg(1, {10}), msg(2, {10})}));
  ASSERT_TRUE(put(1, 2, 4, {msg(1, {20})}, {2}));  // an edit of 1, a delete of 2
  EXPECT_EQ(seqs(query(1, {{{10}, {}}})), Seqs{});
  EXPECT_EQ(seqs(query(1, {{{20}, {}}})), Seqs{1});
  ASSERT_TRUE(testing::await(index_->dropRoom(1)));
  EXPECT_EQ(seqs(query(1, {{{20}, {}}})), Seqs{});
  EXPECT_EQ(*testing::await(index_->watermark(1)), 0);
}

TEST_P(SearchIndexContract, ExtremeTokensRoundTrip) {
  const SearchToken lo = std::numeric_limits<SearchToken>::min();
  const SearchToken hi = std::numeric_limits<SearchToken>::max();
  ASSERT_TRUE(put(1, 0, 1, {msg(1, {lo, hi, -1, 0})}));
  EXPECT_EQ(seqs(query(1, {{{lo}, {}}, {{hi}, {}}, {{-1}, {}}})), Seqs{1});
}

// Vocabulary: a message with words (token w, prefixes, sealed text as given).
static IndexedMessage withWords(Seq seq, std::vector<SearchToken> words) {
  IndexedMessage m{seq, 1, seq * 1000, false, words, {}};
  for (SearchToken w : words) {
    // Prefix tokens: 1000 + the word's "first letter" (w / 10) and the word itself.
    m.words.push_back({w, {1000 + w / 10, 2000 + w}, "sealed-" + std::to_string(w)});
  }
  return m;
}

using Words = std::vector<std::pair<SearchToken, std::int64_t>>;  // (word, messages)

inline Words suggested(SearchIndex& index, std::vector<std::pair<RoomId, SearchToken>> prefixes,
                       int limit = 50) {
  auto hits = testing::await(index.suggest({std::move(prefixes), limit}));
  EXPECT_TRUE(hits);
  Words out;
  if (!hits) return out;
  for (auto& h : *hits) {
    EXPECT_EQ(h.sealed, "sealed-" + std::to_string(h.word));
    out.emplace_back(h.word, h.messages);
  }
  return out;
}

TEST_P(SearchIndexContract, VocabularyCountsMessagesMostFrequentFirst) {
  ASSERT_TRUE(put(1, 0, 3, {withWords(1, {11, 12}), withWords(2, {12, 13}), withWords(3, {12})}));
  auto words = suggested(*index_, {{1, 1001}});
  ASSERT_EQ(words.size(), 3u);
  EXPECT_EQ(words[0], (std::pair<SearchToken, std::int64_t>{12, 3}));
  std::sort(words.begin() + 1, words.end());  // ties in any order
  EXPECT_EQ(words, (Words{{12, 3}, {11, 1}, {13, 1}}));
  EXPECT_EQ(suggested(*index_, {{1, 2013}}), (Words{{13, 1}}));
  EXPECT_EQ(suggested(*index_, {{1, 1001}}, 1), (Words{{12, 3}}));
  EXPECT_EQ(suggested(*index_, {{2, 1001}}), Words{});  // another room's vocabulary is its own
  EXPECT_EQ(suggested(*index_, {{1, 9999}}), Words{});
}

TEST_P(SearchIndexContract, VocabularyFollowsEditsAndDeletes) {
  ASSERT_TRUE(put(1, 0, 2, {withWords(1, {11, 12}), withWords(2, {12})}));
  ASSERT_TRUE(put(1, 2, 4, {withWords(1, {12, 14})}, {2}));  // 1 edited: 11 gone; 2 deleted
  EXPECT_EQ(suggested(*index_, {{1, 2011}}), Words{});
  EXPECT_EQ(suggested(*index_, {{1, 2012}}), (Words{{12, 1}}));
  EXPECT_EQ(suggested(*index_, {{1, 2014}}), (Words{{14, 1}}));
  ASSERT_TRUE(put(1, 4, 5, {}, {1}));
  EXPECT_EQ(suggested(*index_, {{1, 1001}}), Words{});
  ASSERT_TRUE(put(1, 5, 6, {withWords(6, {11})}));  // a word forgotten can come back
  EXPECT_EQ(suggested(*index_, {{1, 2011}}), (Words{{11, 1}}));
  ASSERT_TRUE(testing::await(index_->dropRoom(1)));
  EXPECT_EQ(suggested(*index_, {{1, 2011}}), Words{});
}

TEST_P(SearchIndexContract, VocabularyOfSeveralRoomsAndARefusedBatch) {
  ASSERT_TRUE(put(1, 0, 1, {withWords(1, {11})}));
  ASSERT_TRUE(put(2, 0, 2, {withWords(1, {21}), withWords(2, {21})}));
  EXPECT_EQ(suggested(*index_, {{1, 1001}, {2, 1002}}), (Words{{21, 2}, {11, 1}}));
  EXPECT_FALSE(put(1, 0, 2, {withWords(2, {11, 15})}));  // stale: nothing counted
  EXPECT_EQ(suggested(*index_, {{1, 1001}}), (Words{{11, 1}}));
  // The same message indexed again (a retried batch after a crash) counts once.
  ASSERT_TRUE(put(1, 1, 2, {withWords(1, {11})}));
  EXPECT_EQ(suggested(*index_, {{1, 1001}}), (Words{{11, 1}}));
}

}  // namespace parley::search_index_contract
