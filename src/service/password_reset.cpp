#include "service/password_reset.h"

#include "crypto/tokens.h"

namespace parley {

Task<Result<ResetLink>> issueResetLink(Store& store, UserId user, Millis now) {
  auto token = crypto::newSessionToken();  // 256 random bits, base64url
  const Millis expires_at = now + kResetLinkTtlMs;
  auto stored = co_await store.createPasswordReset(user, std::move(token.hash), now, expires_at);
  if (!stored) co_return stored.error();
  co_return ResetLink{std::move(token.token), expires_at};
}

std::string resetLinkUrl(const std::string& base_url, const std::string& token) {
  std::string base = base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/#reset=" + token;
}

}  // namespace parley
