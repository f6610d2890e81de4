#include "adapters/sqlite/sqlite_search_index.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "ports/search_index_contract.h"

namespace parley::sqlite {
namespace {

SearchIndexPtr openFresh() {
  static int n = 0;
  auto dir = std::filesystem::temp_directory_path() /
             ("parley-search-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto index = openSqliteSearchIndex(dir / "search.sqlite3");
  EXPECT_TRUE(index);
  return index ? std::move(*index) : nullptr;
}

using search_index_contract::SearchIndexContract;
INSTANTIATE_TEST_SUITE_P(Sqlite, SearchIndexContract, ::testing::Values(openFresh));

// A file indexed before suggestions existed opens with the vocabulary added: its old
// messages have no words (reindex fills them in) and are replaced and removed as before.
TEST(SqliteSearchIndex, AnIndexFromBeforeSuggestionsGainsTheVocabulary) {
  auto dir =
      std::filesystem::temp_directory_path() / ("parley-search-old-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto file = dir / "search.sqlite3";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE search_watermarks (room INTEGER PRIMARY KEY, seq INTEGER "
                         "NOT NULL) STRICT;"
                         "CREATE TABLE search_messages (room INTEGER NOT NULL, seq INTEGER NOT "
                         "NULL, sender INTEGER NOT NULL, at INTEGER NOT NULL, reply INTEGER NOT "
                         "NULL, tokens BLOB NOT NULL, PRIMARY KEY (room, seq)) STRICT, WITHOUT "
                         "ROWID;"
                         "INSERT INTO search_watermarks VALUES (1, 1);"
                         "INSERT INTO search_messages VALUES (1, 1, 1, 1000, 0, x'');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto index = openSqliteSearchIndex(file);
  ASSERT_TRUE(index);
  IndexedMessage m{2, 1, 2000, false, {7}, {{7, {70}, "sealed-7"}}};
  ASSERT_TRUE(testing::await((*index)->apply({1, 1, 2, {m}, {1}})));
  auto hits = testing::await((*index)->suggest({{{1, 70}}, 10}));
  ASSERT_TRUE(hits);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].sealed, "sealed-7");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace parley::sqlite
