// The Store port on PostgreSQL: the backend for running several Parley nodes (DESIGN.md).
//
// Every method runs on the store's own io_context thread, with a connection borrowed from
// a pool of non-blocking libpq connections driven by Asio, and resumes the caller on the
// caller's executor. Seqs are assigned under the room row's lock inside the transaction
// that stores the event, so they stay gapless across any number of nodes sharing the
// database. A failing database is Code::unavailable; broken connections are dropped and
// replaced on later calls, so the store recovers by itself when the server comes back.
//
// Destroying the store completes the calls in flight, then stops its thread and closes
// the connections. No method may be called once destruction has begun.
#pragma once

#include <chrono>
#include <string>

#include "core/error.h"
#include "ports/store.h"

namespace parley::postgres {

struct PostgresOptions {
  int pool_size = 8;    // connections per store (per node); at least 1
  bool migrate = true;  // apply missing schema steps at open; else refuse an older schema
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds io_timeout{30'000};  // a statement waiting longer is unavailable
};

// `url` is a libpq connection URI (postgresql://user:pass@host:port/db) or key=value
// string. Fails with Code::unavailable if the database cannot be reached, and with
// Code::internal if its schema is newer than this build's (or older, with !opts.migrate).
Result<StorePtr> openPostgresStore(const std::string& url, PostgresOptions opts = {});

// Whether libpq can parse `url` (without connecting): Code::bad_request with libpq's reason,
// on one line, for a malformed URI or key=value string.
Status checkPostgresUrl(const std::string& url);

// Brings the database's schema up to this build's version and returns that version.
// Safe to run from several nodes at once.
Result<int> migratePostgres(const std::string& url);

// The schema version this build writes (recorded in the `schema_migrations` table).
int postgresSchemaVersion();

// The database's recorded schema version (0 when it has none), changing nothing (`parley
// backup` checks it). Code::unavailable if unreachable, Code::internal if newer than this build.
Result<int> postgresStoredSchemaVersion(const std::string& url);

}  // namespace parley::postgres
