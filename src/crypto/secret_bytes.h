// SecretBytes: a key held in memory, zeroed (sodium_memzero) when destroyed or moved from.
// Move-only so one buffer holds the secret. Copies the caller makes with view() are the
// caller's to wipe. Not thread-safe to mutate; const access is safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace parley::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string bytes) : bytes_(std::move(bytes)) {}
  ~SecretBytes() { wipe(); }

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  std::string_view view() const noexcept { return bytes_; }
  std::size_t size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return bytes_.empty(); }

 private:
  void wipe() noexcept;
  std::string bytes_;
};

// Zeroes the whole buffer of `s` (up to its capacity) and empties it.
void wipe(std::string& s) noexcept;

}  // namespace parley::crypto
