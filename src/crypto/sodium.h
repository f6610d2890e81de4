// Internal to src/crypto: every public entry point calls ensureSodium() before using libsodium.
#pragma once

namespace parley::crypto::detail {

// Runs sodium_init() exactly once, thread-safely. Aborts if libsodium cannot start (no
// entropy source): nothing in Parley is safe without it.
void ensureSodium();

}  // namespace parley::crypto::detail
