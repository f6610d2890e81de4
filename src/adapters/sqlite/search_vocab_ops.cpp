#include "adapters/sqlite/search_vocab_ops.h"

#include <cstring>

namespace parley::sqlite::search_vocab_ops {

namespace {

std::string pack(const std::vector<SearchToken>& tokens) {
  std::string out(tokens.size() * sizeof(SearchToken), '\0');
  if (!tokens.empty()) std::memcpy(out.data(), tokens.data(), out.size());
  return out;
}

std::vector<SearchToken> unpack(const std::string& blob) {
  std::vector<SearchToken> out(blob.size() / sizeof(SearchToken));
  if (!out.empty()) std::memcpy(out.data(), blob.data(), out.size() * sizeof(SearchToken));
  return out;
}

void forget(Db& db, RoomId room, SearchToken word, const std::string& packed_prefixes) {
  for (SearchToken p : unpack(packed_prefixes)) {
    db.prepare("DELETE FROM search_word_prefixes WHERE room = ?1 AND prefix = ?2 AND word = ?3")
        .bind(room, p, word)
        .run();
  }
  db.prepare("DELETE FROM search_words WHERE room = ?1 AND word = ?2").bind(room, word).run();
}

}  // namespace

void createSchema(Db& db) {
  db.execScript(
      "CREATE TABLE IF NOT EXISTS search_words ("
      "  room INTEGER NOT NULL, word INTEGER NOT NULL, sealed BLOB NOT NULL,"
      "  messages INTEGER NOT NULL, prefixes BLOB NOT NULL,"
      "  PRIMARY KEY (room, word)) STRICT, WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS search_word_prefixes ("
      "  room INTEGER NOT NULL, prefix INTEGER NOT NULL, word INTEGER NOT NULL,"
      "  PRIMARY KEY (room, prefix, word)) STRICT, WITHOUT ROWID;");
  // Files indexed before suggestions existed: their messages' words were not kept (a
  // reindex fills the vocabulary in).
  auto has = db.prepare("SELECT 1 FROM pragma_table_info('search_messages') WHERE name = 'words'");
  if (!has.step()) {
    db.exec("ALTER TABLE search_messages ADD COLUMN words BLOB NOT NULL DEFAULT x''");
  }
}

std::string packWords(const std::vector<IndexedWord>& words) {
  std::vector<SearchToken> tokens;
  tokens.reserve(words.size());
  for (const auto& w : words) tokens.push_back(w.word);
  return pack(tokens);
}

void countUp(Db& db, RoomId room, const std::vector<IndexedWord>& words) {
  for (const auto& w : words) {
    auto up = db.prepare(
        "INSERT INTO search_words (room, word, sealed, messages, prefixes)"
        " VALUES (?1, ?2, ?3, 1, ?4)"
        " ON CONFLICT (room, word) DO UPDATE SET messages = messages + 1 RETURNING messages");
    up.bind(room, w.word, Blob{w.sealed}, Blob{pack(w.prefixes)});
    const bool first = up.step() && up.int64(0) == 1;
    while (up.step()) {
    }
    if (!first) continue;
    for (SearchToken p : w.prefixes) {
      db.prepare(
            "INSERT OR IGNORE INTO search_word_prefixes (room, prefix, word) VALUES (?1, ?2, ?3)")
          .bind(room, p, w.word)
          .run();
    }
  }
}

void countDown(Db& db, RoomId room, const std::string& packed_words) {
  for (SearchToken word : unpack(packed_words)) {
    auto down = db.prepare(
        "UPDATE search_words SET messages = messages - 1 WHERE room = ?1 AND word = ?2"
        " RETURNING messages, prefixes");
    down.bind(room, word);
    if (!down.step()) continue;
    const bool gone = down.int64(0) <= 0;
    std::string prefixes = down.blob(1);
    while (down.step()) {
    }
    if (gone) forget(db, room, word, prefixes);
  }
}

Result<std::vector<SuggestHit>> suggest(Db& db, const SuggestQuery& q) {
  std::vector<SuggestHit> out;
  if (q.prefixes.empty() || q.limit <= 0) return out;
  std::string pairs = "[";
  for (std::size_t i = 0; i < q.prefixes.size(); ++i) {
    if (i) pairs += ',';
    pairs += "[" + std::to_string(q.prefixes[i].first) + "," +
             std::to_string(q.prefixes[i].second) + "]";
  }
  pairs += "]";
  auto s = db.prepare(
      "SELECT w.room, w.word, w.sealed, w.messages FROM json_each(?1) j"
      " JOIN search_word_prefixes p ON p.room = j.value ->> 0 AND p.prefix = j.value ->> 1"
      " JOIN search_words w ON w.room = p.room AND w.word = p.word"
      " ORDER BY w.messages DESC LIMIT ?2");
  s.bind(pairs, static_cast<std::int64_t>(q.limit));
  while (s.step()) out.push_back({s.int64(0), s.int64(1), s.blob(2), s.int64(3)});
  return out;
}

void dropRoom(Db& db, RoomId room) {
  db.prepare("DELETE FROM search_word_prefixes WHERE room = ?1").bind(room).run();
  db.prepare("DELETE FROM search_words WHERE room = ?1").bind(room).run();
}

}  // namespace parley::sqlite::search_vocab_ops
