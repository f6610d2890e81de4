// Mentions in a message's text (docs/api.md "Mentions"): `@username`, `@room`, `@here`.
//
// Pure and thread-safe. The text is the plaintext the sender typed; only what parse returns
// (names and two flags) goes to the Store, which keeps the members they name (ids) in the
// clear beside the sealed body.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::mentions {

struct Parsed {
  // Distinct usernames as usernameKey has them (lower case), in order of first use, at
  // most kMaxMentionNames (store.h); later ones are ignored.
  std::vector<std::string> names;
  bool room = false;  // @room
  bool here = false;  // @here
};

// An `@` starts a mention when it begins the text or follows a character that cannot be
// part of a name or an address (so `a@b.example` is not one); the name is the longest run
// of `A-Z a-z 0-9 _ . -` after it, without trailing `.`, `-` or `_` (so "@bob." names bob),
// and must be 3 to 32 characters (the username rules). `@room` and `@here` (any case) are
// the two room-wide mentions, never usernames. Nothing inside inline code (a run of
// backticks up to the same run) or a fenced code block (a line opening with ``` or ~~~,
// up to a line closing it with at least as many of the same character, or the end) counts.
Parsed parse(std::string_view text);

}  // namespace parley::mentions
