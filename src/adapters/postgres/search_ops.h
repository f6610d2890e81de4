// The SQL of the PostgreSQL SearchIndex (postgres_search_index.cpp).
#pragma once

#include "adapters/postgres/pg_conn.h"
#include "ports/search_index.h"

namespace parley::postgres::search_ops {

Task<Result<Seq>> watermark(PgConn& c, RoomId room);
Task<Status> apply(PgConn& c, const IndexBatch& b);
Task<Result<std::vector<IndexHit>>> search(PgConn& c, const IndexQuery& q);
Task<Result<std::int64_t>> count(PgConn& c, const IndexQuery& q, std::int64_t cap);
Task<Result<std::vector<SuggestHit>>> suggest(PgConn& c, const SuggestQuery& q);
Task<Status> dropRoom(PgConn& c, RoomId room);

}  // namespace parley::postgres::search_ops
