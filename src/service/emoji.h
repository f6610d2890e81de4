// Which reactions exist: one emoji (a single user-perceived character made of emoji code
// points, as Unicode's emoji properties say), or a shortcode from a short allow-list
// (docs/api.md "Reactions"). Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley {

// The emoji a reaction is stored under, or nullopt when `raw` names none: `raw` is either
// one emoji (at most 32 bytes of UTF-8: code points with the Emoji or Emoji_Component
// property, one grapheme, shown as an emoji by default or with U+FE0F), returned as given,
// or a shortcode ("tada", ":tada:") from the allow-list, returned as its emoji.
std::optional<std::string> canonicalEmoji(std::string_view raw);

}  // namespace parley
