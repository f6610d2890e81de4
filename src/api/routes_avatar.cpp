// Avatars (docs/api.md "Avatars"): set from one of my uploads, removed, and served to the
// people who may see me.
#include "api/json_input.h"
#include "api/route_table.h"
#include "service/codec.h"

namespace parley::api {

namespace {

template <class T>
using Awaitable = boost::asio::awaitable<T>;

// The largest upload an avatar is made of. The image limits of thumbnails hold too.
constexpr std::uint64_t kAvatarMaxBytes = 10ull << 20;

// {"room": R, "file": F}: my upload F in room R (attached or not) becomes my avatar.
Awaitable<Result<HttpResponse>> putAvatar(Call& c) {
  auto room = reqInt(c.body, "room");
  if (!room) co_return room.error();
  auto file = reqString(c.body, "file");
  if (!file) co_return file.error();
  if (c.body.size() != 2) {
    co_return makeError(Code::bad_request, "an avatar takes \"room\" and \"file\" only");
  }
  if (auto admitted = co_await c.ctx.accounts.admitAvatarWork(*c.auth); !admitted) {
    co_return admitted.error();
  }
  std::vector<int> edges(std::begin(AccountService::kAvatarSizes),
                         std::end(AccountService::kAvatarSizes));
  auto images = co_await c.ctx.files.avatarImages(c.me().id, RoomId(*room), std::move(*file),
                                                  std::move(edges), kAvatarMaxBytes);
  if (!images) co_return images.error();
  auto profile = co_await c.ctx.accounts.setAvatar(*c.auth, std::move(*images));
  if (!profile) co_return profile.error();
  co_return jsonResponse(200, {{"user", codec::profile(*profile)}});
}

Awaitable<Result<HttpResponse>> deleteAvatar(Call& c) {
  auto profile = co_await c.ctx.accounts.setAvatar(*c.auth, {});
  if (!profile) co_return profile.error();
  co_return jsonResponse(200, {{"user", codec::profile(*profile)}});
}

// ?size=64|256 (default 256) and ?v=ID, the avatar id the client saw: when it is the
// current one the answer may be kept for good (a new avatar has a new id).
Awaitable<Result<HttpResponse>> getAvatar(Call& c) {
  auto size = intParam(c.queryParam("size"), "size");
  if (!size) co_return size.error();
  const std::int64_t px = size->value_or(256);
  if (px != 64 && px != 256) co_return makeError(Code::bad_request, "size must be 64 or 256");
  std::string username = c.text("username");  // (g++ 12: src/README.md)
  auto avatar = co_await c.ctx.accounts.avatarOf(*c.auth, std::move(username), int(px));
  if (!avatar) co_return avatar.error();
  const bool current = c.queryParam("v").value_or("") == avatar->avatar_id;
  HttpResponse r;
  r.status = 200;
  r.content_type = "image/jpeg";
  r.body = std::move(avatar->jpeg);
  r.headers = {{"X-Content-Type-Options", "nosniff"},
               {"Content-Security-Policy", "sandbox; default-src 'none'"},
               {"Content-Disposition", "inline"},
               {"Cache-Control", current ? "private, max-age=31536000, immutable" : "no-cache"}};
  co_return r;
}

constexpr Route kRoutes[] = {
    {"PUT", "/me/avatar", &putAvatar, Body::json},
    {"DELETE", "/me/avatar", &deleteAvatar},
    {"GET", "/users/{username}/avatar", &getAvatar},
};

}  // namespace

std::span<const Route> avatarRoutes() { return kRoutes; }

}  // namespace parley::api
