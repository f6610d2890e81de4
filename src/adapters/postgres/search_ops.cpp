#include "adapters/postgres/search_ops.h"

#include <limits>
#include <map>

namespace parley::postgres::search_ops {

namespace {

// "{1,2,3}": an array parameter sent as text and cast in the SQL ($n::text::bigint[]).
template <class T>
std::string arrayText(const std::vector<T>& v) {
  std::string out = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(v[i]);
  }
  return out + "}";
}

std::string wordsText(const std::vector<IndexedWord>& words) {
  std::vector<SearchToken> tokens;
  for (const auto& w : words) tokens.push_back(w.word);
  return arrayText(tokens);
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// The batch's words as one JSON array: each distinct word once, with how many of the put
// messages have it, its sealed text (hex) and its prefix tokens.
std::string vocabularyJson(const std::vector<IndexedMessage>& put) {
  std::map<SearchToken, std::pair<const IndexedWord*, int>> words;
  for (const auto& m : put) {
    for (const auto& w : m.words) {
      auto& [first, n] = words[w.word];
      if (!first) first = &w;
      ++n;
    }
  }
  std::string out = "[";
  for (const auto& [token, entry] : words) {
    if (out.size() > 1) out += ',';
    out += "{\"word\":" + std::to_string(token) + ",\"n\":" + std::to_string(entry.second) +
           ",\"sealed\":\"" + hex(entry.first->sealed) + "\",\"prefixes\":\"" +
           arrayText(entry.first->prefixes) + "\"}";
  }
  return out + "]";
}

// The messages to put as one JSON array of objects (their tokens as array text).
std::string putJson(const std::vector<IndexedMessage>& put) {
  std::string out = "[";
  for (std::size_t i = 0; i < put.size(); ++i) {
    const auto& m = put[i];
    if (i) out += ',';
    out += "{\"seq\":" + std::to_string(m.seq) + ",\"sender\":" + std::to_string(m.sender) +
           ",\"at\":" + std::to_string(m.at) + ",\"reply\":" + (m.reply ? "true" : "false") +
           ",\"tokens\":\"" + arrayText(m.tokens) + "\",\"words\":\"" + wordsText(m.words) + "\"}";
  }
  return out + "]";
}

// One statement: the watermark moves from $2 to $3 only if it is at $2 (a room never indexed
// is at 0: the row is proposed when it exists or $2 is 0, and an existing row is updated only
// from $2), and the removals, puts and vocabulary counts change only if it moved. Every part
// reads the rows as they were before the statement: `old` is the words of the messages
// removed or replaced ($6), which count down; `new` ($7) counts up. A word's row is changed
// once (`up` for the words the batch has, `down` for the others); kForgetWords then drops
// the rows at zero, in the same transaction (a pipeline).
constexpr const char* kApply = R"sql(
WITH wm AS (
  INSERT INTO search_watermarks AS w (room_id, seq)
  SELECT $1, $3
  WHERE $2 = 0 OR EXISTS (SELECT 1 FROM search_watermarks WHERE room_id = $1)
  ON CONFLICT (room_id) DO UPDATE SET seq = $3 WHERE w.seq = $2
  RETURNING 1
), gone AS (
  DELETE FROM search_messages
  WHERE room_id = $1 AND seq = ANY($4::text::bigint[]) AND EXISTS (SELECT 1 FROM wm)
), put AS (
  INSERT INTO search_messages (room_id, seq, sender, at, reply, tokens, words)
  SELECT $1, m.seq, m.sender, m.at, m.reply, m.tokens::bigint[], m.words::bigint[]
  FROM jsonb_to_recordset($5::text::jsonb)
       AS m(seq bigint, sender bigint, at bigint, reply boolean, tokens text, words text)
  WHERE EXISTS (SELECT 1 FROM wm)
  ON CONFLICT (room_id, seq) DO UPDATE
  SET sender = excluded.sender, at = excluded.at, reply = excluded.reply,
      tokens = excluded.tokens, words = excluded.words
), old AS (
  SELECT unnest(words) AS word FROM search_messages
  WHERE room_id = $1 AND seq = ANY($6::text::bigint[])
), new AS (
  SELECT * FROM jsonb_to_recordset($7::text::jsonb)
                AS v(word bigint, n bigint, sealed text, prefixes text)
), delta AS (
  SELECT word, sum(d)::bigint AS d
  FROM (SELECT word, -1::bigint AS d FROM old UNION ALL SELECT word, n FROM new) x
  GROUP BY word HAVING sum(d) <> 0
), up AS (
  INSERT INTO search_words AS w (room_id, word, sealed, messages, prefixes)
  SELECT $1, d.word, decode(n.sealed, 'hex'), d.d, n.prefixes::bigint[]
  FROM delta d JOIN new n USING (word)
  WHERE EXISTS (SELECT 1 FROM wm)
  ON CONFLICT (room_id, word) DO UPDATE SET messages = w.messages + excluded.messages
), down AS (
  UPDATE search_words w SET messages = w.messages + d.d FROM delta d
  WHERE w.room_id = $1 AND w.word = d.word AND EXISTS (SELECT 1 FROM wm)
    AND NOT EXISTS (SELECT 1 FROM new n WHERE n.word = d.word)
)
SELECT count(*) FROM wm
)sql";

constexpr const char* kForgetWords =
    "DELETE FROM search_words WHERE room_id = $1 AND messages <= 0";

// The WHERE shared by search and count: $1 room, $2 below, $3 senders, $4 since, $5 until,
// $6 reply_only, $7 none_of, $8.. one per term (all its tokens).
std::string whereClause(std::size_t terms) {
  std::string sql =
      " FROM search_messages WHERE room_id = $1 AND seq < $2"
      " AND ($3::text::bigint[] = '{}' OR sender = ANY($3::text::bigint[]))"
      " AND at >= $4 AND at < $5 AND (NOT $6 OR reply)"
      " AND NOT (tokens && $7::text::bigint[])";
  for (std::size_t i = 0; i < terms; ++i) {
    sql += " AND tokens && $" + std::to_string(8 + i) + "::text::bigint[]";
  }
  return sql;
}

Params whereParams(const IndexQuery& q, Seq below) {
  Params p(
      q.room, below, arrayText(q.senders), q.since.value_or(std::numeric_limits<Millis>::min()),
      q.until.value_or(std::numeric_limits<Millis>::max()), q.reply_only, arrayText(q.none_of));
  for (const auto& t : q.all_of) {
    std::vector<SearchToken> all = t.exact;
    all.insert(all.end(), t.fuzzy.begin(), t.fuzzy.end());
    p.add(arrayText(all));
  }
  return p;
}

}  // namespace

Task<Result<Seq>> watermark(PgConn& c, RoomId room) {
  const Params p(room);
  auto r = co_await c.query("SELECT seq FROM search_watermarks WHERE room_id = $1", p);
  if (!r) co_return r.error();
  co_return r->rows() == 0 ? Seq{0} : r->int64(0, 0);
}

Task<Status> apply(PgConn& c, const IndexBatch& b) {
  if (b.to < b.from) co_return makeError(Code::conflict, "search index: the watermark moved");
  std::vector<Seq> touched = b.remove;
  for (const auto& m : b.put) touched.push_back(m.seq);
  const Params p(b.room, b.from, b.to, arrayText(b.remove), putJson(b.put), arrayText(touched),
                 vocabularyJson(b.put));
  std::vector<Statement> both{{kApply, p}, {kForgetWords, Params(b.room)}};
  auto r = co_await c.pipeline(both);
  if (!r) co_return r.error();
  if ((*r)[0].int64(0, 0) == 0) {
    co_return makeError(Code::conflict, "search index: the room's watermark moved");
  }
  co_return Status{};
}

Task<Result<std::vector<IndexHit>>> search(PgConn& c, const IndexQuery& q) {
  std::vector<IndexHit> out;
  if (q.all_of.empty() || q.limit <= 0) co_return out;
  Params p = whereParams(q, q.below);
  std::string score = "0";
  int n = 8 + static_cast<int>(q.all_of.size());
  for (const auto& t : q.all_of) {
    score += " + (tokens && $" + std::to_string(n++) + "::text::bigint[])::int";
    p.add(arrayText(t.exact));
  }
  p.add(static_cast<std::int64_t>(q.limit));
  const std::string sql = "SELECT seq, sender, at, " + score + whereClause(q.all_of.size()) +
                          " ORDER BY seq DESC LIMIT $" + std::to_string(n);
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(
        {r->int64(i, 0), r->int64(i, 1), r->int64(i, 2), static_cast<int>(r->int64(i, 3))});
  }
  co_return out;
}

Task<Result<std::int64_t>> count(PgConn& c, const IndexQuery& q, std::int64_t cap) {
  if (q.all_of.empty()) co_return std::int64_t{0};
  Params p = whereParams(q, kSeqMax);
  p.add(cap);
  const std::string sql = "SELECT count(*) FROM (SELECT 1" + whereClause(q.all_of.size()) +
                          " LIMIT $" + std::to_string(8 + q.all_of.size()) + ") t";
  auto r = co_await c.query(sql.c_str(), p);
  if (!r) co_return r.error();
  co_return r->int64(0, 0);
}

Task<Result<std::vector<SuggestHit>>> suggest(PgConn& c, const SuggestQuery& q) {
  std::vector<SuggestHit> out;
  if (q.prefixes.empty() || q.limit <= 0) co_return out;
  // Rooms and tokens as two lists: a token is keyed per room, so one from another room's
  // list matches only by a 64-bit collision, which the service's check of the opened word
  // drops.
  std::vector<RoomId> rooms;
  std::vector<SearchToken> tokens;
  for (const auto& [room, token] : q.prefixes) {
    rooms.push_back(room);
    tokens.push_back(token);
  }
  const Params p(arrayText(rooms), arrayText(tokens), static_cast<std::int64_t>(q.limit));
  auto r = co_await c.query(
      "SELECT room_id, word, sealed, messages FROM search_words"
      " WHERE prefixes && $2::text::bigint[] AND room_id = ANY($1::text::bigint[])"
      " AND messages > 0 ORDER BY messages DESC LIMIT $3",
      p);
  if (!r) co_return r.error();
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back({r->int64(i, 0), r->int64(i, 1), r->text(i, 2), r->int64(i, 3)});
  }
  co_return out;
}

Task<Status> dropRoom(PgConn& c, RoomId room) {
  const Params p(room);
  std::vector<Statement> both{{"DELETE FROM search_messages WHERE room_id = $1", p},
                              {"DELETE FROM search_words WHERE room_id = $1", p},
                              {"DELETE FROM search_watermarks WHERE room_id = $1", p}};
  auto r = co_await c.pipeline(both);
  if (!r) co_return r.error();
  co_return Status{};
}

}  // namespace parley::postgres::search_ops
