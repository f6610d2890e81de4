// The one answer about a room the caller may not see (private or direct, and not theirs):
// byte-identical to the answer about a room that does not exist, on every route and frame
// (docs/api.md, "Errors"), so that nobody learns which room ids exist. Every refusal of
// either kind is made with it; the Store adapters word theirs the same way.
#pragma once

#include "core/error.h"

namespace parley {

inline Error noSuchRoom() { return makeError(Code::not_found, "no such room"); }

}  // namespace parley
