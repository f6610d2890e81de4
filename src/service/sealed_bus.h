// SealedBus: a Bus that seals every payload before it leaves the node and opens it on the
// way back, so that whoever can read or write the bus's own server (Redis pub/sub, later
// Kafka) neither reads the live events that cross it nor makes the nodes deliver a frame
// of their own (docs/security.md, "an attacker with write access to Redis").
//
// Payloads are sealed with XChaCha20-Poly1305 under one key that every node of a
// deployment shares (SharedSecrets: made once, wrapped by the KeyProvider, kept in the
// Store), with the topic as associated data: a sealed payload moved to another topic does
// not open. A payload that does not open is dropped and counted
// (`parley_bus_rejected_total`); the receivers' gap detection repairs from the Store what a
// dropped genuine payload carried (invariant 1). A replayed genuine payload repeats an event
// the LiveFeed has already delivered, which it drops by seq.
//
// Thread-safety and delivery are the wrapped Bus's. The in-process bus is never wrapped:
// nothing leaves the process.
#pragma once

#include <string>

#include "ports/bus.h"

namespace parley {

class SealedBus final : public Bus {
 public:
  // `key` is 32 bytes (crypto::kKeyBytes).
  SealedBus(BusPtr inner, std::string key);

  void setHandler(Handler on_message, std::function<void()> on_resubscribed) override;
  void subscribe(const std::string& topic) override { inner_->subscribe(topic); }
  void unsubscribe(const std::string& topic) override { inner_->unsubscribe(topic); }
  void publish(const std::string& topic, Payload payload) override;

  // The associated data a payload on `topic` is sealed with.
  static std::string adFor(const std::string& topic);

 private:
  BusPtr inner_;
  const std::string key_;
};

}  // namespace parley
