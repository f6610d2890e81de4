#include "adapters/memory/inproc_bus.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <utility>

namespace parley::memory {
namespace {

class InprocBus final : public Bus {
 public:
  explicit InprocBus(boost::asio::any_io_executor ex) : strand_(boost::asio::make_strand(ex)) {}

  // `on_resubscribed` is dropped: an in-process subscription cannot be interrupted, so
  // there is never anything to backfill and it is never called.
  void setHandler(Handler on_message, std::function<void()> /*on_resubscribed*/) override {
    std::lock_guard lock(mu_);
    if (on_message) handler_ = std::make_shared<const Handler>(std::move(on_message));
  }

  void subscribe(const std::string& topic) override {
    std::lock_guard lock(mu_);
    topics_.insert(topic);
  }

  void unsubscribe(const std::string& topic) override {
    std::lock_guard lock(mu_);
    topics_.erase(topic);
  }

  // Decides under the lock, delivers outside it: callers may hold their own locks, so the
  // handler is always posted, never called here. One strand keeps the publish order even
  // when `ex` is run by several threads.
  void publish(const std::string& topic, Payload payload) override {
    std::shared_ptr<const Handler> handler;
    {
      std::lock_guard lock(mu_);
      if (!handler_ || !topics_.contains(topic)) return;
      handler = handler_;
    }
    boost::asio::post(strand_, [handler = std::move(handler), topic, payload = std::move(payload)] {
      (*handler)(topic, payload);
    });
  }

 private:
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  std::mutex mu_;
  std::shared_ptr<const Handler> handler_;  // guarded by mu_; shared with queued deliveries
  std::unordered_set<std::string> topics_;  // guarded by mu_
};

}  // namespace

BusPtr makeInprocBus(boost::asio::any_io_executor ex) {
  return std::make_unique<InprocBus>(std::move(ex));
}

}  // namespace parley::memory
