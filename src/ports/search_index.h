// SearchIndex: the postings of message search (issue #13), keyed tokens only.
//
// What an adapter is given is already keyed per room (search/terms.h): 64-bit tokens, and a
// message's sender and time (which the Store holds in the clear anyway). It never sees a
// word, a prefix or a key. Adapters: SQLite (the embedded default, a file next to the
// store) and PostgreSQL (GIN over token arrays). An OpenSearch adapter will implement the
// same port (keyed tokens in keyword fields), built by the composition root from --search.
//
// Suggestions: each room also has a vocabulary, one entry per distinct word of its indexed
// messages: the word's token, the word sealed under the room's key (opened only by the
// service), its prefix tokens, and how many indexed messages have it. `apply` keeps it in
// step with the postings (a replaced or removed message's words count down, and a word no
// message has any more is forgotten, sealed text included).
//
// Contract, for every adapter (checked by tests/unit/ports/search_index_contract.h):
// - Every method is a coroutine that may be awaited from any executor, concurrently.
// - Each room has a watermark: the seq up to which its timeline has been indexed (0 before
//   anything). `apply` changes postings and moves the watermark in one transaction, and
//   only if the watermark is still `from` (else conflict, nothing changed): a crash or a
//   race between nodes can delay indexing, never lose or reorder it.
// - A failing database is Code::unavailable. Nothing throws except std::bad_alloc.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "domain/types.h"
#include "ports/store.h"  // Task

namespace parley {

using SearchToken = std::int64_t;

// One distinct word of a message, for the room's vocabulary.
struct IndexedWord {
  SearchToken word = 0;               // the word's token (also among the message's tokens)
  std::vector<SearchToken> prefixes;  // the tokens a suggestion looks it up by
  std::string sealed;                 // the word, sealed (stored as given when first seen)
};

// One message as indexed (replacing whatever its seq had).
struct IndexedMessage {
  Seq seq = 0;
  UserId sender = 0;
  Millis at = 0;
  bool reply = false;
  std::vector<SearchToken> tokens;  // distinct
  std::vector<IndexedWord> words;   // distinct by `word`
};

struct IndexBatch {
  RoomId room = 0;
  Seq from = 0;  // the watermark this batch was computed from
  Seq to = 0;    // the watermark after it (>= from)
  std::vector<IndexedMessage> put;
  std::vector<Seq> remove;  // messages deleted (or edited to nothing searchable)
};

// One required term: a message has it when it has any token of `exact` or of `fuzzy`.
struct IndexTerm {
  std::vector<SearchToken> exact;
  std::vector<SearchToken> fuzzy;
};

struct IndexQuery {
  RoomId room = 0;
  std::vector<IndexTerm> all_of;       // at least one
  std::vector<SearchToken> none_of;    // a message with any of these is left out
  std::vector<UserId> senders;         // empty: anyone
  std::optional<Millis> since, until;  // since <= at < until
  bool reply_only = false;
  Seq below = kSeqMax;  // only seq < below
  int limit = 500;      // the newest `limit` matches
};

struct IndexHit {
  Seq seq = 0;
  UserId sender = 0;
  Millis at = 0;
  int exact = 0;  // how many terms matched by an `exact` token
};

// Words to complete: those of each (room, prefix token) pair.
struct SuggestQuery {
  std::vector<std::pair<RoomId, SearchToken>> prefixes;
  int limit = 50;
};

struct SuggestHit {
  RoomId room = 0;
  SearchToken word = 0;
  std::string sealed;
  std::int64_t messages = 0;  // indexed messages of the room that have the word (>= 1)
};

class SearchIndex {
 public:
  virtual ~SearchIndex() = default;

  // The room's watermark (0 for a room never indexed).
  virtual Task<Result<Seq>> watermark(RoomId room) = 0;
  // conflict (and nothing changed) if the room's watermark is not `batch.from`.
  virtual Task<Status> apply(IndexBatch batch) = 0;
  // Matches of the query in its room, newest first (by seq), at most `limit`.
  virtual Task<Result<std::vector<IndexHit>>> search(IndexQuery q) = 0;
  // How many messages of the room match (at most `cap`; counts what `search` would
  // return with an unbounded limit and no `below`).
  virtual Task<Result<std::int64_t>> count(IndexQuery q, std::int64_t cap) = 0;
  // The words of the rooms whose entry has the pair's prefix token, the most `messages`
  // first (ties: any order), at most `limit` over all pairs.
  virtual Task<Result<std::vector<SuggestHit>>> suggest(SuggestQuery q) = 0;
  // Forgets the room: postings, vocabulary and watermark (a reindex starts it again from 0).
  virtual Task<Status> dropRoom(RoomId room) = 0;
};

using SearchIndexPtr = std::unique_ptr<SearchIndex>;

}  // namespace parley
