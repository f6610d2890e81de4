// `parley backup DIR [serve options]` and `parley restore DIR [serve options]`
// (docs/operations.md, "Backup and restore").
//
// backup: the embedded default's SQLite files (the online backup API: one snapshot each,
// while the node runs), the local blobs and the keyring file, with a MANIFEST.json of
// sizes and SHA-256s, written into a staging directory beside DIR and renamed onto it at
// the end, so DIR is either absent/empty or a whole backup. With a PostgreSQL store it
// checks the database's schema version and prints the pg_dump and S3 steps instead.
// restore: checks the whole backup against its manifest, then puts it into an empty or
// new --data-dir the same way (staged, then one rename).
//
// Exit 0 done, 1 failed (nothing published), 2 bad arguments (nothing changed).
#pragma once

namespace parley::app {

// argv[0] is the command word ("backup" / "restore"), argv[1] the directory.
int backupCommand(int argc, const char* const* argv);
int restoreCommand(int argc, const char* const* argv);

}  // namespace parley::app
