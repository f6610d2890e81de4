// LocalKeyring's shred scopes: a key wrapped in a scope opens only while the scope's secret
// exists, and never again once destroyed, whatever copies of the blob or the keyring file
// are kept (local_keyring.h, scope_secrets.h).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <vector>

#include "adapters/keyring/local_keyring.h"
#include "adapters/keyring/scope_secrets.h"
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

class ScopedKeyringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("parley-scopes-" + crypto::toHex(crypto::randomBytes(8)));
    fs::create_directory(dir_);
    file_ = dir_ / "keyring.json";
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result<std::string> wrap(LocalKeyring& k, const std::string& key, const std::string& ctx,
                           const std::string& scope) {
    return runSync(k.wrapInScope(key, ctx, scope));
  }
  Result<std::string> unwrap(LocalKeyring& k, const std::string& blob, const std::string& ctx) {
    return runSync(k.unwrap(blob, ctx));
  }

  fs::path dir_;
  fs::path file_;
};

TEST_F(ScopedKeyringTest, AScopedKeyOpensUntilItsScopeIsDestroyed) {
  auto k = LocalKeyring::open(file_).value();
  EXPECT_TRUE(k->canShred());
  const std::string key = crypto::newDataKey();
  auto a = wrap(*k, key, "ctx-a", "room:1").value();
  auto b = wrap(*k, key, "ctx-b", "room:2").value();
  EXPECT_EQ(unwrap(*k, a, "ctx-a").value(), key);
  EXPECT_FALSE(unwrap(*k, a, "ctx-b").has_value());  // the context is bound in
  const fs::path scopes = scopeSecretsPath(file_);
  ASSERT_TRUE(fs::exists(scopes));
  EXPECT_EQ(fs::status(scopes).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  ASSERT_TRUE(runSync(k->destroyScope("room:1")).has_value());
  auto gone = unwrap(*k, a, "ctx-a");
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, Code::internal);
  EXPECT_NE(gone.error().message.find("destroyed"), std::string::npos) << gone.error().message;
  EXPECT_EQ(unwrap(*k, b, "ctx-b").value(), key);  // other scopes are untouched
  auto again = wrap(*k, key, "ctx-a", "room:1");   // a destroyed scope is never reused
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, Code::conflict);
  EXPECT_TRUE(runSync(k->destroyScope("room:1")).has_value());  // idempotent
}

TEST_F(ScopedKeyringTest, ACopyOfTheKeyringAndTheBlobIsNotEnoughAfterDestruction) {
  auto k = LocalKeyring::open(file_).value();
  const std::string key = crypto::newDataKey();
  auto blob = wrap(*k, key, "ctx", "room:9").value();
  // What a backup holds: the master keyring, and the blob (the Store).
  const fs::path copy = dir_ / "copy";
  fs::create_directory(copy);
  fs::copy_file(file_, copy / "keyring.json");
  ASSERT_TRUE(runSync(k->destroyScope("room:9")).has_value());
  // Restored with the current scope secrets: nothing opens.
  fs::copy_file(scopeSecretsPath(file_), scopeSecretsPath(copy / "keyring.json"));
  auto restored = LocalKeyring::open(copy / "keyring.json").value();
  EXPECT_FALSE(unwrap(*restored, blob, "ctx").has_value());
  // And the blob carries nothing that opens without the secret: tampering its scope fails.
  std::string edited = blob;
  edited[edited.size() - 1] ^= 1;
  EXPECT_FALSE(unwrap(*k, edited, "ctx").has_value());
}

TEST_F(ScopedKeyringTest, AnotherProcessesDestructionIsSeenAndNeverUndone) {
  auto node = LocalKeyring::open(file_).value();
  auto cli = LocalKeyring::open(file_).value();  // parley admin delete-room, say
  const std::string key = crypto::newDataKey();
  auto blob = wrap(*node, key, "ctx", "room:5").value();
  ASSERT_TRUE(runSync(cli->destroyScope("room:5")).has_value());
  EXPECT_FALSE(unwrap(*node, blob, "ctx").has_value());
  // The node writing the file again (a new room) keeps the destruction.
  ASSERT_TRUE(wrap(*node, key, "ctx", "room:6").has_value());
  auto read = readScopeSecrets(scopeSecretsPath(file_)).value();
  EXPECT_EQ(read.secrets.count("room:5"), 0u);
  EXPECT_EQ(read.destroyed.count("room:5"), 1u);
  EXPECT_EQ(read.secrets.count("room:6"), 1u);
}

TEST_F(ScopedKeyringTest, WithoutTheScopeSecretsFileTheErrorSaysSo) {
  auto k = LocalKeyring::open(file_).value();
  auto blob = wrap(*k, crypto::newDataKey(), "ctx", "room:3").value();
  fs::remove(scopeSecretsPath(file_));
  auto r = unwrap(*k, blob, "ctx");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("not in"), std::string::npos) << r.error().message;
}

TEST_F(ScopedKeyringTest, BadScopesAndFilesAreRefused) {
  auto k = LocalKeyring::open(file_).value();
  for (std::string bad :
       std::vector<std::string>{"", "room 1", "room/1", std::string(65, 'a'), "rööm"}) {
    EXPECT_FALSE(wrap(*k, crypto::newDataKey(), "ctx", bad).has_value()) << bad;
  }
  for (std::string text : {"{", "[]", R"({"format":"x","version":1,"secrets":{},"destroyed":[]})",
                           R"({"format":"parley-scope-secrets","version":1,"secrets":{"a":"AA"},)"
                           R"("destroyed":[]})"}) {
    EXPECT_FALSE(parseScopeSecrets(text, "f").has_value()) << text;
  }
  EXPECT_TRUE(parseScopeSecrets("", "f").has_value());  // no file yet: no scopes
}

TEST_F(ScopedKeyringTest, UnscopedBlobsStillOpen) {
  auto k = LocalKeyring::open(file_).value();
  const std::string key = crypto::newDataKey();
  auto plain = runSync(k->wrap(key, "ctx")).value();
  EXPECT_EQ(unwrap(*k, plain, "ctx").value(), key);
}

}  // namespace
}  // namespace parley::keyring
