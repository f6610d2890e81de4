// parseQuery on arbitrary bytes: never crashes; an error points inside the query (or at its
// bound); a parse keeps within the bounds and its terms' offsets lie inside the query.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "search/query.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley::search;
  const std::string_view q(reinterpret_cast<const char*>(data), size);
  auto r = parseQuery(q);
  if (auto* e = std::get_if<QueryError>(&r)) {
    if (e->what.empty() || e->offset > std::max(size, kMaxQueryBytes)) std::abort();
    return 0;
  }
  const auto& p = std::get<ParsedQuery>(r);
  if (size > kMaxQueryBytes || p.terms.size() > kMaxQueryTerms) std::abort();
  for (const auto& t : p.terms) {
    if (t.offset >= size || t.text.size() > size) std::abort();
  }
  return 0;
}
