#include "crypto/random.h"

#include <gtest/gtest.h>

#include <set>

namespace parley::crypto {
namespace {

TEST(Random, BytesHaveRequestedLengthAndDiffer) {
  EXPECT_EQ(randomBytes(0).size(), 0u);
  EXPECT_EQ(randomBytes(32).size(), 32u);
  EXPECT_NE(randomBytes(32), randomBytes(32));
}

TEST(Random, HexIsLowerCase) {
  EXPECT_EQ(toHex(std::string("\x00\xff\x1a", 3)), "00ff1a");
  EXPECT_EQ(toHex(""), "");
}

TEST(Random, Base64urlRoundTripsWithoutPadding) {
  for (std::size_t n = 0; n < 40; ++n) {
    std::string bytes = randomBytes(n);
    std::string text = base64url(bytes);
    EXPECT_EQ(text.find('='), std::string::npos);
    EXPECT_EQ(text.find('+'), std::string::npos);
    EXPECT_EQ(text.find('/'), std::string::npos);
    auto back = fromBase64url(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(*back, bytes);
  }
  EXPECT_EQ(base64url("\xfb\xff"), "-_8");
}

TEST(Random, FromBase64urlRejectsForeignInput) {
  EXPECT_FALSE(fromBase64url("ab+/").has_value());  // standard alphabet
  EXPECT_FALSE(fromBase64url("YQ==").has_value());  // padding
  EXPECT_FALSE(fromBase64url("YQ ").has_value());   // whitespace
  EXPECT_FALSE(fromBase64url("YR").has_value());    // non-canonical trailing bits
  EXPECT_EQ(fromBase64url("YQ").value(), "a");
  EXPECT_EQ(fromBase64url("").value(), "");
}

TEST(Random, Base64IsRfc4648WithPaddingAndStrict) {
  // RFC 4648 §10 test vectors.
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64("\xfb\xff"), "+/8=");
  for (std::size_t n = 0; n < 40; ++n) {
    std::string bytes = randomBytes(n);
    EXPECT_EQ(fromBase64(base64(bytes)).value(), bytes);
  }
  EXPECT_EQ(fromBase64("Zm8=").value(), "fo");
  EXPECT_FALSE(fromBase64("Zm8").has_value());    // missing padding
  EXPECT_FALSE(fromBase64("-_8=").has_value());   // url-safe alphabet
  EXPECT_FALSE(fromBase64("Zm8= ").has_value());  // whitespace
  EXPECT_FALSE(fromBase64("Zm9=").has_value());   // non-canonical trailing bits
}

TEST(Random, EventIdsAre32HexAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = newEventId();
    ASSERT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_TRUE(seen.insert(id).second);
  }
}

}  // namespace
}  // namespace parley::crypto
