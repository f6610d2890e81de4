#include "service/profile_fields.h"

#include <unicode/ucal.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include <utility>

#include "service/emoji.h"

namespace parley {

namespace {

Error bad(std::string message) { return makeError(Code::invalid_profile, std::move(message)); }

// Characters that reorder, break or hide text: C0/C1 controls, line and paragraph
// separators, and the bidirectional embeddings, overrides and isolates (name spoofing).
bool isControl(UChar32 c) {
  const auto type = u_charType(c);
  return type == U_CONTROL_CHAR || type == U_LINE_SEPARATOR || type == U_PARAGRAPH_SEPARATOR ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

// `raw` trimmed of Unicode white space at both ends, or invalid_profile if it is not UTF-8,
// holds a control character, or has more than `max` code points once trimmed.
Result<std::string> checkText(std::string_view raw, const char* field, std::size_t max) {
  const std::string too_long =
      std::string(field) + " must be at most " + std::to_string(max) + " characters";
  if (raw.size() > 4 * max + 256) return bad(too_long);  // beyond any trimmed length
  const auto n = static_cast<std::int32_t>(raw.size());
  std::int32_t begin = -1;  // byte offset of the first non-space code point
  std::int32_t end = 0;     // byte offset just after the last non-space code point
  for (std::int32_t i = 0; i < n;) {
    const std::int32_t at = i;
    UChar32 c = 0;
    U8_NEXT(raw.data(), i, n, c);
    if (c < 0) return bad(std::string(field) + " is not valid UTF-8");
    if (isControl(c)) return bad(std::string(field) + " must not contain control characters");
    if (u_isUWhiteSpace(c)) continue;
    if (begin < 0) begin = at;
    end = i;
  }
  if (begin < 0) return std::string();
  // Code points between begin and end: the non-space ones counted, plus inner spaces.
  std::size_t count = 0;
  for (std::int32_t i = begin; i < end; ++count) U8_FWD_1(raw.data(), i, end);
  if (count > max) return bad(too_long);
  return std::string(
      raw.substr(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin)));
}

std::u16string toUtf16(std::string_view s) {
  std::u16string out(s.size(), u'\0');
  std::int32_t len = 0;
  UErrorCode err = U_ZERO_ERROR;
  u_strFromUTF8(reinterpret_cast<UChar*>(out.data()), static_cast<std::int32_t>(out.size()), &len,
                s.data(), static_cast<std::int32_t>(s.size()), &err);
  if (U_FAILURE(err)) return {};
  out.resize(static_cast<std::size_t>(len));
  return out;
}

std::string toUtf8(const std::u16string& s) {
  std::string out(s.size() * 3, '\0');
  std::int32_t len = 0;
  UErrorCode err = U_ZERO_ERROR;
  u_strToUTF8(out.data(), static_cast<std::int32_t>(out.size()), &len,
              reinterpret_cast<const UChar*>(s.data()), static_cast<std::int32_t>(s.size()), &err);
  if (U_FAILURE(err)) return {};
  out.resize(static_cast<std::size_t>(len));
  return out;
}

}  // namespace

Result<std::string> checkDisplayName(std::string_view raw) {
  auto text = checkText(raw, "display_name", kDisplayNameMax);
  if (!text) return text;
  if (text->empty()) return bad("display_name must be 1-64 characters (null clears it)");
  return text;
}

Result<std::string> checkStatusText(std::string_view raw) {
  return checkText(raw, "status_text", kStatusTextMax);
}

Result<std::string> checkStatusEmoji(std::string_view raw) {
  auto emoji = canonicalEmoji(raw);
  if (!emoji) return bad("status_emoji must be one emoji (null clears it)");
  return *emoji;
}

Result<std::string> checkTimeZone(std::string_view raw) {
  const Error not_zone = bad("time_zone must be an IANA time zone name, like Europe/Paris");
  auto ok_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '/' || c == '-' || c == '+';
  };
  if (raw.empty() || raw.size() > kTimeZoneMax) return not_zone;
  for (char c : raw) {
    if (!ok_char(c)) return not_zone;
  }
  const std::u16string id = toUtf16(raw);
  UChar canonical[128];
  UBool is_system = false;
  UErrorCode err = U_ZERO_ERROR;
  ucal_getCanonicalTimeZoneID(reinterpret_cast<const UChar*>(id.data()),
                              static_cast<std::int32_t>(id.size()), canonical, 128, &is_system,
                              &err);
  // Not a system zone: a custom "GMT+05:00" that ICU accepts but IANA does not name.
  if (U_FAILURE(err) || !is_system) return not_zone;
  return std::string(raw);
}

Result<std::string> checkPeopleQuery(std::string_view q) {
  auto text = checkText(q, "q", kPeopleQueryMax);
  if (!text) return text;
  return foldForSearch(*text);
}

Status checkPatch(ProfilePatch& patch) {
  using Check = Result<std::string> (*)(std::string_view);
  const std::pair<std::optional<std::optional<std::string>>*, Check> fields[] = {
      {&patch.display_name, &checkDisplayName},
      {&patch.status_text, &checkStatusText},
      {&patch.status_emoji, &checkStatusEmoji},
      {&patch.time_zone, &checkTimeZone},
  };
  for (auto& [field, check] : fields) {
    if (!*field || !**field) continue;  // unchanged, or cleared
    auto value = check(***field);
    if (!value) return value.error();
    **field = std::move(*value);
  }
  return {};
}

std::string foldForSearch(std::string_view text) {
  const std::u16string in = toUtf16(text);
  UErrorCode err = U_ZERO_ERROR;
  const UNormalizer2* nfkc = unorm2_getNFKCInstance(&err);
  if (U_FAILURE(err)) return {};
  std::u16string norm(in.size() * 4 + 16, u'\0');
  const std::int32_t nlen = unorm2_normalize(
      nfkc, reinterpret_cast<const UChar*>(in.data()), static_cast<std::int32_t>(in.size()),
      reinterpret_cast<UChar*>(norm.data()), static_cast<std::int32_t>(norm.size()), &err);
  if (U_FAILURE(err)) return {};
  std::u16string folded(static_cast<std::size_t>(nlen) * 3 + 16, u'\0');
  const std::int32_t flen = u_strFoldCase(
      reinterpret_cast<UChar*>(folded.data()), static_cast<std::int32_t>(folded.size()),
      reinterpret_cast<const UChar*>(norm.data()), nlen, U_FOLD_CASE_DEFAULT, &err);
  if (U_FAILURE(err)) return {};
  folded.resize(static_cast<std::size_t>(flen));
  return toUtf8(folded);
}

bool applyPatch(Profile& p, const ProfilePatch& patch) {
  bool changed = false;
  auto apply = [&changed](std::string& field, const std::optional<std::optional<std::string>>& to) {
    if (!to) return;
    std::string next = to->value_or("");
    if (next == field) return;
    field = std::move(next);
    changed = true;
  };
  apply(p.display_name, patch.display_name);
  apply(p.status_text, patch.status_text);
  apply(p.status_emoji, patch.status_emoji);
  apply(p.time_zone, patch.time_zone);
  p.display_key = foldForSearch(p.display_name);
  return changed;
}

}  // namespace parley
