// What a message's sealed body holds. A message without files seals its text alone under
// crypto::messageAd (the original format). A message with files seals
// {"text": ..., "files": [file object...]} under messageWithFilesAd: the associated data says
// which format a body is in, so a client cannot make its text pass for file objects, and
// events carry their files without a lookup per message (the objects never change once
// attached).
//
// Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "service/event.h"

namespace parley {

struct MessageBody {
  std::string text;
  std::vector<FileView> files;
};

// "parley/msg-files/v1|<room_id>|<event_id>|<key_version>".
std::string messageWithFilesAd(RoomId room, std::string_view event_id, std::uint32_t key_version);

std::string sealMessageBody(std::string_view key, RoomId room, std::string_view event_id,
                            std::uint32_t key_version, const MessageBody& body);

// Code::internal "seal check failed" when neither format opens.
Result<MessageBody> openMessageBody(std::string_view key, RoomId room, std::string_view event_id,
                                    std::uint32_t key_version, std::string_view sealed);

}  // namespace parley
