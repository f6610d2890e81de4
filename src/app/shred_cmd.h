// Deleting rooms from the command line (`parley admin delete-room`), and the node's
// background removal of deleted rooms' rows and blobs (service/room_deletion.h).
#pragma once

#include <boost/asio/awaitable.hpp>

#include "app/admin_cmd.h"
#include "service/room_deletion.h"

namespace parley::app {

// parley admin delete-room ROOM_ID [serve options]: argv[0] is "delete-room". Exit 0 when
// the room's keys are destroyed and it is deleted, 1 on a failure (nothing deleted, or run
// it again), 2 on bad arguments.
int deleteRoomMain(int argc, const char* const* argv, const StoreOpener& open_store);

// Removes deleted rooms' rows and blobs at start, then every minute (and a deletion through
// the API starts a round at once).
boost::asio::awaitable<void> purgeLoop(RoomDeletion& deletion);

}  // namespace parley::app
