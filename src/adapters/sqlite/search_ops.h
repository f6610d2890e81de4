// The SQL of the SQLite SearchIndex (sqlite_search_index.cpp), run on a worker's Db.
#pragma once

#include "adapters/sqlite/db.h"
#include "ports/search_index.h"

namespace parley::sqlite::search_ops {

void createSchema(Db& db);
Result<Seq> watermark(Db& db, RoomId room);
Status apply(Db& db, const IndexBatch& b);
Result<std::vector<IndexHit>> search(Db& db, const IndexQuery& q);
Result<std::int64_t> count(Db& db, const IndexQuery& q, std::int64_t cap);
Status dropRoom(Db& db, RoomId room);

}  // namespace parley::sqlite::search_ops
