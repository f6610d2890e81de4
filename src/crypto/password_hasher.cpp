#include "crypto/password_hasher.h"

#include <sodium.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <stdexcept>

#include "crypto/random.h"
#include "crypto/secret_bytes.h"
#include "crypto/sodium.h"

namespace parley::crypto {

namespace {

namespace asio = boost::asio;

PasswordHasherOptions sanitize(PasswordHasherOptions o) {
  o.threads = std::max(o.threads, 1);
  o.max_waiting = std::max(o.max_waiting, 1);
  return o;
}

std::optional<std::string> hashNow(const std::string& password, const PasswordHasherOptions& o) {
  detail::ensureSodium();
  std::string out(crypto_pwhash_STRBYTES, '\0');
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), o.opslimit, o.memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return std::nullopt;
  }
  out.resize(out.find('\0'));
  return out;
}

bool verifyNow(const std::string& hash, const std::string& password) {
  detail::ensureSodium();
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string makeDummyHash(const PasswordHasherOptions& o) {
  auto h = hashNow(base64url(randomBytes(16)), o);
  if (!h) throw std::runtime_error("password hasher: cannot compute argon2id (out of memory?)");
  return *h;
}

// One place among the `cap` running-or-queued requests, released when destroyed.
class Slot {
 public:
  Slot(std::atomic<int>& count, int cap) : count_(&count) {
    if (count.fetch_add(1, std::memory_order_acq_rel) >= cap) release();
  }
  ~Slot() { release(); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  explicit operator bool() const { return count_ != nullptr; }

 private:
  void release() {
    if (count_) count_->fetch_sub(1, std::memory_order_acq_rel);
    count_ = nullptr;
  }
  std::atomic<int>* count_;
};

Error busy() { return makeError(Code::busy, "password hashing is saturated, retry later"); }

}  // namespace

PasswordHasher::PasswordHasher(PasswordHasherOptions options)
    : options_(sanitize(options)),
      dummy_hash_(makeDummyHash(options_)),
      pool_(static_cast<std::size_t>(options_.threads)) {}

PasswordHasher::~PasswordHasher() { pool_.join(); }

// Runs `work` on the pool; the slot is held by the caller's frame, so it is released on
// every path (result, exception, or the frame being destroyed at shutdown).
template <class T, class Work>
asio::awaitable<Result<T>> PasswordHasher::offload(Work work) {
  Slot slot(waiting_, options_.max_waiting);
  if (!slot) co_return busy();
  // Named, not built inside the co_await (g++ 12: src/README.md).
  auto job = [work = std::move(work)]() mutable -> asio::awaitable<Result<T>> { co_return work(); };
  // co_spawn's completion is dispatched to the awaiting coroutine's executor, so the
  // caller resumes where it was, not on a hashing thread.
  co_return co_await asio::co_spawn(pool_.get_executor(), std::move(job), asio::use_awaitable);
}

asio::awaitable<Result<std::string>> PasswordHasher::hash(std::string password) {
  Slot share(hashing_, std::max(1, options_.max_waiting / 2));
  if (!share) co_return busy();
  // Named, not built inside the co_await (g++ 12: src/README.md).
  auto work = [password = std::move(password), o = options_]() mutable -> Result<std::string> {
    auto h = hashNow(password, o);
    wipe(password);
    if (!h) return makeError(Code::internal, "argon2id hashing failed (out of memory?)");
    return std::move(*h);
  };
  co_return co_await offload<std::string>(std::move(work));
}

asio::awaitable<Result<bool>> PasswordHasher::verify(std::string hash, std::string password) {
  return offload<bool>(
      [hash = std::move(hash), password = std::move(password)]() mutable -> Result<bool> {
        bool ok = verifyNow(hash, password);
        wipe(password);
        return ok;
      });
}

asio::awaitable<Status> PasswordHasher::burn(std::string password) {
  auto r = co_await verify(dummy_hash_, std::move(password));
  if (r.has_error()) co_return r.error();
  co_return Status{};
}

bool PasswordHasher::needsRehash(const std::string& hash) const {
  detail::ensureSodium();
  // 0: current parameters; 1: other parameters; -1: not an argon2 string at all.
  return crypto_pwhash_str_needs_rehash(hash.c_str(), options_.opslimit, options_.memlimit) != 0;
}

}  // namespace parley::crypto
