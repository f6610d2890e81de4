// Bus: a best-effort wake-up between the nodes of a deployment (DESIGN.md invariant 1).
// It is never the record: a subscriber that misses a payload recovers from the Store.
//
// Contract: thread-safe. `publish` never blocks and never fails visibly (a lost publish
// is repaired by the receivers' gap detection). Payloads are delivered to the handler
// on an executor of the adapter's choosing, in publish order per topic from one
// publisher. `on_resubscribed` is called after an interruption of the subscription
// (reconnect), so the node can backfill every topic it holds from the Store.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace parley {

class Bus {
 public:
  using Payload = std::shared_ptr<const std::string>;
  using Handler = std::function<void(const std::string& topic, Payload payload)>;

  virtual ~Bus() = default;
  // Set once, before the first subscribe.
  virtual void setHandler(Handler on_message, std::function<void()> on_resubscribed) = 0;
  virtual void subscribe(const std::string& topic) = 0;
  virtual void unsubscribe(const std::string& topic) = 0;
  virtual void publish(const std::string& topic, Payload payload) = 0;
};

using BusPtr = std::unique_ptr<Bus>;

}  // namespace parley
