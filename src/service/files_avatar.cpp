// FilesService: avatars made of a user's own upload (docs/api.md "Avatars"). The upload is
// read whole (it is small: max_bytes), then its centre square is made at each edge on the
// thumbnail workers, fairly between users as thumbnails are.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>

#include "core/metrics.h"
#include "crypto/secret_bytes.h"
#include "service/files.h"

namespace parley {

namespace asio = boost::asio;

Task<Result<std::vector<std::string>>> FilesService::avatarImages(UserId who, RoomId room,
                                                                  std::string id,
                                                                  std::vector<int> edges,
                                                                  std::uint64_t max_bytes) {
  // One answer for a file that does not exist, is in a room `who` is not in, or is someone
  // else's: nothing about other people's files is told.
  const Error none = makeError(Code::invalid_profile, "avatar: no such upload of yours");
  auto opened = co_await open(who, room, std::move(id), false);
  if (!opened) co_return opened.error().code == Code::not_found ? none : opened.error();
  if (opened->view.record.uploader != who) co_return none;
  if (!inspector_.square || !inspector_.thumbnailable ||
      !inspector_.thumbnailable(opened->view.record.mime)) {
    co_return makeError(Code::invalid_profile, "avatar: not a PNG, JPEG, GIF or WebP image");
  }
  if (opened->size > max_bytes) {
    co_return makeError(Code::invalid_profile,
                        "avatar: larger than " + std::to_string(max_bytes >> 20) + " MiB");
  }
  const std::uint64_t size = opened->size;
  std::string image;
  image.reserve(size);
  FileReader r = reader(std::move(*opened), 0, size);
  while (r.remaining() > 0) {
    auto piece = co_await r.next();
    if (!piece) {
      crypto::wipe(image);
      co_return piece.error();
    }
    if (piece->empty()) break;
    image += *piece;
    crypto::wipe(*piece);
  }
  co_return co_await squaresFor(who, std::move(image), std::move(edges));
}

Task<Result<std::vector<std::string>>> FilesService::squaresFor(UserId who, std::string image,
                                                                std::vector<int> edges) {
  using R = Result<std::vector<std::string>>;
  // As thumbnailFor: the result is set, and the timer cancelled, on the caller's executor.
  struct Wait {
    explicit Wait(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    std::atomic<bool> abandoned{false};
    std::optional<R> result;
  };
  auto wait = std::make_shared<Wait>(co_await asio::this_coro::executor);
  auto job = [this, wait, img = std::move(image), edges = std::move(edges)]() mutable {
    R out = std::vector<std::string>{};
    for (int edge : edges) {
      if (wait->abandoned.load()) break;
      auto one = inspector_.square(img, edge);
      if (!one) {
        out = one.error();
        break;
      }
      out->push_back(std::move(*one));
    }
    crypto::wipe(img);
    auto ex = wait->timer.get_executor();
    asio::post(ex, [wait = std::move(wait), out = std::move(out)]() mutable {
      wait->result = std::move(out);
      wait->timer.cancel();
    });
  };
  if (!thumbnails_.submit(who, std::move(job))) {
    co_return makeError(Code::busy, "too many images being made; try again");
  }
  wait->timer.expires_after(std::chrono::milliseconds(limits_.thumbnail_wait_ms));
  if (!wait->result) co_await wait->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!wait->result) {
    wait->abandoned = true;
    co_return makeError(Code::busy, "the avatar took too long to make; try again");
  }
  if (!*wait->result) {
    const Error& e = wait->result->error();
    if (e.code == Code::bad_request) {
      co_return makeError(Code::invalid_profile, e.message == "image_too_large"
                                                     ? "avatar: the image is too large"
                                                     : "avatar: not an image this server reads");
    }
  }
  co_return std::move(*wait->result);
}

}  // namespace parley
