#include "adapters/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "ports/store_contract.h"

namespace parley::sqlite {
namespace {

namespace fs = std::filesystem;
using store_contract::errorOf;
using store_contract::run;

// One directory per test process, removed when the process ends; one file per store.
const fs::path& scratchDir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("parley-sqlite-test-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

fs::path freshFile() {
  static std::atomic<int> counter{0};
  return scratchDir() / ("store-" + std::to_string(++counter) + ".db");
}

class ScratchCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(scratchDir(), ignored);
  }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

StorePtr openFresh() {
  auto store = openSqliteStore(freshFile());
  EXPECT_TRUE(store) << errorOf(store);
  return store ? std::move(*store) : nullptr;
}

using store_contract::StoreContract;
INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, ::testing::Values(openFresh));

// --- what only a file-backed store can show ---

int userVersionOf(const fs::path& file) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr);
  int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return version;
}

void setUserVersion(const fs::path& file, int version) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  const std::string sql = "PRAGMA user_version = " + std::to_string(version);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

// Takes a file back to what step 4 left: the later steps' tables, indexes and columns go.
constexpr const char* kUndoStep17 =
    "ALTER TABLE rooms DROP COLUMN post; ALTER TABLE rooms DROP COLUMN archived;";

constexpr const char* kUndoAfterStep4 =
    // step 17 (settings events, archived, post; the wider kind CHECK may stay)
    "ALTER TABLE rooms DROP COLUMN post; ALTER TABLE rooms DROP COLUMN archived;"
    // step 16 (avatars; the profiles column goes with the table below)
    "DROP TABLE avatar_images;"
    // step 15 (mentions, settings, levels, pins)
    "DROP TABLE pins; ALTER TABLE members DROP COLUMN muted; ALTER TABLE members DROP COLUMN "
    "notify;"
    "ALTER TABLE rooms DROP COLUMN pins; ALTER TABLE rooms DROP COLUMN room_mentions;"
    "ALTER TABLE events DROP COLUMN mention_flags; ALTER TABLE events DROP COLUMN mentions;"
    // step 14 (profiles)
    "DROP TABLE profiles;"
    // step 13 (sign-up invites, two-factor)
    "DROP TABLE user_totp; DROP TABLE invites;"
    // step 12 (the audit chain)
    "DROP TABLE audit_anchor; DROP INDEX audit_events_kind;"
    "ALTER TABLE audit_events DROP COLUMN hash; ALTER TABLE audit_events DROP COLUMN prev_hash;"
    // step 11 (threads)
    "DROP TABLE thread_follows; DROP INDEX events_by_thread;"
    "ALTER TABLE events DROP COLUMN thread; ALTER TABLE events DROP COLUMN thread_root;"
    // step 10 (deleted rooms)
    "DROP INDEX rooms_to_purge; ALTER TABLE rooms DROP COLUMN purged;"
    "ALTER TABLE rooms DROP COLUMN deleted_at;"
    "DROP TABLE reactions; ALTER TABLE events DROP COLUMN reactions;"
    "DROP TABLE wrapped_secrets; DROP TABLE known_networks; DROP TABLE known_devices;"
    "DROP INDEX audit_events_agg; DROP INDEX audit_events_at;"
    "ALTER TABLE audit_events DROP COLUMN attempts; ALTER TABLE audit_events DROP COLUMN last_at;"
    "ALTER TABLE audit_events DROP COLUMN agg_key;"
    "ALTER TABLE audit_events DROP COLUMN agg_bucket;"
    // step 9 (server admins, reset links)
    "DROP TABLE password_resets; ALTER TABLE users DROP COLUMN is_admin;";

TEST(SqliteStore, DataSurvivesClosingAndReopening) {
  const fs::path file = freshFile();
  RoomId room_id = 0;
  {
    auto store = openSqliteStore(file, {.reader_threads = 1});
    ASSERT_TRUE(store) << errorOf(store);
    auto alice = run((*store)->createUser("alice", "h", 1));
    ASSERT_TRUE(alice) << errorOf(alice);
    NewRoom nr;
    nr.name = "kept";
    nr.created_by = alice->id;
    auto room = run((*store)->createRoom(nr));
    ASSERT_TRUE(room) << errorOf(room);
    room_id = room->id;
    AppendRequest r;
    r.room_id = room_id;
    r.event_id = "e1";
    r.sender = alice->id;
    r.client_msg_id = "c1";
    r.sealed_body = "body";
    ASSERT_TRUE(run((*store)->append(r)));
  }
  auto store = openSqliteStore(file);
  ASSERT_TRUE(store) << errorOf(store);
  auto room = run((*store)->roomById(room_id));
  ASSERT_TRUE(room) << errorOf(room);
  EXPECT_EQ(room->name, "kept");
  EXPECT_EQ(room->last_seq, 1);
  auto event = run((*store)->eventAt(room_id, 1));
  ASSERT_TRUE(event) << errorOf(event);
  EXPECT_EQ(event->sealed_body, "body");
  EXPECT_TRUE(run((*store)->userByName("ALICE")));
}

TEST(SqliteStore, RecordsItsSchemaVersionInTheFile) {
  const fs::path file = freshFile();
  ASSERT_TRUE(openSqliteStore(file));
  EXPECT_GE(sqliteSchemaVersion(), 1);
  EXPECT_EQ(userVersionOf(file), sqliteSchemaVersion());
  // Reopening an up-to-date file changes nothing.
  ASSERT_TRUE(openSqliteStore(file));
  EXPECT_EQ(userVersionOf(file), sqliteSchemaVersion());
}

TEST(SqliteStore, RefusesAFileFromANewerBuild) {
  const fs::path file = freshFile();
  ASSERT_TRUE(openSqliteStore(file));
  const int newer = sqliteSchemaVersion() + 1;
  setUserVersion(file, newer);
  auto store = openSqliteStore(file);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Code::internal);
  EXPECT_NE(store.error().message.find("schema version " + std::to_string(newer) +
                                       " is newer than this build's " +
                                       std::to_string(sqliteSchemaVersion())),
            std::string::npos)
      << store.error().message;
}

// Step 4 added rooms.member_count: a file from before it gets the counts of its rooms.
TEST(SqliteStore, MemberCountsOfExistingRoomsAreFilledInByTheMigration) {
  const fs::path file = freshFile();
  RoomId room_id = 0;
  {
    auto store = openSqliteStore(file, {.reader_threads = 1});
    ASSERT_TRUE(store) << errorOf(store);
    auto alice = run((*store)->createUser("alice", "h", 1)).value();
    auto bob = run((*store)->createUser("bob", "h", 1)).value();
    NewRoom nr;
    nr.name = "old";
    nr.created_by = alice.id;
    room_id = run((*store)->createRoom(nr)).value().id;
    ASSERT_TRUE(run((*store)->addMember(room_id, bob.id, Role::member, 1)));
  }
  // Back to the file as step 3 left it: no count, no triggers (and none of the later steps).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  const std::string undo = std::string(kUndoAfterStep4) +
                           "DROP TRIGGER members_count_insert; DROP TRIGGER members_count_delete;"
                           "ALTER TABLE rooms DROP COLUMN member_count; PRAGMA user_version = 3;";
  EXPECT_EQ(sqlite3_exec(db, undo.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto store = openSqliteStore(file);
  ASSERT_TRUE(store) << errorOf(store);
  EXPECT_EQ(userVersionOf(file), sqliteSchemaVersion());
  EXPECT_EQ(run((*store)->memberCount(room_id)).value(), 2);
  auto carol = run((*store)->createUser("carol", "h", 1)).value();
  ASSERT_TRUE(run((*store)->addMember(room_id, carol.id, Role::member, 1)));
  EXPECT_EQ(run((*store)->memberCount(room_id)).value(), 3);
}

TEST(SqliteStore, KnownLoginsAreSeededFromTheAuditTrailByTheMigration) {
  const fs::path file = freshFile();
  UserId alice_id = 0;
  {
    auto store = openSqliteStore(file, {.reader_threads = 1});
    ASSERT_TRUE(store) << errorOf(store);
    alice_id = run((*store)->createUser("alice", "h", 1)).value().id;
    for (const char* ip : {"10.1.2.3", "10.1.2.3", "2001:db8::1", "10.9.9.9"}) {
      AuditEvent e{.user_id = alice_id, .kind = "login", .ip = ip, .device = "laptop", .at = 5};
      ASSERT_TRUE(run((*store)->recordAudit(e)));
    }
    AuditEvent refused{
        .user_id = alice_id, .kind = "login_failed", .ip = "10.7.7.7", .device = "evil", .at = 6};
    ASSERT_TRUE(run((*store)->recordAudit(refused)));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  const std::string undo = std::string(kUndoAfterStep4) + "PRAGMA user_version = 4;";
  EXPECT_EQ(sqlite3_exec(db, undo.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto store = openSqliteStore(file);
  ASSERT_TRUE(store) << errorOf(store);
  EXPECT_EQ(userVersionOf(file), sqliteSchemaVersion());
  auto home = run((*store)->knownLogin(alice_id, "10.1.2", "laptop")).value();
  EXPECT_TRUE(home.network);
  EXPECT_TRUE(home.device);
  EXPECT_TRUE(run((*store)->knownLogin(alice_id, "10.9.9", "x")).value().network);
  auto refused = run((*store)->knownLogin(alice_id, "10.7.7", "evil")).value();
  EXPECT_FALSE(refused.network);
  EXPECT_FALSE(refused.device);
  auto rows = run((*store)->auditEvents(alice_id, 10)).value();
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].count, 1);
  EXPECT_EQ(rows[0].last_at, 6);  // filled in from `at`
}

// Step 17 rebuilds the events table that reactions, pins and thread follows refer to: their
// rows survive it (with foreign keys on, dropping the old table would cascade to them).
TEST(SqliteStore, RebuildingEventsKeepsTheRowsThatReferToThem) {
  const fs::path file = freshFile();
  RoomId room_id = 0;
  Seq seq = 0;
  {
    auto store = openSqliteStore(file, {.reader_threads = 1});
    ASSERT_TRUE(store) << errorOf(store);
    auto alice = run((*store)->createUser("alice", "h", 1)).value();
    NewRoom nr;
    nr.name = "kept";
    nr.created_by = alice.id;
    room_id = run((*store)->createRoom(nr)).value().id;
    AppendRequest m{.room_id = room_id,
                    .event_id = "e1",
                    .sender = alice.id,
                    .client_msg_id = "c1",
                    .now = 2,
                    .sealed_body = "s"};
    seq = run((*store)->append(m)).value().event.seq;
    AppendRequest react{.room_id = room_id,
                        .kind = EventKind::react,
                        .event_id = "e2",
                        .sender = alice.id,
                        .target = seq,
                        .now = 3,
                        .emoji = "👍"};
    ASSERT_TRUE(run((*store)->append(react)));
    AppendRequest pin{.room_id = room_id,
                      .kind = EventKind::pin,
                      .event_id = "e3",
                      .sender = alice.id,
                      .target = seq,
                      .now = 4};
    ASSERT_TRUE(run((*store)->append(pin)));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  const std::string undo = std::string(kUndoStep17) + "PRAGMA user_version = 16;";
  EXPECT_EQ(sqlite3_exec(db, undo.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto store = openSqliteStore(file);
  ASSERT_TRUE(store) << errorOf(store);
  EXPECT_EQ(userVersionOf(file), sqliteSchemaVersion());
  auto message = run((*store)->eventAt(room_id, seq));
  ASSERT_TRUE(message) << errorOf(message);
  EXPECT_NE(message->reactions.find("👍"), std::string::npos);
  auto pins = run((*store)->pins(room_id));
  ASSERT_TRUE(pins) << errorOf(pins);
  EXPECT_EQ(pins->size(), 1u);
  EXPECT_FALSE(run((*store)->roomById(room_id)).value().archived);
}

TEST(SqliteStore, AMissingDirectoryIsUnavailable) {
  auto store = openSqliteStore(scratchDir() / "no-such-dir" / "x.db");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Code::unavailable);
}

}  // namespace
}  // namespace parley::sqlite
