#include "core/error.h"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(Error, CodesMapToDocumentedHttpStatus) {
  EXPECT_EQ(httpStatus(Code::not_member), 403);
  EXPECT_EQ(httpStatus(Code::not_found), 404);
  EXPECT_EQ(httpStatus(Code::rate_limited), 429);
  EXPECT_EQ(codeName(Code::message_too_long), "message_too_long");
}

TEST(Error, ResultValueThrowsOnError) {
  Result<int> r = makeError(Code::conflict, "taken");
  ASSERT_TRUE(r.has_error());
  EXPECT_THROW(r.value(), ErrorException);
}

}  // namespace
}  // namespace parley
