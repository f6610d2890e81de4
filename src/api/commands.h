// Client commands that arrive both as REST bodies and as WebSocket frames, parsed once so
// that a field means the same thing, with the same documented error, on either path.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace parley::api {

// POST /rooms/{id}/messages and the "send" frame (docs/api.md, docs/protocol.md).
struct SendCommand {
  std::string client_msg_id;
  std::string text;           // missing: empty (a message of files only)
  std::int64_t reply_to = 0;  // missing: 0, not a reply
  std::vector<std::string> files;
  std::int64_t thread_root = 0;  // missing: 0, the main timeline
};

// bad_request naming the first bad field, in the order client_msg_id, text, reply_to, files,
// thread_root.
// The room is not read here: REST takes it from the path, WebSocket from the frame.
Result<SendCommand> parseSend(const boost::json::object& o);

}  // namespace parley::api
