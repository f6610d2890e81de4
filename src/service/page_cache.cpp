#include "service/page_cache.h"

#include "core/metrics.h"
#include "crypto/secret_bytes.h"

namespace parley {

namespace {

// A body that is wiped when its last holder (the cache or a response being written) drops it.
PageCache::Body wipedOnRelease(std::string body) {
  return PageCache::Body(new std::string(std::move(body)), [](const std::string* s) {
    auto* owned = const_cast<std::string*>(s);
    crypto::wipe(*owned);
    delete owned;
  });
}

}  // namespace

PageCache::Body PageCache::find(RoomId room, int limit, Seq last_seq) {
  std::lock_guard lock(mu_);
  auto it = index_.find(room);
  if (it == index_.end() || it->second->limit != limit || it->second->last_seq != last_seq) {
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->body;
}

PageCache::Body PageCache::put(RoomId room, int limit, Seq last_seq, std::string body) {
  Body shared = wipedOnRelease(std::move(body));
  const std::size_t size = cost(shared->size());
  if (size > max_bytes_) return shared;
  std::vector<Body> released;  // declared before the lock: let go after it is released
  std::lock_guard lock(mu_);
  if (auto it = index_.find(room); it != index_.end()) {
    if (it->second->last_seq > last_seq) return shared;  // a page read later is kept
    eraseLocked(it->second, released);
  }
  while (bytes_ + size > max_bytes_ && !lru_.empty()) {
    eraseLocked(std::prev(lru_.end()), released);
  }
  lru_.push_front(Entry{room, limit, last_seq, shared});
  index_.emplace(room, lru_.begin());
  bytes_ += size;
  metrics().history_page_bytes.add(static_cast<std::int64_t>(size));
  return shared;
}

void PageCache::eraseLocked(Lru::iterator it, std::vector<Body>& released) {
  const std::size_t size = cost(it->body->size());
  bytes_ -= size;
  metrics().history_page_bytes.add(-static_cast<std::int64_t>(size));
  released.push_back(std::move(it->body));
  index_.erase(it->room);
  lru_.erase(it);
}

void PageCache::dropRoom(RoomId room) {
  std::vector<Body> released;
  std::lock_guard lock(mu_);
  if (auto it = index_.find(room); it != index_.end()) eraseLocked(it->second, released);
}

void PageCache::clear() {
  Lru released;
  std::lock_guard lock(mu_);
  index_.clear();
  released.swap(lru_);
  metrics().history_page_bytes.add(-static_cast<std::int64_t>(bytes_));
  bytes_ = 0;
}

std::size_t PageCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::size_t PageCache::entries() const {
  std::lock_guard lock(mu_);
  return index_.size();
}

}  // namespace parley
