#include "adapters/sqlite/search_ops.h"

#include <cstring>
#include <limits>
#include <string>

#include "adapters/sqlite/search_vocab_ops.h"

namespace parley::sqlite::search_ops {

namespace {

// A message's tokens as one BLOB of little-endian int64s (to find its postings on removal).
std::string packTokens(const std::vector<SearchToken>& tokens) {
  std::string out(tokens.size() * sizeof(SearchToken), '\0');
  if (!tokens.empty()) std::memcpy(out.data(), tokens.data(), out.size());
  return out;
}

std::vector<SearchToken> unpackTokens(const std::string& blob) {
  std::vector<SearchToken> out(blob.size() / sizeof(SearchToken));
  if (!out.empty()) std::memcpy(out.data(), blob.data(), out.size() * sizeof(SearchToken));
  return out;
}

// "[1,2,3]": a list bound as one parameter and read with json_each, so a statement's text
// depends only on how many terms the query has (the statement cache stays bounded).
template <class T>
std::string jsonList(const std::vector<T>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(v[i]);
  }
  return out + "]";
}

std::vector<SearchToken> allTokens(const IndexTerm& t) {
  std::vector<SearchToken> all = t.exact;
  all.insert(all.end(), t.fuzzy.begin(), t.fuzzy.end());
  return all;
}

void removeMessage(Db& db, RoomId room, Seq seq) {
  auto get = db.prepare("SELECT tokens, words FROM search_messages WHERE room = ?1 AND seq = ?2");
  get.bind(room, seq);
  if (!get.step()) return;
  const auto tokens = unpackTokens(get.blob(0));
  search_vocab_ops::countDown(db, room, get.blob(1));
  for (SearchToken t : tokens) {
    db.prepare("DELETE FROM search_postings WHERE room = ?1 AND token = ?2 AND seq = ?3")
        .bind(room, t, seq)
        .run();
  }
  db.prepare("DELETE FROM search_messages WHERE room = ?1 AND seq = ?2").bind(room, seq).run();
}

// The WHERE clause shared by search and count. Parameters: ?1 room, ?2 below, ?3 senders,
// ?4 since, ?5 until, ?6 reply_only, ?7 none_of, ?8.. one per term (all its tokens).
std::string whereClause(std::size_t terms) {
  std::string sql =
      " FROM search_messages m WHERE m.room = ?1 AND m.seq < ?2"
      " AND (?3 = '[]' OR m.sender IN (SELECT value FROM json_each(?3)))"
      " AND m.at >= ?4 AND m.at < ?5 AND m.reply >= ?6"
      " AND NOT EXISTS (SELECT 1 FROM search_postings p WHERE p.room = ?1 AND p.seq = m.seq"
      " AND p.token IN (SELECT value FROM json_each(?7)))";
  for (std::size_t i = 0; i < terms; ++i) {
    const std::string param = "?" + std::to_string(8 + i);
    sql += i == 0 ? " AND m.seq IN (SELECT seq FROM search_postings WHERE room = ?1 AND token IN "
                    "(SELECT value FROM json_each(" +
                        param + ")))"
                  : " AND EXISTS (SELECT 1 FROM search_postings p WHERE p.room = ?1 AND p.seq = "
                    "m.seq AND p.token IN (SELECT value FROM json_each(" +
                        param + ")))";
  }
  return sql;
}

// Binds the parameters of whereClause; the caller's own come after them.
void bindWhere(Stmt& s, const IndexQuery& q, Seq below) {
  s.bind(q.room, below, jsonList(q.senders), q.since.value_or(std::numeric_limits<Millis>::min()),
         q.until.value_or(std::numeric_limits<Millis>::max()), q.reply_only ? 1 : 0,
         jsonList(q.none_of));
  int i = 8;
  for (const auto& t : q.all_of) s.bindAt(i++, jsonList(allTokens(t)));
}

}  // namespace

void createSchema(Db& db) {
  db.execScript(
      "PRAGMA journal_mode = WAL;"
      "PRAGMA synchronous = NORMAL;"
      "CREATE TABLE IF NOT EXISTS search_watermarks ("
      "  room INTEGER PRIMARY KEY, seq INTEGER NOT NULL) STRICT;"
      "CREATE TABLE IF NOT EXISTS search_messages ("
      "  room INTEGER NOT NULL, seq INTEGER NOT NULL, sender INTEGER NOT NULL,"
      "  at INTEGER NOT NULL, reply INTEGER NOT NULL, tokens BLOB NOT NULL,"
      "  PRIMARY KEY (room, seq)) STRICT, WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS search_postings ("
      "  room INTEGER NOT NULL, token INTEGER NOT NULL, seq INTEGER NOT NULL,"
      "  PRIMARY KEY (room, token, seq)) STRICT, WITHOUT ROWID;");
  search_vocab_ops::createSchema(db);
}

Result<Seq> watermark(Db& db, RoomId room) {
  auto s = db.prepare("SELECT seq FROM search_watermarks WHERE room = ?1");
  s.bind(room);
  return s.step() ? s.int64(0) : Seq{0};
}

Status apply(Db& db, const IndexBatch& b) {
  auto current = watermark(db, b.room);
  if (*current != b.from || b.to < b.from) {
    return makeError(Code::conflict, "search index: the room's watermark moved");
  }
  for (Seq seq : b.remove) removeMessage(db, b.room, seq);
  for (const auto& m : b.put) {
    removeMessage(db, b.room, m.seq);
    db.prepare(
          "INSERT INTO search_messages (room, seq, sender, at, reply, tokens, words)"
          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .bind(b.room, m.seq, m.sender, m.at, m.reply, Blob{packTokens(m.tokens)},
              Blob{search_vocab_ops::packWords(m.words)})
        .run();
    search_vocab_ops::countUp(db, b.room, m.words);
    for (SearchToken t : m.tokens) {
      db.prepare("INSERT OR IGNORE INTO search_postings (room, token, seq) VALUES (?1, ?2, ?3)")
          .bind(b.room, t, m.seq)
          .run();
    }
  }
  db.prepare(
        "INSERT INTO search_watermarks (room, seq) VALUES (?1, ?2)"
        " ON CONFLICT (room) DO UPDATE SET seq = excluded.seq")
      .bind(b.room, b.to)
      .run();
  return {};
}

Result<std::vector<IndexHit>> search(Db& db, const IndexQuery& q) {
  std::vector<IndexHit> out;
  if (q.all_of.empty() || q.limit <= 0) return out;
  // The score: how many terms a message has an exact token of (?N: the term's exact list).
  std::string score = "0";
  const std::size_t first_exact = 8 + q.all_of.size();
  for (std::size_t i = 0; i < q.all_of.size(); ++i) {
    score +=
        " + EXISTS (SELECT 1 FROM search_postings p WHERE p.room = ?1 AND p.seq = m.seq"
        " AND p.token IN (SELECT value FROM json_each(?" +
        std::to_string(first_exact + i) + ")))";
  }
  const std::string sql = "SELECT m.seq, m.sender, m.at, " + score + whereClause(q.all_of.size()) +
                          " ORDER BY m.seq DESC LIMIT ?" +
                          std::to_string(first_exact + q.all_of.size());
  auto s = db.prepare(sql);
  bindWhere(s, q, q.below);
  int i = static_cast<int>(first_exact);
  for (const auto& t : q.all_of) s.bindAt(i++, jsonList(t.exact));
  s.bindAt(i, static_cast<std::int64_t>(q.limit));
  while (s.step()) {
    out.push_back({s.int64(0), s.int64(1), s.int64(2), static_cast<int>(s.int64(3))});
  }
  return out;
}

Result<std::int64_t> count(Db& db, const IndexQuery& q, std::int64_t cap) {
  if (q.all_of.empty()) return std::int64_t{0};
  const std::string sql = "SELECT count(*) FROM (SELECT 1" + whereClause(q.all_of.size()) +
                          " LIMIT ?" + std::to_string(8 + q.all_of.size()) + ")";
  auto s = db.prepare(sql);
  bindWhere(s, q, kSeqMax);
  s.bindAt(static_cast<int>(8 + q.all_of.size()), cap);
  return s.step() ? s.int64(0) : 0;
}

Status dropRoom(Db& db, RoomId room) {
  db.prepare("DELETE FROM search_postings WHERE room = ?1").bind(room).run();
  db.prepare("DELETE FROM search_messages WHERE room = ?1").bind(room).run();
  db.prepare("DELETE FROM search_watermarks WHERE room = ?1").bind(room).run();
  search_vocab_ops::dropRoom(db, room);
  return {};
}

}  // namespace parley::sqlite::search_ops
