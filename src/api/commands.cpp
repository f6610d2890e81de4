#include "api/commands.h"

#include "api/json_input.h"

namespace parley::api {

Result<SendCommand> parseSend(const boost::json::object& o) {
  auto cmid = reqString(o, "client_msg_id");
  if (!cmid) return cmid.error();
  auto text = optString(o, "text");
  if (!text) return text.error();
  auto reply_to = optInt(o, "reply_to");
  if (!reply_to) return reply_to.error();
  auto files = optStringList(o, "files");
  if (!files) return files.error();
  auto thread_root = optInt(o, "thread_root");
  if (!thread_root) return thread_root.error();
  return SendCommand{std::move(*cmid), text->value_or(""), reply_to->value_or(0), std::move(*files),
                     thread_root->value_or(0)};
}

}  // namespace parley::api
