// Use cases of rooms and membership: create, join, leave, add, remove, roles, direct rooms,
// listings. Every membership change is published on the room's topic (so fan-out stops or
// starts in order with the room's events) and on the member's user topic (so their
// sockets learn of it).
//
// Thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "ports/bus.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "service/event.h"
#include "service/limits.h"
#include "service/messages.h"
#include "service/presence.h"
#include "service/users.h"

namespace parley {

class RoomService {
 public:
  RoomService(Store& store, Bus& bus, MessageService& messages, PresenceService& presence,
              UserDirectory& users, const Clock& clock, const ServiceLimits& limits)
      : store_(store),
        bus_(bus),
        messages_(messages),
        presence_(presence),
        users_(users),
        clock_(clock),
        limits_(limits) {}

  struct Listed {
    RoomSummary summary;
    std::optional<Event> last_message;
    std::optional<User> peer;  // direct rooms: the other member
  };
  Task<Result<std::vector<Listed>>> list(const User& me);
  Task<Result<Room>> create(const User& me, std::string name, std::string topic, bool is_public);
  Task<Result<std::vector<Room>>> publicRooms();
  // Every room `user` is a member of, with its last seq: what a WebSocket hello attaches to
  // and replays from.
  Task<Result<std::vector<RoomSummary>>> roomsOf(UserId user);
  // Whether the Store answers (for /readyz): false only if it fails.
  Task<bool> storeReady();

  struct Detail {
    Room room;
    std::vector<Member> members;  // one page, ascending by user id
    std::vector<bool> online;     // per member of the page
    std::int64_t member_count = 0;
    bool live_presence = false;  // the room carries live presence frames
    bool has_more = false;       // members with a higher id than the page's last exist
  };
  static constexpr int kMembersPageMax = 1000;
  // The room and one page of its members (user id > `after`, at most `limit`, clamped to
  // 1..kMembersPageMax), each with whether they are online now; members only.
  Task<Result<Detail>> get(const User& me, RoomId room, UserId after = 0,
                           int limit = kMembersPageMax);
  Task<Result<Room>> join(const User& me, RoomId room);
  Task<Status> leave(const User& me, RoomId room);
  Task<Result<Member>> addMember(const User& me, RoomId room, std::string username);
  Task<Status> removeMember(const User& me, RoomId room, UserId user);
  Task<Result<Member>> setRole(const User& me, RoomId room, UserId user, std::string role);
  // not_found "no such user" also for someone the caller may not see (--people-search
  // shared and no room in common).
  Task<Result<Room>> direct(const User& me, std::string username);

  // Adds a new account to the room its sign-up invite named (room_invites.cpp): the invite
  // is the authority (an admin who could add people to it made it). A room gone meanwhile,
  // or no longer a group room, is skipped (not_found), the account stays.
  Task<Status> admitInvited(const User& user, RoomId room);

  // Makes `to` the owner of the group room (adding it as a member if it is not one) and
  // every other owner an admin, authorised by the caller (the admin console, admin_rooms.h).
  // Returns the new owner's membership and the names of the owners it replaced. not_found
  // "no such room" for a room that does not exist; conflict for a direct room.
  struct HandOver {
    Member owner;
    std::vector<std::string> previous;
  };
  Task<Result<HandOver>> handOver(RoomId room, const User& to);

 private:
  Task<Result<Room>> groupRoom(RoomId room);
  // `peer`: for a direct room, the other member, shown in the room_added frame.
  void publishJoined(const Room& room, UserId user, const std::string& username, Role role,
                     const User* peer = nullptr);
  void publishGone(RoomId room, UserId user, const std::string& username, std::string_view action);

  Store& store_;
  Bus& bus_;
  MessageService& messages_;
  PresenceService& presence_;
  UserDirectory& users_;
  const Clock& clock_;
  const ServiceLimits& limits_;
};

}  // namespace parley
