// The keyring file: master keys at rest. Internal to this adapter.
//
// Format (JSON, UTF-8), keys oldest first; the last one wraps, any of them unwraps:
//   {"format": "parley-keyring", "version": 1,
//    "keys": [{"id": "<1-64 of [0-9A-Za-z_-]>", "created_ms": <int>, "key": "<base64url 32
//    bytes>"}]}
//
// The file is created 0600 from the start (a 0600 temporary file linked into place, so a
// crash never leaves a half-written keyring), refused if group or others have any
// permission bit, and never silently replaced when it is malformed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "crypto/secret_bytes.h"

namespace parley::keyring {

struct MasterKey {
  std::string id;
  std::int64_t created_ms = 0;
  crypto::SecretBytes key;  // 32 bytes
};

// A fresh random key with a random 16-hex-digit id.
MasterKey newMasterKey();

// Code::not_found if the file does not exist; Code::internal if it cannot be read, has
// group/other permission bits, or is malformed (the message names the file and the fix).
Result<std::vector<MasterKey>> readKeyringFile(const std::filesystem::path& file);

// The keyring text of `file` (named in error messages only): Code::internal if malformed.
// readKeyringFile's parser, exposed for its fuzz target (fuzz/).
Result<std::vector<MasterKey>> parseKeyring(std::string_view text,
                                            const std::filesystem::path& file);

// Writes `keys` to a new file. Code::conflict if `file` already exists (left untouched).
Status createKeyringFile(const std::filesystem::path& file, const std::vector<MasterKey>& keys);

// Atomically replaces `file` with `keys` (rename over it).
Status replaceKeyringFile(const std::filesystem::path& file, const std::vector<MasterKey>& keys);

}  // namespace parley::keyring
