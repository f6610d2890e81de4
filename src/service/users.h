// Username lookups by id, memoised: usernames never change, so the map never goes stale.
// Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "ports/store.h"

namespace parley {

class UserDirectory {
 public:
  explicit UserDirectory(Store& store) : store_(store) {}

  // The username, or "" for a user that does not exist.
  Task<std::string> name(UserId id);
  void remember(UserId id, const std::string& name);

 private:
  Store& store_;
  std::mutex mu_;
  std::unordered_map<UserId, std::string> names_;  // GUARDED_BY(mu_)
};

}  // namespace parley
