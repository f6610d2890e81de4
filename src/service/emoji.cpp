#include "service/emoji.h"

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include <array>
#include <memory>
#include <utility>
#include <vector>

namespace parley {

namespace {

// The shortcodes a client may send instead of the emoji (GitHub/Slack names).
constexpr std::array<std::pair<std::string_view, std::string_view>, 40> kShortcodes = {{
    {"+1", "👍"},          {"thumbsup", "👍"},
    {"-1", "👎"},          {"thumbsdown", "👎"},
    {"heart", "❤️"},  {"tada", "🎉"},
    {"smile", "😄"},       {"laughing", "😆"},
    {"joy", "😂"},         {"rofl", "🤣"},
    {"wink", "😉"},        {"blush", "😊"},
    {"thinking", "🤔"}, {"eyes", "👀"},
    {"rocket", "🚀"},      {"fire", "🔥"},
    {"clap", "👏"},        {"pray", "🙏"},
    {"ok_hand", "👌"},     {"wave", "👋"},
    {"100", "💯"},         {"white_check_mark", "✅"},
    {"x", "❌"},           {"warning", "⚠️"},
    {"question", "❓"},    {"exclamation", "❗"},
    {"star", "⭐"},        {"sparkles", "✨"},
    {"cry", "😢"},         {"sob", "😭"},
    {"angry", "😠"},       {"scream", "😱"},
    {"sunglasses", "😎"},  {"heart_eyes", "😍"},
    {"muscle", "💪"},      {"raised_hands", "🙌"},
    {"coffee", "☕"},      {"bug", "🐛"},
    {"zap", "⚡"},         {"slightly_smiling_face", "🙂"},
}};

constexpr std::size_t kMaxEmojiBytes = 32;

std::optional<std::string> fromShortcode(std::string_view raw) {
  if (raw.size() >= 2 && raw.front() == ':' && raw.back() == ':')
    raw = raw.substr(1, raw.size() - 2);
  for (const auto& [name, emoji] : kShortcodes) {
    if (name == raw) return std::string(emoji);
  }
  return std::nullopt;
}

// Every code point is an emoji or a part of one, one at least is an emoji (a lone U+FE0F or
// ZWJ is only a part), and the whole is shown as an emoji.
bool emojiCodePoints(std::string_view s, std::u16string& utf16) {
  bool presented = false;
  bool any_emoji = false;
  std::int32_t i = 0;
  const auto n = static_cast<std::int32_t>(s.size());
  while (i < n) {
    UChar32 c = 0;
    U8_NEXT(reinterpret_cast<const std::uint8_t*>(s.data()), i, n, c);
    if (c < 0) return false;  // not UTF-8
    if (!u_hasBinaryProperty(c, UCHAR_EMOJI) && !u_hasBinaryProperty(c, UCHAR_EMOJI_COMPONENT)) {
      return false;
    }
    any_emoji = any_emoji || u_hasBinaryProperty(c, UCHAR_EMOJI);
    presented = presented || u_hasBinaryProperty(c, UCHAR_EMOJI_PRESENTATION) || c == 0xFE0F ||
                u_hasBinaryProperty(c, UCHAR_REGIONAL_INDICATOR);
    if (c > 0xFFFF) {
      utf16.push_back(static_cast<char16_t>(U16_LEAD(c)));
      utf16.push_back(static_cast<char16_t>(U16_TRAIL(c)));
    } else {
      utf16.push_back(static_cast<char16_t>(c));
    }
  }
  return presented && any_emoji;
}

bool oneGrapheme(const std::u16string& s) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<UBreakIterator, decltype(&ubrk_close)> it(
      ubrk_open(UBRK_CHARACTER, "", reinterpret_cast<const UChar*>(s.data()),
                static_cast<std::int32_t>(s.size()), &status),
      &ubrk_close);
  if (U_FAILURE(status) || !it) return false;
  ubrk_first(it.get());
  return ubrk_next(it.get()) == static_cast<std::int32_t>(s.size());
}

}  // namespace

std::optional<std::string> canonicalEmoji(std::string_view raw) {
  if (raw.empty() || raw.size() > kMaxEmojiBytes) return std::nullopt;
  if (auto named = fromShortcode(raw)) return named;
  std::u16string utf16;
  if (!emojiCodePoints(raw, utf16) || !oneGrapheme(utf16)) return std::nullopt;
  return std::string(raw);
}

}  // namespace parley
