#include "adapters/sqlite/sqlite_search_index.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace parley::sqlite
