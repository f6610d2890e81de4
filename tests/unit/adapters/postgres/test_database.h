// Fresh, empty databases on the test server named by PARLEY_TEST_PG_URL (scripts/test.sh
// starts one with scripts/services.sh). Each database is dropped when the test program
// ends. Without the variable the tests fail, telling how to run them: they are never
// silently skipped.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace parley::postgres::testing {

inline constexpr const char* kHowToRun =
    "PARLEY_TEST_PG_URL is not set: run the PostgreSQL tests through scripts/test.sh, which "
    "starts PostgreSQL (or run `eval \"$(scripts/services.sh start)\"` first)";

// The server's maintenance URL, or "" after reporting a failure.
inline std::string serverUrl() {
  const char* url = std::getenv("PARLEY_TEST_PG_URL");
  if (!url || !*url) {
    ADD_FAILURE() << kHowToRun;
    return {};
  }
  return url;
}

// `url` with its database name replaced.
inline std::string urlOf(const std::string& url, const std::string& database) {
  const std::size_t query = url.find('?');
  const std::size_t slash = url.rfind('/', query);
  const std::size_t rest = query == std::string::npos ? url.size() : query;
  return url.substr(0, slash + 1) + database + url.substr(rest);
}

// Runs one statement on its own blocking connection; "" on success, else the error.
inline std::string execOn(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* r = PQexec(conn, sql.c_str());
    const ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(conn);
  return error;
}

// The first column of the first row of a query, as text ("" when none).
inline std::string scalarOn(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string out;
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
    PQclear(r);
  }
  PQfinish(conn);
  return out;
}

class DatabaseRegistry : public ::testing::Environment {
 public:
  static DatabaseRegistry& instance() {
    static DatabaseRegistry* registry = [] {
      auto* r = new DatabaseRegistry;
      ::testing::AddGlobalTestEnvironment(r);  // gtest owns it
      return r;
    }();
    return *registry;
  }

  void add(std::string name) {
    std::lock_guard lock(mu_);
    names_.push_back(std::move(name));
  }

  void TearDown() override {
    const char* url = std::getenv("PARLEY_TEST_PG_URL");
    if (!url) return;
    std::lock_guard lock(mu_);
    for (const auto& name : names_)
      execOn(url, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    names_.clear();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> names_;
};

// Registered at start-up so that gtest runs its TearDown at the end.
inline DatabaseRegistry* const kDatabaseRegistry = &DatabaseRegistry::instance();

// Creates an empty database and returns its URL, or "" after reporting a failure.
inline std::string freshDatabase() {
  auto& registry = DatabaseRegistry::instance();
  const std::string server = serverUrl();
  if (server.empty()) return {};
  static std::atomic<int> counter{0};
  static const unsigned salt = std::random_device{}();
  const std::string name = "t_" + std::to_string(::getpid()) + "_" + std::to_string(salt % 100000) +
                           "_" + std::to_string(++counter);
  if (auto error = execOn(server, "CREATE DATABASE " + name); !error.empty()) {
    ADD_FAILURE() << "cannot create a test database: " << error;
    return {};
  }
  registry.add(name);
  return urlOf(server, name);
}

}  // namespace parley::postgres::testing
