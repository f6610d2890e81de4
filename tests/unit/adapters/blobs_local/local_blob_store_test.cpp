#include "adapters/blobs_local/local_blob_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "ports/blob_store_contract.h"

namespace parley::blobs_local {
namespace {

namespace fs = std::filesystem;
using blob_contract::await;

// A private directory per process, removed at exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "parley-blobs-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

const TempDir& sharedDir() {
  static TempDir dir;
  return dir;
}

blob_contract::BlobStoreFactory localFactory() {
  return {"Local", [] {
            auto s = makeLocalBlobStore(sharedDir().path() / "store");
            EXPECT_TRUE(s) << (s ? "" : s.error().message);
            return s ? std::move(*s) : nullptr;
          }};
}

}  // namespace

using blob_contract::BlobStoreContract;
INSTANTIATE_TEST_SUITE_P(Local, BlobStoreContract, ::testing::Values(localFactory()),
                         [](const auto& info) { return info.param.name; });

namespace {

mode_t modeOf(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

TEST(LocalBlobStore, FilesAre0600AndFolders0700) {
  TempDir dir;
  auto store = makeLocalBlobStore(dir.path() / "b");
  ASSERT_TRUE(store);
  StringBlobSource src("secret-ish");
  ASSERT_TRUE(await((*store)->put("files/1/abc", src)));
  EXPECT_EQ(modeOf(dir.path() / "b"), 0700u);
  EXPECT_EQ(modeOf(dir.path() / "b" / "objects"), 0700u);
  EXPECT_EQ(modeOf(dir.path() / "b" / "objects" / "files~1~abc"), 0600u);
}

TEST(LocalBlobStore, NothingIsWrittenOutsideTheDirectory) {
  TempDir dir;
  auto store = makeLocalBlobStore(dir.path() / "b");
  ASSERT_TRUE(store);
  StringBlobSource src("x");
  EXPECT_FALSE(await((*store)->put("../escaped", src)));
  EXPECT_FALSE(fs::exists(dir.path() / "escaped"));
  EXPECT_FALSE(fs::exists(dir.path() / "b" / "escaped"));
}

TEST(LocalBlobStore, LeftoverTempFilesAreRemovedOnOpen) {
  TempDir dir;
  ASSERT_TRUE(makeLocalBlobStore(dir.path() / "b"));
  std::ofstream(dir.path() / "b" / "tmp" / "dead.part") << "half an upload";
  ASSERT_TRUE(makeLocalBlobStore(dir.path() / "b"));
  EXPECT_TRUE(fs::is_empty(dir.path() / "b" / "tmp"));
}

TEST(LocalBlobStore, AFailedPutLeavesNoTempFile) {
  TempDir dir;
  auto store = makeLocalBlobStore(dir.path() / "b");
  ASSERT_TRUE(store);
  blob_contract::FailingSource src("partial");
  EXPECT_FALSE(await((*store)->put("k", src)));
  EXPECT_TRUE(fs::is_empty(dir.path() / "b" / "tmp"));
  EXPECT_TRUE(fs::is_empty(dir.path() / "b" / "objects"));
}

}  // namespace
}  // namespace parley::blobs_local
