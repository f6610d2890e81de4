#include "adapters/postgres/postgres_search_index.h"

#include <gtest/gtest.h>

#include "adapters/postgres/postgres_store.h"
#include "adapters/postgres/test_database.h"
#include "ports/search_index_contract.h"

namespace parley::postgres {
namespace {

SearchIndexPtr openFresh() {
  const std::string url = testing::freshDatabase();
  if (url.empty()) return nullptr;
  auto migrated = migratePostgres(url);
  EXPECT_TRUE(migrated);
  auto index = openPostgresSearchIndex(url);
  EXPECT_TRUE(index) << (index ? "" : index.error().message);
  return index ? std::move(*index) : nullptr;
}

using search_index_contract::SearchIndexContract;
INSTANTIATE_TEST_SUITE_P(Postgres, SearchIndexContract, ::testing::Values(openFresh));

TEST(PostgresSearchIndex, RefusesADatabaseWithoutItsTables) {
  const std::string url = testing::freshDatabase();
  ASSERT_FALSE(url.empty());
  EXPECT_FALSE(openPostgresSearchIndex(url));
}

}  // namespace
}  // namespace parley::postgres
