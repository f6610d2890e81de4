#include "adapters/redis/commands.h"

#include <utility>

#include "adapters/redis/cluster_client.h"
#include "adapters/redis/cluster_slot.h"

namespace parley::redis {
namespace {

namespace asio = boost::asio;

class SingleCommands final : public Commands {
 public:
  SingleCommands(asio::any_io_executor ex, Endpoint endpoint, const RedisOptions& opts,
                 std::string name)
      : ex_(std::move(ex)), endpoint_(std::move(endpoint)), opts_(opts), name_(std::move(name)) {}

  void start(std::function<void()> on_up) override {
    Connection::Callbacks callbacks;
    callbacks.on_up = [on_up = std::move(on_up)](Connection&, bool) {
      if (on_up) on_up();
    };
    conn_ = std::make_shared<Connection>(ex_, endpoint_, opts_, name_, std::move(callbacks));
    conn_->start();
  }
  void stop() override {
    if (conn_) conn_->stop();
  }

  asio::awaitable<Result<Reply>> request(std::string, Args args) override {
    auto got = co_await conn_->request(std::move(args));
    co_return got;
  }
  asio::awaitable<Result<std::vector<Reply>>> requestAll(std::vector<std::string>,
                                                         std::vector<Args> batch) override {
    auto got = co_await conn_->requestAll(std::move(batch));
    co_return got;
  }

 private:
  asio::any_io_executor ex_;
  const Endpoint endpoint_;
  const RedisOptions opts_;
  const std::string name_;
  std::shared_ptr<Connection> conn_;
};

}  // namespace

CommandsPtr makeCommands(asio::any_io_executor ex, const RedisOptions& opts, std::string name) {
  if (isClusterUrl(opts.url)) {
    auto seeds = parseClusterUrl(opts.url);
    if (!seeds) throw ErrorException(seeds.error());
    return std::make_shared<ClusterClient>(std::move(ex), std::move(*seeds), opts, std::move(name));
  }
  auto endpoint = parseRedisUrl(opts.url);
  if (!endpoint) throw ErrorException(endpoint.error());
  return std::make_shared<SingleCommands>(std::move(ex), std::move(*endpoint), opts,
                                          std::move(name));
}

}  // namespace parley::redis
