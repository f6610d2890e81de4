// decodeEnvelope on arbitrary payloads; what decodes re-encodes to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "service/envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto payload = std::make_shared<const std::string>(reinterpret_cast<const char*>(data), size);
  auto item = parley::decodeEnvelope(payload);
  if (!item) return 0;
  if (item->offset > size) std::abort();
  const std::string_view frame = item->frame();
  auto again = parley::decodeEnvelope(parley::encodeEnvelope(item->env, frame));
  if (!again || again->env.kind != item->env.kind || again->env.room != item->env.room ||
      again->env.seq != item->env.seq || again->env.user != item->env.user ||
      again->frame() != frame)
    std::abort();  // decode(encode(x)) must give x back
  return 0;
}
