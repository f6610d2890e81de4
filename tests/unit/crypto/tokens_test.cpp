#include "crypto/tokens.h"

#include <gtest/gtest.h>

#include <set>

#include "crypto/random.h"

namespace parley::crypto {
namespace {

TEST(Tokens, AreBase64urlOf32Bytes) {
  NewToken t = newSessionToken();
  EXPECT_EQ(t.token.size(), 43u);
  EXPECT_EQ(
      t.token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  EXPECT_EQ(fromBase64url(t.token).value().size(), 32u);
}

TEST(Tokens, AreUnique) {
  std::set<std::string> tokens, hashes;
  for (int i = 0; i < 200; ++i) {
    NewToken t = newSessionToken();
    EXPECT_TRUE(tokens.insert(t.token).second);
    EXPECT_TRUE(hashes.insert(t.hash).second);
  }
}

TEST(Tokens, HashIsStable32BytesAndNotTheToken) {
  NewToken t = newSessionToken();
  EXPECT_EQ(t.hash.size(), 32u);
  EXPECT_EQ(hashToken(t.token), t.hash);
  EXPECT_EQ(hashToken(std::string(t.token)), hashToken(t.token));
  EXPECT_NE(t.hash, t.token);
  std::string other = t.token;
  other[0] = other[0] == 'A' ? 'B' : 'A';
  EXPECT_NE(hashToken(other), t.hash);
}

TEST(Tokens, HashMatchesBlake2bReference) {
  // BLAKE2b-256("abc"), from the BLAKE2 reference implementation.
  EXPECT_EQ(toHex(hashToken("abc")),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST(Tokens, ConstantTimeEquality) {
  EXPECT_TRUE(equalConstantTime("", ""));
  EXPECT_TRUE(equalConstantTime("same", "same"));
  EXPECT_FALSE(equalConstantTime("same", "sane"));
  EXPECT_FALSE(equalConstantTime("same", "same!"));
}

}  // namespace
}  // namespace parley::crypto
