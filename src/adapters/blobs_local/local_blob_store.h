// BlobStore on a local directory (the embedded default).
//
// Layout: <dir>/objects/<key with '/' as '~'> (files 0600, folders 0700) and <dir>/tmp/ for
// writes in progress, renamed into place when complete (then the folder is fsynced), so a
// crash leaves either the old object or the new one. Leftover temp files from a crash are
// removed when the store is opened.
//
// The file I/O is blocking and runs on the awaiting coroutine's thread, one bounded piece
// (one source chunk, one range) per call. listOlderThan scans the folder: fine for the
// embedded scale, where cleanup runs rarely.
#pragma once

#include <filesystem>

#include "core/error.h"
#include "ports/blob_store.h"

namespace parley::blobs_local {

// Creates `dir` (0700) and its subfolders if missing. Code::internal when it cannot.
Result<BlobStorePtr> makeLocalBlobStore(const std::filesystem::path& dir);

}  // namespace parley::blobs_local
