// Reactions: Store::append of kind react/unreact through parley_react (schema step 9, one
// statement that locks the target, changes the reaction row, rewrites the aggregate and
// appends the event), and Store::reactionsBy.
#include "adapters/postgres/ops.h"
#include "adapters/postgres/rows.h"

namespace parley::postgres::ops {

namespace {

constexpr const char* kReact =
    "SELECT r_outcome, r_seq, r_reactions FROM parley_react($1, $2, $3, $4, $5, $6, $7, $8, $9, "
    "$10)";

constexpr const char* kReactionsBy = R"sql(
SELECT seq, emoji FROM reactions
WHERE room_id = $1 AND user_id = $2 AND seq >= $3 AND seq <= $4 ORDER BY seq, id)sql";

}  // namespace

Task<Result<AppendResult>> changeReaction(PgConn& c, const AppendRequest& r) {
  const bool add = r.kind == EventKind::react;
  const Params p(r.room_id, r.target, r.sender, r.emoji, add, r.max_emoji, r.event_id, r.now,
                 r.key_version, Bytes{r.sealed_body});
  auto res = co_await c.query(kReact, p);
  if (!res) co_return res.error();
  if (res->rows() != 1) co_return makeError(Code::internal, "postgres: parley_react gave no row");
  const std::string outcome = res->text(0, 0);
  if (outcome == "ok") {
    StoredEvent e = storedEventOf(r, res->int64(0, 1));
    e.reactions = res->text(0, 2);
    co_return AppendResult{.event = std::move(e), .duplicate = false};
  }
  // As MessageService::requireMember words them: a private room is not revealed.
  if (outcome == "not_member") co_return makeError(Code::not_member, "not a member of this room");
  if (outcome == "no_room") co_return makeError(Code::not_found, "no such room");
  if (outcome == "no_message") co_return makeError(Code::not_found, "no such message");
  if (outcome == "too_many") {
    co_return makeError(Code::conflict, "this message has as many different reactions as it may");
  }
  // unchanged: the answer is the target as it stands.
  auto target = co_await eventAt(c, r.room_id, r.target);
  if (!target) co_return target.error();
  co_return AppendResult{.event = std::move(*target), .duplicate = true};
}

Task<Result<std::vector<std::pair<Seq, std::string>>>> reactionsBy(PgConn& c, RoomId room,
                                                                   UserId user, Seq from, Seq to) {
  const Params p(room, user, from, to);
  auto res = co_await c.query(kReactionsBy, p);
  if (!res) co_return res.error();
  std::vector<std::pair<Seq, std::string>> out;
  for (int i = 0; i < res->rows(); ++i) out.emplace_back(res->int64(i, 0), res->text(i, 1));
  co_return out;
}

}  // namespace parley::postgres::ops
