// AccountService: profiles (PATCH /me, GET /users/{username}) and finding people
// (GET /users?q=). docs/api.md "Profiles" and "Finding people".
#include <algorithm>

#include "core/log.h"
#include "service/accounts.h"
#include "service/envelope.h"
#include "service/frames.h"

namespace parley {

namespace {

Error limited(std::string message, Millis retry_after_ms) {
  Error e{Code::rate_limited, std::move(message)};
  e.retry_after_s = std::max(1, static_cast<int>(retry_after_ms / 1000));
  return e;
}

// The names of the fields that differ, for the audit row (values stay out of the trail).
std::string changedFields(const Profile& before, const Profile& after) {
  std::string out;
  auto note = [&out](const std::string& a, const std::string& b, const char* name) {
    if (a == b) return;
    if (!out.empty()) out += ", ";
    out += name;
  };
  note(before.display_name, after.display_name, "display_name");
  note(before.status_text, after.status_text, "status_text");
  note(before.status_emoji, after.status_emoji, "status_emoji");
  note(before.time_zone, after.time_zone, "time_zone");
  return out;
}

constexpr int kPeoplePageDefault = 20;
constexpr int kPeoplePageMax = 50;

}  // namespace

Task<Result<Profile>> AccountService::myProfile(const AuthContext& ctx) {
  co_return co_await store_.profileOf(ctx.user.id);
}

// One answer for "no such user" and "not visible to you" (docs/security.md): the same error,
// built the same way, after the same reads a visible miss would not make, so only timing
// could tell them apart.
Task<Result<Profile>> AccountService::profileOf(const AuthContext& ctx, std::string username) {
  auto user = co_await userByName(std::move(username));
  if (!user) co_return user.error();
  if (limits_.people_search_shared && user->id != ctx.user.id) {
    auto shared = co_await store_.shareRoom(ctx.user.id, user->id);
    if (!shared) co_return shared.error();
    if (!*shared) co_return makeError(Code::not_found, "no such user");
  }
  co_return co_await store_.profileOf(user->id);
}

// Read, patch, write: two patches of one account at once may each keep the other's field
// as it was before (last write wins for the whole profile). The rate limit is counted only
// for a patch that changes something, after it checked out.
Task<Result<Profile>> AccountService::updateProfile(const AuthContext& ctx, ProfilePatch patch) {
  if (auto ok = checkPatch(patch); !ok) co_return ok.error();
  auto current = co_await store_.profileOf(ctx.user.id);
  if (!current) co_return current.error();
  Profile next = *current;
  if (!applyPatch(next, patch)) co_return next;
  const Millis now = clock_.now();
  std::string key = "profile:user:" + std::to_string(ctx.user.id);
  auto hit = co_await cache_.hit(std::move(key), limits_.profile_changes_per_hour, 3'600'000, now);
  if (!hit.allowed)
    co_return limited("too many profile changes; try again later", hit.retry_after_ms);
  next.updated_at = now;
  if (auto put = co_await store_.putProfile(next); !put) co_return put.error();
  AuditEvent e{.user_id = ctx.user.id,
               .kind = "profile_changed",
               .ip = ctx.session.ip,
               .device = ctx.session.device,
               .detail = changedFields(*current, next),
               .at = now};
  co_await store_.recordAudit(std::move(e));  // best effort, as every audit write
  co_await publishProfile(next);
  co_return next;
}

Task<void> AccountService::publishProfile(const Profile& p) {
  auto payload = encodeEnvelope(Envelope::profile(p.user_id), frames::profile(p));
  bus_.publish(userTopic(p.user_id), payload);
  auto peers = co_await store_.coMembers(p.user_id, limits_.profile_frame_room_limit);
  if (!peers) {
    log::warn("profile_fanout_failed", {{"user", p.user_id}, {"error", peers.error().message}});
    co_return;
  }
  for (UserId u : *peers) {
    if (u != p.user_id) bus_.publish(userTopic(u), payload);
  }
}

// Limited before the query is looked at, so a flood of bad queries costs as much as good ones.
Task<Result<AccountService::PeoplePage>> AccountService::findPeople(const AuthContext& ctx,
                                                                    std::string q,
                                                                    std::string cursor, int limit) {
  std::string key = "people:user:" + std::to_string(ctx.user.id);
  auto hit =
      co_await cache_.hit(std::move(key), limits_.people_search_rate_per_sec, 1000, clock_.now());
  if (!hit.allowed)
    co_return limited("too many searches for people; slow down", hit.retry_after_ms);
  auto prefix = checkPeopleQuery(q);
  if (!prefix) co_return prefix.error();
  // A cursor is the username key of the last one shown: anything else names no position.
  if (!cursor.empty() && (!checkUsername(cursor) || usernameKey(cursor) != cursor)) {
    co_return makeError(Code::bad_request, "cursor is not one this server gave");
  }
  const int n = limit <= 0 ? kPeoplePageDefault : std::min(limit, kPeoplePageMax);
  PeopleQuery query{.prefix = std::move(*prefix),
                    .after = std::move(cursor),
                    .limit = n + 1,
                    .shared_with = limits_.people_search_shared ? ctx.user.id : 0};
  auto found = co_await store_.findPeople(std::move(query));
  if (!found) co_return found.error();
  PeoplePage page{.people = std::move(*found), .next_cursor = {}};
  if (static_cast<int>(page.people.size()) > n) {
    page.people.resize(static_cast<std::size_t>(n));
    page.next_cursor = usernameKey(page.people.back().username);
  }
  co_return page;
}

}  // namespace parley
