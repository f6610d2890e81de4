#include "service/rooms.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <unordered_set>

#include "service/codec.h"
#include "service/envelope.h"
#include "service/frames.h"

namespace parley {

namespace json = boost::json;

namespace {

// The Store refuses to leave a group room that has members without an owner (a conflict):
// nobody could ever change a role there again.
Status ownerKept(Status changed) {
  if (changed || changed.error().code != Code::conflict) return changed;
  return makeError(Code::conflict,
                   "the last owner cannot leave or step down while the room has other members; "
                   "make another member owner first");
}

}  // namespace

void RoomService::publishJoined(const Room& room, UserId user, const std::string& username,
                                Role role, const User* peer) {
  bus_.publish(roomTopic(room.id),
               encodeEnvelope(Envelope::member(room.id, user),
                              frames::memberJoined(room.id, user, username, role)));
  bus_.publish(userTopic(user), encodeEnvelope(Envelope::roomAdded(room.id, room.last_seq, user),
                                               frames::roomAdded(room, role, peer)));
}

void RoomService::publishGone(RoomId room, UserId user, const std::string& username,
                              std::string_view action) {
  bus_.publish(roomTopic(room), encodeEnvelope(Envelope::memberGone(room, user),
                                               frames::memberGone(room, user, username, action)));
  bus_.publish(userTopic(user),
               encodeEnvelope(Envelope::roomRemoved(room, user), frames::roomRemoved(room)));
}

Task<Result<std::vector<RoomService::Listed>>> RoomService::list(const User& me) {
  auto rooms = co_await store_.roomsOf(me.id);
  if (!rooms) co_return rooms.error();
  std::vector<Listed> out;
  for (auto& s : *rooms) {
    Listed l{std::move(s), std::nullopt, std::nullopt};
    if (l.summary.last_message) {
      auto e = co_await messages_.open(*l.summary.last_message);
      if (e) l.last_message = std::move(*e);
    }
    if (l.summary.room.kind == RoomKind::direct) {
      auto members = co_await store_.members(l.summary.room.id);
      if (members) {
        for (auto& m : *members) {
          if (m.user_id != me.id) l.peer = User{m.user_id, m.username, "", 0, false};
        }
      }
    }
    out.push_back(std::move(l));
  }
  co_return out;
}

Task<Result<Room>> RoomService::create(const User& me, std::string name, std::string topic,
                                       bool is_public) {
  if (name.empty() || name.size() > limits_.max_room_name) {
    co_return makeError(Code::bad_request, "name must be 1 to 100 bytes");
  }
  if (topic.size() > limits_.max_topic) {
    co_return makeError(Code::bad_request, "topic must be at most 1000 bytes");
  }
  NewRoom r{RoomKind::group, std::move(name), std::move(topic), is_public, me.id, clock_.now()};
  auto room = co_await store_.createRoom(std::move(r));
  if (!room) co_return room.error();
  publishJoined(*room, me.id, me.username, Role::owner);
  co_return room;
}

Task<Result<std::vector<Room>>> RoomService::publicRooms() {
  co_return co_await store_.publicRooms(200);
}

Task<Result<std::vector<RoomSummary>>> RoomService::roomsOf(UserId user) {
  co_return co_await store_.roomsOf(user);
}

Task<bool> RoomService::storeReady() {
  auto probe = co_await store_.roomById(0);
  co_return probe || probe.error().code == Code::not_found;
}

Task<Result<RoomService::Detail>> RoomService::get(const User& me, RoomId room, UserId after,
                                                   int limit) {
  auto member = co_await messages_.requireMember(room, me.id);
  if (!member) co_return member.error();
  auto r = co_await store_.roomById(room);
  if (!r) co_return r.error();
  auto count = co_await store_.memberCount(room);
  if (!count) co_return count.error();
  limit = std::clamp(limit, 1, kMembersPageMax);
  auto members = co_await store_.membersPage(room, after, limit + 1);
  if (!members) co_return members.error();
  Detail d;
  d.has_more = static_cast<int>(members->size()) > limit;
  if (d.has_more) members->resize(static_cast<std::size_t>(limit));
  // Presence of the whole page in one Cache round trip (one pipelined batch on Redis).
  std::vector<UserId> ids;
  ids.reserve(members->size());
  for (auto& m : *members) ids.push_back(m.user_id);
  auto online = co_await presence_.onlineAmong(ids);
  std::unordered_set<UserId> on(online.begin(), online.end());
  d.online.reserve(ids.size());
  for (UserId id : ids) d.online.push_back(on.count(id) != 0);
  d.member_count = *count;
  d.live_presence = presence_.live(r->kind, *count);
  d.room = std::move(*r);
  d.members = std::move(*members);
  co_return d;
}

Task<Result<Room>> RoomService::groupRoom(RoomId room) {
  auto r = co_await store_.roomById(room);
  if (!r) co_return r.error();
  if (r->kind != RoomKind::group) {
    co_return makeError(Code::forbidden, "direct rooms cannot be joined, left or added to");
  }
  co_return r;
}

Task<Result<Room>> RoomService::join(const User& me, RoomId room) {
  auto r = co_await store_.roomById(room);
  if (!r && r.error().code != Code::not_found) co_return r.error();
  // A private or direct room answers as a missing one: join must not tell them apart.
  if (!r || r->kind != RoomKind::group || !r->is_public) co_return noSuchRoom();
  auto added = co_await store_.addMember(room, me.id, Role::member, clock_.now());
  if (!added) co_return added.error();
  auto fresh = co_await store_.roomById(room);
  if (!fresh) co_return fresh.error();
  publishJoined(*fresh, me.id, me.username, Role::member);
  co_await presence_.introduce(room, me.id);
  co_return fresh;
}

Task<Status> RoomService::leave(const User& me, RoomId room) {
  auto member = co_await messages_.requireMember(room, me.id);
  if (!member) co_return member.error();
  auto r = co_await groupRoom(room);
  if (!r) co_return r.error();
  auto removed = co_await store_.removeMember(room, me.id);
  removed = ownerKept(std::move(removed));
  if (!removed) co_return removed.error();
  publishGone(room, me.id, me.username, "left");
  co_return Status{};
}

Task<Result<Member>> RoomService::addMember(const User& me, RoomId room, std::string username) {
  auto actor = co_await messages_.requireMember(room, me.id);
  if (!actor) co_return actor.error();
  auto r = co_await groupRoom(room);
  if (!r) co_return r.error();
  if (!r->is_public && actor->role == Role::member) {
    co_return makeError(Code::forbidden, "only owners and admins may add to a private room");
  }
  auto user = co_await store_.userByName(std::move(username));
  if (!user)
    co_return user.error().code == Code::not_found ? makeError(Code::not_found, "no such user")
                                                   : user.error();
  auto added = co_await store_.addMember(room, user->id, Role::member, clock_.now());
  if (!added) co_return added.error();
  added->username = user->username;
  auto fresh = co_await store_.roomById(room);
  if (!fresh) co_return fresh.error();
  publishJoined(*fresh, user->id, user->username, Role::member);
  co_await presence_.introduce(room, user->id);
  co_return added;
}

Task<Status> RoomService::removeMember(const User& me, RoomId room, UserId user) {
  auto actor = co_await messages_.requireMember(room, me.id);
  if (!actor) co_return actor.error();
  auto r = co_await groupRoom(room);
  if (!r) co_return r.error();
  auto target = co_await store_.member(room, user);
  if (!target) co_return target.error();
  if (user != me.id && (actor->role == Role::member || target->role >= actor->role)) {
    co_return makeError(Code::forbidden, "you may only remove members of a lower role");
  }
  auto removed = co_await store_.removeMember(room, user);
  removed = ownerKept(std::move(removed));
  if (!removed) co_return removed.error();
  std::string name = co_await users_.name(user);
  publishGone(room, user, name, user == me.id ? "left" : "removed");
  co_return Status{};
}

Task<Result<Member>> RoomService::setRole(const User& me, RoomId room, UserId user,
                                          std::string role) {
  auto parsed = roleFromString(role);
  if (!parsed) co_return makeError(Code::bad_request, "role must be owner, admin or member");
  auto actor = co_await messages_.requireMember(room, me.id);
  if (!actor) co_return actor.error();
  if (actor->role != Role::owner)
    co_return makeError(Code::forbidden, "only an owner may change roles");
  // An owner makes others owners (and so hands the room on), and may step down; another
  // owner's role is theirs to change, as removal goes only to lower roles.
  if (user != me.id) {
    auto target = co_await store_.member(room, user);
    if (!target) co_return target.error();
    if (target->role == Role::owner)
      co_return makeError(Code::forbidden, "only an owner may change their own role");
  }
  auto set = co_await store_.setRole(room, user, *parsed);
  set = ownerKept(std::move(set));
  if (!set) co_return set.error();
  auto m = co_await store_.member(room, user);
  if (!m) co_return m.error();
  bus_.publish(roomTopic(room),
               encodeEnvelope(Envelope::member(room, user),
                              frames::memberRole(room, user, m->username, m->role)));
  co_return m;
}

Task<Result<Room>> RoomService::direct(const User& me, std::string username) {
  auto peer = co_await store_.userByName(std::move(username));
  if (!peer)
    co_return peer.error().code == Code::not_found ? makeError(Code::not_found, "no such user")
                                                   : peer.error();
  if (peer->id == me.id) co_return makeError(Code::bad_request, "a direct room needs another user");
  // --people-search shared: someone the caller may not see is someone who does not exist
  // (docs/api.md "Finding people"); an existing direct room is shared already.
  if (limits_.people_search_shared) {
    auto shared = co_await store_.shareRoom(me.id, peer->id);
    if (!shared) co_return shared.error();
    if (!*shared) co_return makeError(Code::not_found, "no such user");
  }
  auto room = co_await store_.directRoom(me.id, peer->id, clock_.now());
  if (!room) co_return room.error();
  // Idempotent for the receivers: a connection that already has the room ignores it.
  publishJoined(*room, me.id, me.username, Role::member, &*peer);
  publishJoined(*room, peer->id, peer->username, Role::member, &me);
  co_await presence_.introduce(room->id, peer->id);
  co_return room;
}

}  // namespace parley
