// The scope secrets file: one random 32-byte secret per shred scope (a room), and the list
// of scopes destroyed. Internal to this adapter.
//
// It sits next to the keyring file (`keyring.json` -> `keyring-scopes.json`) and is not
// in `parley backup`'s copy: a data key wrapped in a scope opens only with the master key
// AND that scope's secret, so destroying the secret here (crypto-shredding a room) leaves
// every copy of the wrapped key, in the Store and in any backup of it, unopenable
// (docs/security.md, "Deleting a room").
//
// Format (JSON, 0600, written like the keyring: a 0600 temporary file renamed over it):
//   {"format": "parley-scope-secrets", "version": 1,
//    "secrets": {"room:42": "<base64url 32 bytes>", ...}, "destroyed": ["room:7", ...]}
//
// Several processes share it (a node and `parley admin delete-room`): every change takes an
// exclusive lock (flock on `<file>.lock`), re-reads the file, applies itself and writes the
// file back, so no process writes back a secret another one destroyed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "core/error.h"
#include "crypto/secret_bytes.h"

namespace parley::keyring {

struct ScopeSecrets {
  std::map<std::string, crypto::SecretBytes> secrets;  // scope -> 32 bytes
  std::set<std::string> destroyed;
};

// A scope is 1 to 64 of [0-9A-Za-z_:-].
bool validScope(std::string_view scope);

// The scope secrets file that belongs to the keyring file `keyring`.
std::filesystem::path scopeSecretsPath(const std::filesystem::path& keyring);

// The file's contents; empty contents if it does not exist. Code::internal if it is
// unreadable, malformed or readable by group/others.
Result<ScopeSecrets> readScopeSecrets(const std::filesystem::path& file);
// The file's text parsed (named `file` in error messages); exposed for tests.
Result<ScopeSecrets> parseScopeSecrets(std::string_view text, const std::filesystem::path& file);

// Under the file's lock: reads it, lets `change` edit the contents (an error from `change`
// aborts, writing nothing), writes them back atomically. Returns what was written.
Result<ScopeSecrets> updateScopeSecrets(const std::filesystem::path& file,
                                        const std::function<Status(ScopeSecrets&)>& change);

// The file's identity and modification time, to notice another process's change cheaply;
// all zero if it does not exist.
struct FileStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  std::int64_t mtime_ns = 0;
  off_t size = 0;
  bool operator==(const FileStamp&) const = default;
};
FileStamp stampOf(const std::filesystem::path& file);

}  // namespace parley::keyring
