#include "service/invites.h"

#include "crypto/tokens.h"

namespace parley {

Status checkInviteSpec(const InviteSpec& spec) {
  if (spec.ttl_ms < kInviteMinTtlMs || spec.ttl_ms > kInviteMaxTtlMs) {
    return makeError(Code::bad_request, "expires_in_s must be 60 to 7776000 (90 days)");
  }
  if (spec.max_uses < 1 || spec.max_uses > kInviteMaxUses) {
    return makeError(Code::bad_request, "max_uses must be 1 to 10000");
  }
  if (spec.room_id < 0) return makeError(Code::bad_request, "room must be a room id");
  return {};
}

Task<Result<NewInvite>> makeInvite(Store& store, InviteSpec spec, UserId created_by, Millis now) {
  auto token = crypto::newSessionToken();  // 256 random bits, base64url
  Invite i{.id = 0,
           .token_hash = std::move(token.hash),
           .created_by = created_by,
           .created_at = now,
           .expires_at = now + spec.ttl_ms,
           .max_uses = spec.max_uses,
           .uses = 0,
           .room_id = spec.room_id,
           .revoked_at = 0};
  auto stored = co_await store.createInvite(std::move(i));
  if (!stored) co_return stored.error();
  co_return NewInvite{std::move(*stored), std::move(token.token)};
}

std::string inviteUrl(const std::string& base_url, const std::string& code) {
  std::string base = base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/#invite=" + code;
}

}  // namespace parley
