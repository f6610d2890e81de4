#include "service/message_body.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/sealer.h"
#include "crypto/secret_bytes.h"
#include "service/codec.h"

namespace parley {

namespace json = boost::json;

std::string messageWithFilesAd(RoomId room, std::string_view event_id, std::uint32_t key_version) {
  return fmt::format("parley/msg-files/v1|{}|{}|{}", room, event_id, key_version);
}

std::string sealMessageBody(std::string_view key, RoomId room, std::string_view event_id,
                            std::uint32_t key_version, const MessageBody& body) {
  if (body.files.empty()) {
    return crypto::seal(key, crypto::messageAd(room, event_id, key_version), body.text);
  }
  json::array files;
  for (const auto& f : body.files) files.push_back(codec::file(f));
  std::string plain = json::serialize(json::object{{"text", body.text}, {"files", files}});
  std::string sealed = crypto::seal(key, messageWithFilesAd(room, event_id, key_version), plain);
  crypto::wipe(plain);
  return sealed;
}

Result<MessageBody> openMessageBody(std::string_view key, RoomId room, std::string_view event_id,
                                    std::uint32_t key_version, std::string_view sealed) {
  auto text = crypto::open(key, crypto::messageAd(room, event_id, key_version), sealed);
  if (text) return MessageBody{std::move(*text), {}};
  auto plain = crypto::open(key, messageWithFilesAd(room, event_id, key_version), sealed);
  if (!plain) return plain.error();
  // Sealed by this server: a body that opens but does not parse is a bug, not an attack.
  boost::system::error_code ec;
  json::value v = json::parse(*plain, ec);
  crypto::wipe(*plain);
  if (ec || !v.is_object()) return makeError(Code::internal, "message body does not parse");
  const json::object& o = v.get_object();
  MessageBody body;
  auto file_list = codec::filesFrom(o.if_contains("files"));
  if (!file_list) return file_list.error();
  body.files = std::move(*file_list);
  if (auto t = o.if_contains("text"); t && t->is_string()) body.text = std::string(t->get_string());
  return body;
}

}  // namespace parley
