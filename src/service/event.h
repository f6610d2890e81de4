// A timeline event with its body opened: what clients see. Lives only in memory.
#pragma once

#include <string>

#include "domain/types.h"

namespace parley {

struct Event {
  StoredEvent meta;  // sealed_body is cleared once opened
  std::string text;
  std::string sender_name;
};

// An authenticated caller: who, and through which session.
struct AuthContext {
  User user;
  Session session;
};

}  // namespace parley
