#include "service/users.h"

namespace parley {

void UserDirectory::remember(UserId id, const std::string& name) {
  std::lock_guard lock(mu_);
  names_.emplace(id, name);
}

Task<std::string> UserDirectory::name(UserId id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = names_.find(id); it != names_.end()) co_return it->second;
  }
  auto user = co_await store_.userById(id);
  if (!user) co_return std::string();
  remember(id, user->username);
  co_return user->username;
}

}  // namespace parley
