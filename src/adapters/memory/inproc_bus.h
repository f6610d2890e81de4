// The in-process Bus: delivers publishes to this node's own handler. For a single node
// (the embedded default) and for tests.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "ports/bus.h"

namespace parley::memory {

// Handlers run on a strand of `ex`, never inside `publish`, in publish order (per topic and
// overall). A publish reaches the handler only if its topic was subscribed at publish time.
// `ex`'s execution context must outlive the bus and every handler it has queued; queued
// handlers do not refer to the bus, so it may be destroyed while they are pending.
BusPtr makeInprocBus(boost::asio::any_io_executor ex);

}  // namespace parley::memory
