// The Kafka Bus: one topic (opts.topic) carries every room's and user's events, keyed by the
// Bus topic ("room:42"), so one room's events stay in order on one partition. Kafka is a
// wake-up with a memory, never the record (DESIGN.md invariant 1).
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "adapters/kafka/kafka_options.h"
#include "ports/bus.h"

namespace parley::kafka {

// - publish hands the payload to librdkafka's idempotent producer and returns: it never
//   blocks and never delivers. A payload over opts.max_record_bytes, or one that finds the
//   producer's queue full (broker down longer than the queue lasts), is dropped and counted;
//   receivers' gap detection repairs it (invariant 1).
// - Every node reads every partition from its own position (assigned by hand: no consumer
//   group, no rebalancing between nodes) on one poller thread of the bus, and hands the
//   records whose key is a subscribed topic to the handler on a strand of `ex`, in partition
//   order. subscribe/unsubscribe only change that filter, so they take effect at once.
// - After a broker outage the reader goes on from where it was: nothing is lost, so no
//   backfill. A node started with opts.offsets_file reads on from the offsets it processed
//   before it stopped (records made more than 5 s before it started are read but not
//   delivered: its clients got their state from the Store when they connected); without
//   them it starts at the end. When the offsets it needs are gone
//   (retention, a recreated topic) it starts at the end and calls `on_resubscribed` on the
//   delivery strand, so the node backfills from the Store.
// - At most opts.max_in_flight payloads wait for the handler; then the poller stops reading
//   until they drained (Kafka keeps the rest), so memory stays bounded.
// Returns bad_request when librdkafka refuses the options. The broker need not be up: the
// poller keeps trying to create the topic and assign its partitions (stats->assigned). `ex`'s
// context must outlive the bus; the destructor joins the poller (within about 100 ms) and
// gives queued publishes up to 2 s to leave.
Result<BusPtr> makeKafkaBus(boost::asio::any_io_executor ex, KafkaOptions opts);

}  // namespace parley::kafka
