// AccountService: avatars (PUT/DELETE /me/avatar, GET /users/{username}/avatar). The images
// are made by FilesService::avatarImages; here they become the profile's, counted, audited
// and announced as a profile patch is. docs/api.md "Avatars".
#include <algorithm>

#include "crypto/random.h"
#include "service/accounts.h"

namespace parley {

Task<Result<Profile>> AccountService::setAvatar(const AuthContext& ctx,
                                                std::vector<std::string> images) {
  const std::size_t n = std::size(kAvatarSizes);
  if (!images.empty() && images.size() != n) {
    co_return makeError(Code::internal, "avatar: one image per size expected");
  }
  auto current = co_await store_.profileOf(ctx.user.id);
  if (!current) co_return current.error();
  if (images.empty() && current->avatar.empty()) co_return *current;
  const Millis now = clock_.now();
  std::string key = "profile:user:" + std::to_string(ctx.user.id);
  auto hit = co_await cache_.hit(std::move(key), limits_.profile_changes_per_hour, 3'600'000, now);
  if (!hit.allowed) {
    Error e{Code::rate_limited, "too many profile changes; try again later"};
    e.retry_after_s = std::max(1, static_cast<int>(hit.retry_after_ms / 1000));
    co_return e;
  }
  std::vector<AvatarImage> kept;
  std::string id;
  if (!images.empty()) {
    id = crypto::base64url(crypto::randomBytes(9));  // 12 characters, new for every change
    for (std::size_t i = 0; i < n; ++i) kept.push_back({kAvatarSizes[i], std::move(images[i])});
  }
  if (auto put = co_await store_.setAvatar(ctx.user.id, id, std::move(kept), now); !put) {
    co_return put.error();
  }
  Profile next = *current;
  next.avatar = id;
  next.updated_at = now;
  AuditEvent e{.user_id = ctx.user.id,
               .kind = "profile_changed",
               .ip = ctx.session.ip,
               .device = ctx.session.device,
               .detail = "avatar",
               .at = now};
  co_await store_.recordAudit(std::move(e));  // best effort, as every audit write
  co_await publishProfile(next);
  co_return next;
}

Task<Status> AccountService::admitAvatarWork(const AuthContext& ctx) {
  const int limit = std::max(10, 2 * limits_.profile_changes_per_hour);
  std::string key = "avatar-work:user:" + std::to_string(ctx.user.id);
  auto hit = co_await cache_.hit(std::move(key), limit, 3'600'000, clock_.now());
  if (!hit.allowed) {
    Error e{Code::rate_limited, "too many avatar attempts; try again later"};
    e.retry_after_s = std::max(1, static_cast<int>(hit.retry_after_ms / 1000));
    co_return e;
  }
  co_return Status{};
}

Task<Result<AccountService::AvatarFile>> AccountService::avatarOf(const AuthContext& ctx,
                                                                  std::string username, int size) {
  const Error none = makeError(Code::not_found, "no such avatar");
  auto profile = co_await profileOf(ctx, std::move(username));
  if (!profile) co_return profile.error().code == Code::not_found ? none : profile.error();
  if (std::find(std::begin(kAvatarSizes), std::end(kAvatarSizes), size) == std::end(kAvatarSizes)) {
    co_return none;
  }
  if (profile->avatar.empty()) co_return none;
  auto jpeg = co_await store_.avatarImage(profile->user_id, size);
  if (!jpeg) co_return jpeg.error().code == Code::not_found ? none : jpeg.error();
  co_return AvatarFile{std::move(*jpeg), profile->avatar};
}

}  // namespace parley
