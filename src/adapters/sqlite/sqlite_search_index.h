// The SearchIndex port on its own SQLite file beside the store's (the embedded default):
// plain tables of keyed tokens, indexed by (room, token, seq). One writer thread commits
// batches (group commit, synchronous=NORMAL: a power cut may lose the newest batches, and
// their rooms' watermarks with them, so they are indexed again: delayed, never lost); one
// reader thread answers queries.
#pragma once

#include <filesystem>

#include "core/error.h"
#include "ports/search_index.h"

namespace parley::sqlite {

// Opens (creating if absent; the parent directory must exist). Code::unavailable if the
// file cannot be opened.
Result<SearchIndexPtr> openSqliteSearchIndex(const std::filesystem::path& file);

}  // namespace parley::sqlite
