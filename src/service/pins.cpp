#include "service/pins.h"

#include <boost/json/serialize.hpp>

#include "crypto/random.h"
#include "service/codec.h"

namespace parley {

Task<Result<std::optional<Event>>> PinService::change(const User& user, RoomId room, Seq target,
                                                      bool add) {
  if (auto allowed = co_await messages_.chargeWrite(user.id); !allowed) co_return allowed.error();
  auto member = co_await messages_.requireMember(room, user.id);
  if (!member) co_return member.error();

  AppendRequest req;
  req.room_id = room;
  req.kind = add ? EventKind::pin : EventKind::unpin;
  req.event_id = crypto::newEventId();
  req.sender = user.id;
  req.target = target;
  req.now = clock_.now();
  req.max_pins = limits_.max_pins;
  auto appended = co_await store_.append(std::move(req));
  if (!appended) co_return appended.error();
  if (appended->duplicate) co_return std::optional<Event>{};

  // The event alone goes to the cache and the bus: a pin changes no message's copy.
  co_await cache_.appendEvent(appended->event);
  Event e{std::move(appended->event), "", user.username, {}};
  messages_.publish(e);
  co_return std::optional<Event>{std::move(e)};
}

Task<Result<std::string>> PinService::listJson(UserId user, RoomId room) {
  auto member = co_await messages_.requireMember(room, user);
  if (!member) co_return member.error();
  auto pins = co_await store_.pins(room);
  if (!pins) co_return pins.error();
  std::vector<StoredEvent> messages;
  messages.reserve(pins->size());
  for (const Pin& p : *pins) messages.push_back(p.message);
  auto opened = co_await messages_.openAll(std::move(messages));
  if (!opened) co_return opened.error();
  boost::json::array list;
  for (std::size_t i = 0; i < pins->size(); ++i) {
    const Pin& p = (*pins)[i];
    list.push_back(boost::json::object{{"seq", p.pin_seq},
                                       {"pinned_by", p.pinned_by},
                                       {"pinned_at", p.pinned_at},
                                       {"message", codec::event((*opened)[i])}});
  }
  co_return boost::json::serialize(boost::json::object{{"pins", std::move(list)}});
}

Task<Status> PinService::setNotifications(const User& user, RoomId room, NotifyLevel level,
                                          bool muted) {
  if (auto allowed = co_await messages_.chargeWrite(user.id); !allowed) co_return allowed.error();
  auto member = co_await messages_.requireMember(room, user.id);
  if (!member) co_return member.error();
  co_return co_await store_.setNotifications(room, user.id, level, muted);
}

}  // namespace parley
