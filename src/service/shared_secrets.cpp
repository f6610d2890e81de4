#include "service/shared_secrets.h"

#include "crypto/random.h"

namespace parley {

Task<Result<std::string>> SharedSecrets::unwrap(std::string name, std::string wrapped) {
  std::string ctx = contextOf(name);
  auto secret = co_await keys_.unwrap(std::move(wrapped), std::move(ctx));
  if (!secret) co_return secret.error();
  std::lock_guard lock(mu_);
  // Another coroutine may have unwrapped it meanwhile: both hold the same bytes.
  co_return known_.try_emplace(name, *secret).first->second;
}

Task<Result<std::string>> SharedSecrets::get(std::string name) {
  {
    std::lock_guard lock(mu_);
    if (auto it = known_.find(name); it != known_.end()) co_return it->second;
  }
  auto stored = co_await store_.wrappedSecret(name);
  if (stored) co_return co_await unwrap(std::move(name), std::move(*stored));
  if (stored.error().code != Code::not_found) co_return stored.error();

  std::string fresh = crypto::randomBytes(32);
  std::string ctx = contextOf(name);
  auto wrapped = co_await keys_.wrap(fresh, std::move(ctx));
  if (!wrapped) co_return wrapped.error();
  std::string put_name = name;  // named (g++ 12: src/README.md)
  auto put = co_await store_.putWrappedSecret(std::move(put_name), std::move(*wrapped));
  if (!put && put.error().code != Code::conflict) co_return put.error();
  if (!put) {  // another node won the race: its secret is the deployment's
    auto winner = co_await store_.wrappedSecret(name);
    if (!winner) co_return winner.error();
    co_return co_await unwrap(std::move(name), std::move(*winner));
  }
  std::lock_guard lock(mu_);
  co_return known_.try_emplace(name, std::move(fresh)).first->second;
}

// Bound into the wrap, so a wrapped secret cannot be passed off as another one (or as a
// room key).
std::string SharedSecrets::contextOf(const std::string& name) { return "parley/secret/v1|" + name; }

}  // namespace parley
