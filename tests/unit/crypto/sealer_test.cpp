#include "crypto/sealer.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace parley::crypto {
namespace {

class SealerTest : public ::testing::Test {
 protected:
  const std::string key_ = newDataKey();
  const std::string event_ = "0123456789abcdef0123456789abcdef";
  const std::string ad_ = messageAd(42, event_, 1);
  const std::string plaintext_ = "the meeting moved to thursday, same room";

  void expectSealCheckFailed(const Result<std::string>& r) {
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, Code::internal);
    EXPECT_EQ(r.error().message, "seal check failed");
  }
};

TEST_F(SealerTest, RoundTrips) {
  std::string sealed = seal(key_, ad_, plaintext_);
  EXPECT_EQ(sealed.size(), plaintext_.size() + kSealOverhead);
  auto opened = open(key_, ad_, sealed);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ(*opened, plaintext_);
}

TEST_F(SealerTest, RoundTripsEmptyAndBinaryPlaintext) {
  EXPECT_EQ(open(key_, ad_, seal(key_, ad_, "")).value(), "");
  std::string binary("\x00\x01\xff\x00", 4);
  EXPECT_EQ(open(key_, ad_, seal(key_, ad_, binary)).value(), binary);
}

TEST_F(SealerTest, CiphertextHidesThePlaintext) {
  std::string sealed = seal(key_, ad_, plaintext_);
  EXPECT_EQ(sealed.find(plaintext_), std::string::npos);
  EXPECT_EQ(sealed.find("thursday"), std::string::npos);
  // A fresh nonce each time: sealing twice never gives the same bytes.
  EXPECT_NE(seal(key_, ad_, plaintext_), sealed);
}

TEST_F(SealerTest, WrongKeyFails) {
  std::string sealed = seal(key_, ad_, plaintext_);
  expectSealCheckFailed(open(newDataKey(), ad_, sealed));
  expectSealCheckFailed(open("short", ad_, sealed));
}

TEST_F(SealerTest, OtherRoomEventOrVersionFails) {
  std::string sealed = seal(key_, ad_, plaintext_);
  expectSealCheckFailed(open(key_, messageAd(43, event_, 1), sealed));
  expectSealCheckFailed(open(key_, messageAd(42, "ffffffffffffffffffffffffffffffff", 1), sealed));
  expectSealCheckFailed(open(key_, messageAd(42, event_, 2), sealed));
  expectSealCheckFailed(open(key_, "", sealed));
}

TEST_F(SealerTest, EveryFlippedByteFails) {
  std::string sealed = seal(key_, ad_, plaintext_);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string tampered = sealed;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    expectSealCheckFailed(open(key_, ad_, tampered));
  }
}

TEST_F(SealerTest, TruncatedOrExtendedInputFails) {
  std::string sealed = seal(key_, ad_, plaintext_);
  for (std::size_t n : {std::size_t{0}, std::size_t{10}, kNonceBytes, kSealOverhead - 1,
                        kSealOverhead, sealed.size() - 1}) {
    expectSealCheckFailed(open(key_, ad_, std::string_view(sealed).substr(0, n)));
  }
  expectSealCheckFailed(open(key_, ad_, sealed + "x"));
}

TEST_F(SealerTest, SealRejectsAWrongSizeKey) {
  EXPECT_THROW(seal("too short", ad_, plaintext_), std::invalid_argument);
}

TEST(MessageAd, IsVersionedAndDistinguishesEveryField) {
  EXPECT_EQ(messageAd(42, "abc", 7), "parley/msg/v1|42|abc|7");
  EXPECT_NE(messageAd(1, "2", 3), messageAd(12, "", 3));
  EXPECT_NE(messageAd(-1, "e", 0), messageAd(1, "e", 0));
}

}  // namespace
}  // namespace parley::crypto
