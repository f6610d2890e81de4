// RFC 6238 appendix B and RFC 4226 appendix D test vectors, and the base32 of RFC 4648.
#include "crypto/totp.h"

#include <gtest/gtest.h>

namespace parley::crypto {
namespace {

const std::string kSeed20 = "12345678901234567890";
const std::string kSeed32 = "12345678901234567890123456789012";
const std::string kSeed64 = "1234567890123456789012345678901234567890123456789012345678901234";

struct Vector {
  std::int64_t time;
  const char* sha1;
  const char* sha256;
  const char* sha512;
};

// RFC 6238 appendix B: 8 digits, X = 30, T0 = 0.
constexpr Vector kRfc6238[] = {
    {59, "94287082", "46119246", "90693936"},
    {1111111109, "07081804", "68084774", "25091201"},
    {1111111111, "14050471", "67062674", "99943326"},
    {1234567890, "89005924", "91819424", "93441116"},
    {2000000000, "69279037", "90698825", "38618901"},
    {20000000000, "65353130", "77737706", "47863826"},
};

TEST(Totp, Rfc6238Vectors) {
  for (const auto& v : kRfc6238) {
    const auto step = static_cast<std::uint64_t>(totpStep(v.time));
    EXPECT_EQ(hotp(kSeed20, step, 8, TotpHash::sha1), v.sha1) << v.time;
    EXPECT_EQ(hotp(kSeed32, step, 8, TotpHash::sha256), v.sha256) << v.time;
    EXPECT_EQ(hotp(kSeed64, step, 8, TotpHash::sha512), v.sha512) << v.time;
  }
}

TEST(Totp, SixDigitsAreTheLastSixOfTheRfcValues) {
  for (const auto& v : kRfc6238) {
    EXPECT_EQ(totp(kSeed20, totpStep(v.time)), std::string(v.sha1).substr(2)) << v.time;
  }
}

TEST(Totp, Rfc4226HotpVectors) {
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (std::uint64_t c = 0; c < 10; ++c) EXPECT_EQ(hotp(kSeed20, c, 6), expected[c]) << c;
}

TEST(Totp, MatchesOneStepEitherSideOnly) {
  const std::int64_t step = totpStep(1111111111);
  for (std::int64_t d : {-1, 0, 1}) {
    auto m = matchTotp(kSeed20, totp(kSeed20, step + d), step);
    ASSERT_TRUE(m) << d;
    EXPECT_EQ(*m, step + d);
  }
  EXPECT_FALSE(matchTotp(kSeed20, totp(kSeed20, step + 2), step));
  EXPECT_FALSE(matchTotp(kSeed20, totp(kSeed20, step - 2), step));
  for (const char* bad : {"", "12345", "1234567", "12345a", " 12345", "１２３４５６"}) {
    EXPECT_FALSE(matchTotp(kSeed20, bad, step)) << bad;
  }
}

TEST(Totp, Base32RoundTripsAndMatchesRfc4648) {
  EXPECT_EQ(base32("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(base32(kSeed20), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_EQ(fromBase32("mzxw 6ytb oi=="), "foobar");
  EXPECT_FALSE(fromBase32("MZXW1"));
  EXPECT_EQ(*fromBase32(base32(kSeed64)), kSeed64);
}

}  // namespace
}  // namespace parley::crypto
