// Keeps the SearchIndex up to the Store (issue #13): reads each room's timeline from its
// index watermark on, opens each message in memory, and hands the index its keyed tokens
// only (search/terms.h). Edits index the message's new text in place of the old; deletes
// remove it. The watermark is the durable cursor: it moves in the transaction that stores
// the postings, so a crash or an index outage only delays results.
//
// Work is triggered by every timeline write on this node (`notify`, in the background) and
// by searches (`catchUp` of the rooms searched, bounded, before the query, so a search sees
// the writes made before it). Catch-ups of one room may run at once, here or on other nodes:
// the watermark's compare-and-set lets one batch of a range in, and the others start again
// from where it ended.
//
// Thread-safe.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "ports/search_index.h"
#include "ports/store.h"
#include "search/terms.h"
#include "service/room_keys.h"

namespace parley {

class SearchIndexer {
 public:
  SearchIndexer(Store& store, SearchIndex& index, RoomKeys& keys)
      : store_(store), index_(index), keys_(keys) {}

  // Indexes `room` up to `upto` (at most about `max_events` timeline events); returns once
  // done.
  Task<Status> catchUp(RoomId room, Seq upto, std::size_t max_events);
  // A timeline write at `seq` of `room`: indexes it in the background on `executor`.
  void notify(boost::asio::any_io_executor executor, RoomId room, Seq seq);
  // The newest seq of `room` written on this node and not yet indexed, or 0.
  Seq pendingUpTo(RoomId room) const;
  // Events written on this node and not yet indexed (the lag in /metrics).
  std::int64_t lag() const;

  // The room's search tokens: derived from its first data key, never stored. not_found if
  // the room has no key yet (so nothing to search).
  Task<Result<search::TermKeys>> termKeys(RoomId room);

 private:
  // One batch from `from`; returns the new watermark (or `from` when there was nothing).
  Task<Result<Seq>> indexBatch(RoomId room, Seq from, Seq upto);
  Task<Result<IndexedMessage>> indexed(const search::TermKeys& keys, const StoredEvent& e);
  Task<void> background(RoomId room);
  std::int64_t lagLocked() const;
  void publishLagLocked();  // moves the /metrics gauge by this indexer's change

  Store& store_;
  SearchIndex& index_;
  RoomKeys& keys_;
  mutable std::mutex mu_;
  std::set<RoomId> running_;          // GUARDED_BY(mu_): rooms with a background run
  std::map<RoomId, Seq> wanted_;      // GUARDED_BY(mu_): rooms written, to the seq written
  std::map<RoomId, Seq> indexed_to_;  // GUARDED_BY(mu_): for the lag of the rooms in wanted_
  std::int64_t published_lag_ = 0;    // GUARDED_BY(mu_)
};

}  // namespace parley
