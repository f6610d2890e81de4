// PasswordHasher: argon2id password hashing, bounded (DESIGN.md invariant 7).
//
// Hashing is deliberately slow and memory-hard, so it runs on the hasher's own thread
// pool, never on an I/O thread. The pool size caps how many hashes run at once; at most
// `max_waiting` requests may be running or queued, and the next one gets Code::busy at
// once instead of a place in an unbounded queue.
//
// Thread-safe: any coroutine on any executor may call hash/verify/burn concurrently; it
// resumes on its own executor. The hasher must outlive every call it has started; its
// destructor waits for running and queued hashes to finish.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <string>

#include "core/error.h"

namespace parley::crypto {

struct PasswordHasherOptions {
  int threads = 2;       // hashes computed at the same time
  int max_waiting = 64;  // running + queued before Code::busy
  // OWASP (2023) argon2id minimum: t=2, m=19 MiB, p=1. Tests may lower these to
  // crypto_pwhash_OPSLIMIT_MIN / crypto_pwhash_MEMLIMIT_MIN.
  unsigned long long opslimit = 2;
  std::size_t memlimit = 19 * 1024 * 1024;
};

class PasswordHasher {
 public:
  // Computes one hash up front (the one burn() verifies against), so construction costs
  // one hash. Throws std::runtime_error if even that fails (out of memory): startup only.
  explicit PasswordHasher(PasswordHasherOptions options = {});
  ~PasswordHasher();
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  // A crypto_pwhash_str string ("$argon2id$v=19$m=...") embedding salt and parameters.
  // Code::busy when saturated, Code::internal if libsodium cannot allocate. New hashes
  // (registrations) may hold at most half of the `max_waiting` places, so a flood of them
  // always leaves room for verify() (logins of existing accounts).
  boost::asio::awaitable<Result<std::string>> hash(std::string password);

  // true iff `password` matches `hash`; false for a wrong password or an unparsable hash.
  // Code::busy when saturated.
  boost::asio::awaitable<Result<bool>> verify(std::string hash, std::string password);

  // Spends the time of a verify() when there is no user to verify against, so a login
  // for an unknown username takes as long as one with a wrong password. Returns busy
  // exactly when verify() would, so both paths answer the same way.
  boost::asio::awaitable<Status> burn(std::string password);

  // true if `hash` was made with other parameters or another algorithm (or is not a
  // hash at all): rehash the password at the next successful login.
  bool needsRehash(const std::string& hash) const;

 private:
  template <class T, class Work>
  boost::asio::awaitable<Result<T>> offload(Work work);

  const PasswordHasherOptions options_;
  const std::string dummy_hash_;
  std::atomic<int> waiting_{0};
  std::atomic<int> hashing_{0};  // of those, hash() calls
  boost::asio::thread_pool pool_;
};

}  // namespace parley::crypto
