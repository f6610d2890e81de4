#include "adapters/keyring/local_keyring.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/random.h"
#include "crypto/sealer.h"

namespace parley::keyring {
namespace {

namespace fs = std::filesystem;

template <class T>
T runSync(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  auto done = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  io.run();
  return done.get();
}

class LocalKeyringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("parley-keyring-" + crypto::toHex(crypto::randomBytes(8)));
    fs::create_directory(dir_);
    file_ = dir_ / "keyring.json";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `text` to file_ with `mode`, the way an operator's editor might.
  void writeFile(const std::string& text, mode_t mode) {
    int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_EXCL, mode);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
    ASSERT_EQ(::chmod(file_.c_str(), mode), 0);  // the umask may have removed bits
  }

  std::string readFile() {
    std::ifstream in(file_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  void expectRefused(const std::string& needle) {
    std::string before = readFile();
    auto k = openLocalKeyring(file_);
    ASSERT_TRUE(k.has_error());
    EXPECT_EQ(k.error().code, Code::internal);
    EXPECT_NE(k.error().message.find(needle), std::string::npos) << k.error().message;
    EXPECT_EQ(readFile(), before) << "a refused keyring must be left untouched";
  }

  fs::path dir_;
  fs::path file_;
};

TEST_F(LocalKeyringTest, CreatesTheFileWithMode0600) {
  ASSERT_TRUE(openLocalKeyring(file_).has_value());
  struct stat st {};
  ASSERT_EQ(::stat(file_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string text = readFile();
  EXPECT_NE(text.find("\"format\": \"parley-keyring\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"version\": 1"), std::string::npos) << text;
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(LocalKeyringTest, WrapUnwrapRoundTrips) {
  auto k = openLocalKeyring(file_).value();
  std::string data_key = crypto::newDataKey();
  auto wrapped = runSync(k->wrap(data_key, "room:42:v1"));
  ASSERT_TRUE(wrapped.has_value()) << wrapped.error().message;
  EXPECT_EQ(wrapped->find(data_key), std::string::npos);
  auto back = runSync(k->unwrap(*wrapped, "room:42:v1"));
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, data_key);
}

TEST_F(LocalKeyringTest, ReopenedKeyringUnwrapsWhatTheFirstWrapped) {
  std::string data_key = crypto::newDataKey();
  std::string wrapped;
  {
    auto first = openLocalKeyring(file_).value();
    wrapped = runSync(first->wrap(data_key, "room:7:v3")).value();
  }
  auto second = openLocalKeyring(file_);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(runSync((*second)->unwrap(wrapped, "room:7:v3")).value(), data_key);
}

TEST_F(LocalKeyringTest, WrongContextFails) {
  auto k = openLocalKeyring(file_).value();
  std::string wrapped = runSync(k->wrap(crypto::newDataKey(), "room:42:v1")).value();
  for (const char* other : {"room:43:v1", "room:42:v2", "", "room:42:v1 "}) {
    auto r = runSync(k->unwrap(wrapped, other));
    ASSERT_TRUE(r.has_error()) << other;
    EXPECT_EQ(r.error().code, Code::internal);
  }
}

TEST_F(LocalKeyringTest, TamperedOrTruncatedBlobFails) {
  auto k = openLocalKeyring(file_).value();
  std::string wrapped = runSync(k->wrap(crypto::newDataKey(), "room:1:v1")).value();
  for (std::size_t i = 0; i < wrapped.size(); ++i) {
    std::string tampered = wrapped;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    auto r = runSync(k->unwrap(tampered, "room:1:v1"));
    ASSERT_TRUE(r.has_error()) << "byte " << i;
    EXPECT_EQ(r.error().code, Code::internal);
  }
  for (std::size_t n = 0; n < wrapped.size(); ++n) {
    auto r = runSync(k->unwrap(wrapped.substr(0, n), "room:1:v1"));
    ASSERT_TRUE(r.has_error()) << "length " << n;
    EXPECT_EQ(r.error().code, Code::internal);
  }
}

TEST_F(LocalKeyringTest, UnknownMasterKeyIsNamed) {
  std::string wrapped;
  {
    auto other = openLocalKeyring(dir_ / "other.json").value();
    wrapped = runSync(other->wrap(crypto::newDataKey(), "room:1:v1")).value();
  }
  auto k = openLocalKeyring(file_).value();
  auto r = runSync(k->unwrap(wrapped, "room:1:v1"));
  ASSERT_TRUE(r.has_error());
  EXPECT_EQ(r.error().code, Code::internal);
  EXPECT_TRUE(r.error().message.starts_with("master key ")) << r.error().message;
  EXPECT_NE(r.error().message.find("not in keyring"), std::string::npos) << r.error().message;
}

TEST_F(LocalKeyringTest, RejectsDataKeysOfTheWrongSize) {
  auto k = openLocalKeyring(file_).value();
  auto r = runSync(k->wrap("short", "room:1:v1"));
  ASSERT_TRUE(r.has_error());
  EXPECT_EQ(r.error().code, Code::internal);
}

TEST_F(LocalKeyringTest, RefusesAFileOthersCanRead) {
  ASSERT_TRUE(openLocalKeyring(file_).has_value());
  ASSERT_EQ(::chmod(file_.c_str(), 0644), 0);
  expectRefused("chmod 600");
  ASSERT_EQ(::chmod(file_.c_str(), 0640), 0);
  expectRefused("chmod 600");
  ASSERT_EQ(::chmod(file_.c_str(), 0600), 0);
  EXPECT_TRUE(openLocalKeyring(file_).has_value());
}

TEST_F(LocalKeyringTest, RefusesMalformedFiles) {
  const std::string good_key = crypto::base64url(crypto::randomBytes(32));
  const std::vector<std::string> bad = {
      "",
      "not json",
      "[]",
      R"({"format": "other", "version": 1, "keys": [{"id": "a", "created_ms": 1, "key": ")" +
          good_key + R"("}]})",
      R"({"format": "parley-keyring", "version": 2, "keys": [{"id": "a", "created_ms": 1, "key": ")" +
          good_key + R"("}]})",
      R"({"format": "parley-keyring", "version": 1, "keys": []})",
      R"({"format": "parley-keyring", "version": 1, "keys": [{"id": "a", "created_ms": 1, "key": "c2hvcnQ"}]})",
      R"({"format": "parley-keyring", "version": 1, "keys": [{"id": "a b", "created_ms": 1, "key": ")" +
          good_key + R"("}]})",
      R"({"format": "parley-keyring", "version": 1, "keys": [{"id": "a", "created_ms": 1, "key": ")" +
          good_key + R"("}, {"id": "a", "created_ms": 2, "key": ")" + good_key + R"("}]})",
  };
  for (const std::string& text : bad) {
    SCOPED_TRACE(text);
    fs::remove(file_);
    writeFile(text, 0600);
    expectRefused("malformed");
  }
}

TEST_F(LocalKeyringTest, ReadsAHandWrittenFile) {
  const std::string key = crypto::base64url(crypto::randomBytes(32));
  writeFile(
      R"({"format": "parley-keyring", "version": 1, "keys": [{"id": "ops-2024", "created_ms": 1, "key": ")" +
          key + R"("}]})",
      0600);
  auto k = LocalKeyring::open(file_);
  ASSERT_TRUE(k.has_value()) << k.error().message;
  EXPECT_EQ((*k)->currentKeyId(), "ops-2024");
}

TEST_F(LocalKeyringTest, RotationKeepsOldBlobsReadable) {
  auto k = LocalKeyring::open(file_).value();
  std::string old_id = k->currentKeyId();
  std::string data_key = crypto::newDataKey();
  std::string old_blob = runSync(k->wrap(data_key, "room:9:v1")).value();

  auto new_id = k->rotate();
  ASSERT_TRUE(new_id.has_value()) << new_id.error().message;
  EXPECT_NE(*new_id, old_id);
  EXPECT_EQ(k->currentKeyId(), *new_id);
  std::string new_blob = runSync(k->wrap(data_key, "room:9:v2")).value();
  EXPECT_NE(new_blob.find(*new_id), std::string::npos);

  struct stat st {};
  ASSERT_EQ(::stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto reopened = LocalKeyring::open(file_).value();
  EXPECT_EQ(reopened->currentKeyId(), *new_id);
  EXPECT_EQ(runSync(reopened->unwrap(old_blob, "room:9:v1")).value(), data_key);
  EXPECT_EQ(runSync(reopened->unwrap(new_blob, "room:9:v2")).value(), data_key);
}

TEST_F(LocalKeyringTest, MissingDirectoryIsAnError) {
  auto k = openLocalKeyring(dir_ / "no-such-dir" / "keyring.json");
  ASSERT_TRUE(k.has_error());
  EXPECT_EQ(k.error().code, Code::internal);
}

}  // namespace
}  // namespace parley::keyring
