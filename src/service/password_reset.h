// Admin-issued password reset links: a one-time token, valid one hour, of which the Store
// keeps only the hash. Issued through the API (an admin) or `parley admin reset-password`,
// spent by POST /api/v1/password-reset (AccountService::resetPassword).
#pragma once

#include <string>

#include "ports/store.h"

namespace parley {

inline constexpr Millis kResetLinkTtlMs = 3600 * 1000;

struct ResetLink {
  std::string token;  // shown once, never stored
  Millis expires_at = 0;
};

// A new link for `user` (its earlier unused links stop working); not_found if no such user.
Task<Result<ResetLink>> issueResetLink(Store& store, UserId user, Millis now);

// What a reset link looks like to a person: the web client's address with the token in
// the fragment (never sent to a server by a browser, so never in an access log).
std::string resetLinkUrl(const std::string& base_url, const std::string& token);

}  // namespace parley
