#include "service/sealed_bus.h"

#include <stdexcept>

#include "core/metrics.h"
#include "crypto/sealer.h"

namespace parley {

SealedBus::SealedBus(BusPtr inner, std::string key)
    : inner_(std::move(inner)), key_(std::move(key)) {
  if (key_.size() != crypto::kKeyBytes)
    throw std::invalid_argument("SealedBus: key must be 32 bytes");
}

std::string SealedBus::adFor(const std::string& topic) { return "parley/bus/v1|" + topic; }

void SealedBus::setHandler(Handler on_message, std::function<void()> on_resubscribed) {
  inner_->setHandler(
      [this, on_message = std::move(on_message)](const std::string& topic, Payload sealed) {
        auto opened = crypto::open(key_, adFor(topic), *sealed);
        if (!opened) {
          metrics().bus_rejected.inc();
          return;
        }
        on_message(topic, std::make_shared<const std::string>(std::move(*opened)));
      },
      std::move(on_resubscribed));
}

void SealedBus::publish(const std::string& topic, Payload payload) {
  inner_->publish(topic,
                  std::make_shared<const std::string>(crypto::seal(key_, adFor(topic), *payload)));
}

}  // namespace parley
