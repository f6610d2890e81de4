// The SearchIndex port on PostgreSQL (the scaled-out store's database): one row per indexed
// message with its keyed tokens as a bigint[] under a GIN index, and each room's watermark.
// The tables are made by the store's migrations (step 8): open the store first.
//
// Its own connection pool and thread, like the store's; callers resume on their executor.
#pragma once

#include <string>

#include "core/error.h"
#include "ports/search_index.h"

namespace parley::postgres {

// Code::internal if the database has no search tables (migrate it first).
Result<SearchIndexPtr> openPostgresSearchIndex(const std::string& url, int pool_size = 4);

}  // namespace parley::postgres
