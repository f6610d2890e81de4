// Checking profile fields (docs/api.md "Profiles"). Pure; thread-safe.
//
// Every check takes what a client sent and returns the value to store, or invalid_profile
// with a message naming the field. Text must be valid UTF-8 with no control characters
// (C0, C1, line and paragraph separators, bidirectional overrides and isolates); lengths
// count code points after trimming Unicode white space at both ends.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "domain/types.h"

namespace parley {

inline constexpr std::size_t kDisplayNameMax = 64;
inline constexpr std::size_t kStatusTextMax = 100;
inline constexpr std::size_t kTimeZoneMax = 64;
inline constexpr std::size_t kPeopleQueryMax = 64;

// A PATCH /me body, field by field: an absent field (outer nullopt) is left as it is; JSON
// null (inner nullopt) clears it. Built by the API from the body, checked with checkPatch.
struct ProfilePatch {
  std::optional<std::optional<std::string>> display_name;
  std::optional<std::optional<std::string>> status_text;
  std::optional<std::optional<std::string>> status_emoji;
  std::optional<std::optional<std::string>> time_zone;
};

// 1-64 code points after trimming.
Result<std::string> checkDisplayName(std::string_view raw);
// At most 100 code points after trimming.
Result<std::string> checkStatusText(std::string_view raw);
// One emoji (service/emoji.h: one emoji grapheme, or a shortcode of the allow-list).
Result<std::string> checkStatusEmoji(std::string_view raw);
// An IANA zone name that ICU knows ("Europe/Paris", "UTC", an alias like "US/Pacific"),
// returned as given; ICU's custom ids ("GMT+05:00") are not IANA names and are refused.
Result<std::string> checkTimeZone(std::string_view raw);
// Checks every set field of `patch` (cleared ones pass), normalised in place. Nothing is
// changed unless all pass.
Status checkPatch(ProfilePatch& patch);
// What GET /users?q= searches for: `q` checked as text (at most kPeopleQueryMax code
// points, trimmed; "" matches everyone) and folded.
Result<std::string> checkPeopleQuery(std::string_view q);
// The search key of a display name or a query: ICU default case folding of the NFKC form,
// so "ÉMILE", "émile" and "ｅmile" fold alike.
std::string foldForSearch(std::string_view text);
// `patch` applied to `p` (display_key recomputed); whether anything changed.
bool applyPatch(Profile& p, const ProfilePatch& patch);

}  // namespace parley
