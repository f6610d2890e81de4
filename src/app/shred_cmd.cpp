#include "app/shred_cmd.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <charconv>
#include <iostream>

#include "app/flag_checks.h"
#include "app/key_setup.h"
#include "core/log.h"
#include "ports/clock.h"

namespace parley::app {

namespace asio = boost::asio;

namespace {

constexpr const char* kUsage =
    "usage: parley admin delete-room ROOM_ID [store and key options]\n\n"
    "delete a room for good: its keys are destroyed first (crypto-shredding), so nothing of\n"
    "it (messages, files, thumbnails, search tokens, cached copies) opens again, not even\n"
    "from a backup restored with the current keyring; its rows and blobs are then removed\n"
    "by the nodes in the background. Members' open sockets learn of it when a node next\n"
    "checks the room (DELETE /api/v1/rooms/{id} tells them at once).\n\n"
    "options (as for `parley serve`; env PARLEY_<NAME>; or TOML keys):\n"
    "  --data-dir DIR    the data directory of an embedded server (default ./parley-data)\n"
    "  --db URL          postgresql://... or sqlite:PATH\n"
    "  --keyring K       the keyring file, or kms+.../vault+... (as the nodes use)\n"
    "  --config FILE     a TOML file with the serve options\n"
    "(docs/operations.md, \"Deleting rooms and retention\")\n";

int usageError(const std::string& message) {
  std::cerr << "parley admin delete-room: " << message << "\n";
  return 2;
}

}  // namespace

int deleteRoomMain(int argc, const char* const* argv, const StoreOpener& open_store) {
  if (wantsHelp(argc, argv)) {
    std::cout << kUsage;
    return 0;
  }
  if (argc < 2) return usageError("missing ROOM_ID (parley admin delete-room --help)");
  const std::string id_text = argv[1];
  RoomId room = 0;
  auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), room);
  if (ec != std::errc() || end != id_text.data() + id_text.size() || room <= 0) {
    return usageError("ROOM_ID must be a positive integer, not '" + id_text + "'");
  }
  auto cfg = parseServeArgs(argc - 1, argv + 1);
  if (!cfg) return usageError(cfg.error().message);
  if (!*cfg) return 0;
  log::init(log::Level::warn);
  if (auto st = checkFlags(**cfg); !st) return usageError(st.error().message);
  auto keys = openKeys(**cfg);
  if (!keys) {
    std::cerr << "parley admin delete-room: the key service: " << keys.error().message << "\n";
    return 1;
  }
  auto store = open_store(**cfg);
  if (!store) {
    std::cerr << "parley admin delete-room: the store: " << store.error().message << "\n";
    return 1;
  }
  RoomKeys room_keys(**store, **keys);
  SystemClock clock;
  asio::io_context io;
  std::string device = "parley admin";
  auto done = asio::co_spawn(
      io, shredRoom(**store, room_keys, clock.now(), room, 0, std::move(device)), asio::use_future);
  io.run();
  auto members = done.get();
  if (!members) {
    std::cerr << "parley admin delete-room: " << members.error().message << "\n";
    return 1;
  }
  std::cout << "room " << room << " deleted (" << members->size() << " members); its keys are "
            << (room_keys.canShred() ? "destroyed"
                                     : "deleted from the store (the key service "
                                       "cannot destroy per-room keys: see "
                                       "docs/security.md)")
            << "; the nodes remove its rows and blobs in the background\n";
  return 0;
}

asio::awaitable<void> purgeLoop(RoomDeletion& deletion) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    auto purged = co_await deletion.purge();
    if (!purged) log::warn("room_purge_failed", {{"error", purged.error().message}});
    timer.expires_after(std::chrono::minutes(1));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

}  // namespace parley::app
