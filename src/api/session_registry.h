// The node's open WebSockets, so shutdown can close each with 1001 and wait for them.
// Thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace parley::api {

class Closable {
 public:
  virtual ~Closable() = default;
  // Thread-safe: ask the connection to close with `code` after its current write.
  virtual void requestClose(int code) = 0;
};

class SessionRegistry {
 public:
  void add(const std::shared_ptr<Closable>& s) {
    std::lock_guard lock(mu_);
    sessions_[s.get()] = s;
  }
  void remove(const Closable* s) {
    std::lock_guard lock(mu_);
    sessions_.erase(s);
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return sessions_.size();
  }
  void closeAll(int code) {
    std::unordered_map<const Closable*, std::weak_ptr<Closable>> snapshot;
    {
      std::lock_guard lock(mu_);
      snapshot = sessions_;
    }
    for (auto& [p, weak] : snapshot) {
      if (auto s = weak.lock()) s->requestClose(code);
    }
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<const Closable*, std::weak_ptr<Closable>> sessions_;  // GUARDED_BY(mu_)
};

}  // namespace parley::api
