// The vocabulary of the SQLite SearchIndex (suggestions): one row per distinct word of a room
// with its sealed text and how many indexed messages have it, and one row per (prefix token,
// word) to find the words of a prefix. Run on the index's worker Db, inside apply's
// transaction.
#pragma once

#include <string>

#include "adapters/sqlite/db.h"
#include "ports/search_index.h"

namespace parley::sqlite::search_vocab_ops {

void createSchema(Db& db);
// The word tokens of `words`, packed (search_messages.words).
std::string packWords(const std::vector<IndexedWord>& words);
// One more message has each of these words.
void countUp(Db& db, RoomId room, const std::vector<IndexedWord>& words);
// One message fewer has each of these (packed) words; a word at zero is forgotten.
void countDown(Db& db, RoomId room, const std::string& packed_words);
Result<std::vector<SuggestHit>> suggest(Db& db, const SuggestQuery& q);
void dropRoom(Db& db, RoomId room);

}  // namespace parley::sqlite::search_vocab_ops
