// parseObject with the depth limits the API uses, then the typed field readers on whatever
// parsed.
#include <boost/json/value.hpp>
#include <cstdint>
#include <string_view>

#include "api/json_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (int depth : {1, 8, 32}) {
    auto o = parley::api::parseObject(text, depth);
    if (!o) {
      (void)parley::api::errorBody(o.error());
      continue;
    }
    for (std::string_view key : {"type", "text", "room", "id", "client_msg_id", "files", ""}) {
      (void)parley::api::optString(*o, key);
      (void)parley::api::optInt(*o, key);
      (void)parley::api::optBool(*o, key);
      (void)parley::api::reqString(*o, key);
      (void)parley::api::reqInt(*o, key);
    }
  }
  return 0;
}
