#include "service/presence.h"

#include <boost/json/serialize.hpp>

#include "service/codec.h"
#include "service/envelope.h"

namespace parley {

namespace json = boost::json;

Task<void> PresenceService::changed(UserId user, const std::string& username, bool online) {
  auto co = co_await store_.coMembers(user);
  if (!co) co_return;
  std::string frame = json::serialize(json::object{
      {"type", "presence"}, {"user", codec::user(user, username)}, {"online", online}});
  auto payload = encodeEnvelope({FrameKind::presence, 0, 0, user}, frame);
  for (UserId to : *co) bus_.publish(userTopic(to), payload);
}

Task<std::vector<std::string>> PresenceService::snapshot(UserId user) {
  std::vector<std::string> frames;
  auto co = co_await store_.coMembers(user);
  if (!co) co_return frames;
  for (UserId other : *co) {
    if (!hub_.isOnline(other)) continue;
    auto who = co_await store_.userById(other);
    if (!who) continue;
    frames.push_back(json::serialize(json::object{
        {"type", "presence"}, {"user", codec::user(other, who->username)}, {"online", true}}));
  }
  co_return frames;
}

}  // namespace parley
