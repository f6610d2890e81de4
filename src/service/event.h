// A timeline event with its body opened: what clients see. Lives only in memory.
#pragma once

#include <string>
#include <vector>

#include "domain/types.h"

namespace parley {

// A file as clients see it: the record with its name opened.
struct FileView {
  FileRecord record;  // sealed_name is cleared once opened
  std::string name;
};

struct Event {
  StoredEvent meta;  // sealed_body is cleared once opened
  std::string text;
  std::string sender_name;
  std::vector<FileView> files;  // a message's attachments, as they were when it was sent
};

// An authenticated caller: who, and through which session.
struct AuthContext {
  User user;
  Session session;
};

}  // namespace parley
