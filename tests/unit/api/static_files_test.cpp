#include "api/static_files.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace parley::api {
namespace {

namespace fs = std::filesystem;

// A fresh directory tree: `root/` beside a secret file, removed at the end.
class StaticSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "parley-static-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    root_ = base_ / "dist";
    fs::create_directories(root_ / "assets");
    write(root_ / "index.html", "<!doctype html>page");
    write(root_ / "assets" / "app-1a2b.js", "console.log(1)");
    write(root_ / "favicon.ico", "ico");
    write(base_ / "keyring.json", "SECRET");
  }
  void TearDown() override { fs::remove_all(base_); }

  static void write(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
  }

  StaticSitePtr load(const StaticLimits& limits = {}) {
    auto site = StaticSite::load(root_, limits);
    EXPECT_TRUE(site) << (site ? "" : site.error().message);
    return site ? *site : nullptr;
  }

  fs::path base_;
  fs::path root_;
};

TEST_F(StaticSiteTest, ServesExactlyTheClientsFiles) {
  auto site = load();
  ASSERT_TRUE(site);
  EXPECT_EQ(site->paths(),
            (std::vector<std::string>{"/assets/app-1a2b.js", "/favicon.ico", "/index.html"}));
  const StaticFile* js = site->find("/assets/app-1a2b.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->body, "console.log(1)");
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js->cache_control, "public, max-age=31536000, immutable");
  const StaticFile* page = site->find("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->body, "<!doctype html>page");
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page->cache_control, "no-cache");
  EXPECT_EQ(site->find("/favicon.ico")->cache_control, "no-cache");
  EXPECT_EQ(site->totalBytes(), 19u + 14u + 3u);
}

TEST_F(StaticSiteTest, ClientRoutesGetThePage) {
  auto site = load();
  ASSERT_TRUE(site);
  for (const char* route : {"/rooms", "/rooms/7", "/assets", "/settings/profile"}) {
    const StaticFile* f = site->find(route);
    ASSERT_TRUE(f) << route;
    EXPECT_EQ(f->body, "<!doctype html>page") << route;
    EXPECT_EQ(f->cache_control, "no-cache") << route;
  }
}

TEST_F(StaticSiteTest, EveryOtherSpellingIsNotFound) {
  auto site = load();
  ASSERT_TRUE(site);
  std::string secret = (base_ / "keyring.json").string();
  for (const std::string& path : std::vector<std::string>{"/" + secret,
                                                          "//" + secret,
                                                          "/../keyring.json",
                                                          "/assets/../../keyring.json",
                                                          "/%2e%2e/keyring.json",
                                                          "/%2E%2E/keyring.json",
                                                          "/..%2fkeyring.json",
                                                          "/assets%2fapp-1a2b.js",
                                                          "/assets%5capp-1a2b.js",
                                                          "/assets\\app-1a2b.js",
                                                          "/..\\keyring.json",
                                                          "/%c0%ae%c0%ae/keyring.json",
                                                          "/%uff0e%uff0e/keyring.json",
                                                          "/index.html%00.js",
                                                          std::string("/index.html\0.js", 15),
                                                          "/%",
                                                          "/%2",
                                                          "/%zz.js",
                                                          "/./index.html",
                                                          "/assets/./app-1a2b.js",
                                                          "//index.html",
                                                          "/assets//app-1a2b.js",
                                                          "/INDEX.HTML",
                                                          "/Index.html",
                                                          "/assets/APP-1A2B.JS",
                                                          "/index.html/",
                                                          "/.hidden.txt",
                                                          "/assets/.x.js",
                                                          "/missing.js",
                                                          "/proc/self/cwd/keyring.json",
                                                          "/" + std::string(2000, 'a') + ".js",
                                                          "",
                                                          "index.html",
                                                          "*",
                                                          "http://host/index.html"}) {
    EXPECT_EQ(site->find(path), nullptr) << path;
  }
}

TEST_F(StaticSiteTest, HarmlessEncodingsOfAClientFileStillNameIt) {
  auto site = load();
  ASSERT_TRUE(site);
  EXPECT_TRUE(site->find("/%69ndex.html"));
  EXPECT_TRUE(site->find("/assets/app%2d1a2b.js"));
}

TEST_F(StaticSiteTest, SymlinksLeavingTheDirectoryAreNotLoaded) {
  fs::create_symlink(base_ / "keyring.json", root_ / "leak.json");
  fs::create_symlink(base_, root_ / "up");
  fs::create_symlink("/proc/self/cwd", root_ / "cwd");
  fs::create_symlink(root_ / "favicon.ico", root_ / "icon.ico");  // inside: allowed
  auto site = load();
  ASSERT_TRUE(site);
  EXPECT_EQ(site->find("/leak.json"), nullptr);
  EXPECT_EQ(site->find("/up/keyring.json"), nullptr);
  EXPECT_EQ(site->find("/cwd/keyring.json"), nullptr);
  ASSERT_TRUE(site->find("/icon.ico"));
  EXPECT_EQ(site->find("/icon.ico")->body, "ico");
  for (const auto& p : site->paths()) EXPECT_EQ(p.find("keyring"), std::string::npos) << p;
}

TEST_F(StaticSiteTest, HiddenAndSpecialFilesAreNotLoaded) {
  fs::create_directories(root_ / ".git");
  write(root_ / ".git" / "config", "x");
  write(root_ / ".env", "x");
  write(root_ / "a b.js", "x");
  ASSERT_EQ(::mkfifo((root_ / "pipe.js").c_str(), 0600), 0);
  auto site = load();
  ASSERT_TRUE(site);
  EXPECT_EQ(site->fileCount(), 3u);
}

TEST_F(StaticSiteTest, BoundsAreStartErrors) {
  StaticLimits few;
  few.max_files = 2;
  auto r = StaticSite::load(root_, few);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("--static-dir"), std::string::npos);
  StaticLimits small;
  small.max_bytes = 20;
  EXPECT_FALSE(StaticSite::load(root_, small));
  StaticLimits shallow;
  shallow.max_entries = 2;
  EXPECT_FALSE(StaticSite::load(root_, shallow));
}

TEST_F(StaticSiteTest, ADirectoryWithoutThePageIsRefused) {
  fs::remove(root_ / "index.html");
  EXPECT_FALSE(StaticSite::load(root_));
  EXPECT_FALSE(StaticSite::load(base_ / "no-such-dir"));
  EXPECT_FALSE(StaticSite::load(base_ / "keyring.json"));
}

TEST(StaticKey, DecodesOnlyToSafeNames) {
  EXPECT_EQ(staticKey("/"), "/");
  EXPECT_EQ(staticKey("/a/b.js"), "/a/b.js");
  EXPECT_EQ(staticKey("/%41.js"), "/A.js");
  EXPECT_EQ(staticKey("/%2e%2e"), std::nullopt);
  EXPECT_EQ(staticKey("/a/"), std::nullopt);
  EXPECT_EQ(staticKey("/a%2fb"), std::nullopt);
  EXPECT_EQ(staticKey("/a%25b"), std::nullopt);
  EXPECT_EQ(staticKey("/caf%c3%a9"), std::nullopt);
}

}  // namespace
}  // namespace parley::api
