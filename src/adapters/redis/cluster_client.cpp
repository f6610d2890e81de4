#include "adapters/redis/cluster_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <charconv>
#include <utility>

#include "core/log.h"
#include "core/metrics.h"

namespace parley::redis {
namespace {

namespace asio = boost::asio;
using std::chrono::steady_clock;

constexpr int kMaxHops = 5;
constexpr std::size_t kMaxConnections = 256;
constexpr auto kMinReloadInterval = std::chrono::milliseconds(100);

Error unavailable(std::string why) { return makeError(Code::unavailable, "redis cluster: " + why); }

struct Redirect {
  bool moved = false;  // else ASK
  std::string address;
};

// "MOVED <slot> <host:port>" or "ASK <slot> <host:port>".
std::optional<Redirect> redirectOf(const Reply& r) {
  if (!r.isError()) return std::nullopt;
  Redirect out;
  if (r.str.rfind("MOVED ", 0) == 0) {
    out.moved = true;
  } else if (r.str.rfind("ASK ", 0) != 0) {
    return std::nullopt;
  }
  const auto space = r.str.rfind(' ');
  if (space == std::string::npos || space + 1 >= r.str.size()) return std::nullopt;
  auto ep = endpointOf(r.str.substr(space + 1));
  if (!ep) return std::nullopt;
  out.address = addressOf(ep->host, ep->port);
  return out;
}

// One node entry of CLUSTER SLOTS: [ip, port, id, ...].
std::optional<std::string> nodeAddress(const Reply& node, const std::string& asked_host) {
  if (node.type != Reply::Type::array || node.elements.size() < 2) return std::nullopt;
  const Reply& ip = node.elements[0];
  const Reply& port = node.elements[1];
  if (ip.type != Reply::Type::string || port.type != Reply::Type::integer) return std::nullopt;
  if (port.integer <= 0 || port.integer > 65535) return std::nullopt;
  const std::string host = ip.str.empty() || ip.str == "?" ? asked_host : ip.str;
  return addressOf(host, std::to_string(port.integer));
}

// Reloads the map in the background (the client outlives it through `client`).
asio::awaitable<void> reloadInBackground(std::shared_ptr<ClusterClient> client) {
  auto loaded = co_await client->refresh();
  (void)loaded;
}

}  // namespace

std::string addressOf(const std::string& host, const std::string& port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;
  return host + ":" + port;
}

std::optional<Endpoint> endpointOf(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  Endpoint ep;
  ep.host = address.substr(0, colon);
  if (ep.host.front() == '[') {
    if (ep.host.size() < 3 || ep.host.back() != ']') return std::nullopt;
    ep.host = ep.host.substr(1, ep.host.size() - 2);
  }
  ep.port = address.substr(colon + 1);
  unsigned number = 0;
  auto [end, ec] = std::from_chars(ep.port.data(), ep.port.data() + ep.port.size(), number);
  if (ec != std::errc() || end != ep.port.data() + ep.port.size() || number == 0 || number > 65535)
    return std::nullopt;
  return ep;
}

std::optional<SlotMap> parseClusterSlots(const Reply& reply, const std::string& asked_host) {
  if (reply.type != Reply::Type::array) return std::nullopt;
  SlotMap map;
  map.owner.fill(-1);
  for (const Reply& range : reply.elements) {
    const auto& el = range.elements;
    if (range.type != Reply::Type::array || el.size() < 3) return std::nullopt;
    if (el[0].type != Reply::Type::integer || el[1].type != Reply::Type::integer)
      return std::nullopt;
    const long long first = el[0].integer;
    const long long last = el[1].integer;
    if (first < 0 || last < first || last >= kClusterSlots) return std::nullopt;
    auto master = nodeAddress(el[2], asked_host);
    if (!master) return std::nullopt;
    std::size_t index = 0;
    while (index < map.masters.size() && map.masters[index] != *master) ++index;
    if (index == map.masters.size()) map.masters.push_back(*master);
    map.announced.insert(*master);
    for (std::size_t i = 3; i < el.size(); ++i) {
      if (auto replica = nodeAddress(el[i], asked_host)) map.announced.insert(*replica);
    }
    for (long long s = first; s <= last; ++s) map.owner[s] = static_cast<std::int16_t>(index);
  }
  return map;
}

ClusterClient::ClusterClient(asio::any_io_executor ex, std::vector<Endpoint> seeds,
                             const RedisOptions& opts, std::string name)
    : ex_(std::move(ex)),
      seeds_(std::move(seeds)),
      opts_(opts),
      name_(std::move(name)),
      stats_(opts.stats ? opts.stats : std::make_shared<RedisStats>()),
      map_(std::make_shared<SlotMap>()) {}

ClusterClient::~ClusterClient() { stop(); }

void ClusterClient::start(std::function<void()> on_up) {
  {
    std::lock_guard lock(mu_);
    on_up_ = std::move(on_up);
  }
  asio::co_spawn(ex_, reloadInBackground(shared_from_this()), asio::detached);
}

void ClusterClient::stop() {
  std::map<std::string, std::shared_ptr<Connection>> conns;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    on_up_ = {};
    conns.swap(conns_);
  }
  for (auto& [address, conn] : conns) conn->stop();
}

std::shared_ptr<const SlotMap> ClusterClient::slotMap() const {
  std::lock_guard lock(mu_);
  return map_;
}

std::string ClusterClient::ownerOf(std::string_view key) const {
  auto map = slotMap();
  const int owner = map->owner[keySlot(key)];
  return owner < 0 ? std::string() : map->masters[owner];
}

bool ClusterClient::announced(const std::string& address) const {
  for (const auto& seed : seeds_) {
    if (addressOf(seed.host, seed.port) == address) return true;
  }
  return slotMap()->announced.contains(address);
}

Endpoint ClusterClient::endpointFor(const std::string& address) const {
  Endpoint ep = endpointOf(address).value_or(Endpoint{});
  ep.user = seeds_.front().user;
  ep.password = seeds_.front().password;
  return ep;
}

std::shared_ptr<Connection> ClusterClient::connection(const std::string& address) {
  std::lock_guard lock(mu_);
  if (stopped_) return nullptr;
  if (auto it = conns_.find(address); it != conns_.end()) return it->second;
  if (conns_.size() >= kMaxConnections) return nullptr;
  Connection::Callbacks callbacks;
  callbacks.on_up = [weak = weak_from_this()](Connection&, bool) {
    auto self = weak.lock();
    if (!self) return;
    std::function<void()> call;
    {
      std::lock_guard lock(self->mu_);
      call = self->on_up_;
    }
    if (call) call();
  };
  auto conn = std::make_shared<Connection>(ex_, endpointFor(address), opts_, name_ + "@" + address,
                                           std::move(callbacks));
  conns_.emplace(address, conn);
  conn->start();
  return conn;
}

asio::awaitable<bool> ClusterClient::refresh() {
  auto self = shared_from_this();
  std::vector<std::string> candidates;
  {
    std::lock_guard lock(mu_);
    const auto now = steady_clock::now();
    if (stopped_) co_return false;
    if (map_->version > 0 && now - last_load_ < kMinReloadInterval) co_return true;
    last_load_ = now;
    candidates = map_->masters;
  }
  for (const auto& seed : seeds_) candidates.push_back(addressOf(seed.host, seed.port));
  for (const auto& address : candidates) {
    auto conn = connection(address);
    if (!conn) continue;
    Args slots = {"CLUSTER", "SLOTS"};
    auto got = co_await conn->request(std::move(slots));
    if (!got || got->isError()) continue;
    auto map = parseClusterSlots(*got, endpointOf(address)->host);
    if (!map || map->masters.empty()) continue;
    std::lock_guard lock(mu_);
    last_load_ = steady_clock::now();
    unavailable_logged_ = false;
    if (map_->version > 0 && map->owner == map_->owner && map->masters == map_->masters &&
        map->announced == map_->announced)
      co_return true;  // unchanged: the version says "nothing moved" to whoever watches it
    map->version = map_->version + 1;
    map_ = std::make_shared<const SlotMap>(std::move(*map));
    stats_->slot_map_loads.fetch_add(1, std::memory_order_relaxed);
    metrics().redis_cluster_map_loads.inc();
    co_return true;
  }
  bool first = false;
  {
    std::lock_guard lock(mu_);
    first = !std::exchange(unavailable_logged_, true);
  }
  if (first) log::warn("redis_cluster_map_unavailable", {{"client", name_}});
  co_return false;
}

asio::awaitable<bool> ClusterClient::followable(const std::string& address) {
  if (announced(address)) co_return true;
  auto reloaded = co_await refresh();
  (void)reloaded;
  if (announced(address)) co_return true;
  stats_->redirects_refused.fetch_add(1, std::memory_order_relaxed);
  metrics().redis_cluster_redirects_refused.inc();
  log::error("redis_cluster_redirect_refused", {{"client", name_}, {"to", address}});
  co_return false;
}

asio::awaitable<Result<Reply>> ClusterClient::once(const std::string& address, const Args& args,
                                                   bool asking) {
  auto conn = connection(address);
  if (!conn) co_return unavailable("no connection to " + address);
  if (!asking) {
    Args copy = args;
    auto got = co_await conn->request(std::move(copy));
    co_return got;
  }
  std::vector<Args> batch = {{"ASKING"}, args};
  auto got = co_await conn->requestAll(std::move(batch));
  if (!got) co_return got.error();
  co_return std::move(got->back());
}

asio::awaitable<Result<Reply>> ClusterClient::request(std::string key, Args args) {
  auto self = shared_from_this();
  std::string address = ownerOf(key);
  if (address.empty()) {
    auto loaded = co_await refresh();
    (void)loaded;
    address = ownerOf(key);
    if (address.empty()) co_return unavailable("no master serves the slot");
  }
  bool asking = false;
  bool reloaded = false;
  for (int hop = 0; hop < kMaxHops; ++hop) {
    auto got = co_await once(address, args, asking);
    asking = false;
    if (!got) {
      if (reloaded) co_return got;
      reloaded = true;
      auto loaded = co_await refresh();  // a replica may have been promoted
      (void)loaded;
      std::string next = ownerOf(key);
      if (next.empty() || next == address) co_return got;
      address = std::move(next);
      continue;
    }
    auto redirect = redirectOf(*got);
    if (!redirect) co_return got;
    if (redirect->moved) {
      asio::co_spawn(ex_, reloadInBackground(self), asio::detached);
    }
    auto ok = co_await followable(redirect->address);
    if (!ok) co_return unavailable("redirect to a node the cluster does not announce");
    stats_->redirects.fetch_add(1, std::memory_order_relaxed);
    metrics().redis_cluster_redirects.inc();
    address = redirect->address;
    asking = !redirect->moved;
  }
  co_return unavailable("too many redirections");
}

asio::awaitable<Result<std::vector<Reply>>> ClusterClient::requestAll(std::vector<std::string> keys,
                                                                      std::vector<Args> batch) {
  auto self = shared_from_this();
  std::vector<Reply> out(batch.size());
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < batch.size(); ++i) groups[ownerOf(keys[i])].push_back(i);
  std::vector<std::size_t> redo;
  for (const auto& [address, indexes] : groups) {
    auto conn = address.empty() ? nullptr : connection(address);
    if (!conn) {
      redo.insert(redo.end(), indexes.begin(), indexes.end());
      continue;
    }
    std::vector<Args> part;
    for (std::size_t i : indexes) part.push_back(batch[i]);
    auto got = co_await conn->requestAll(std::move(part));
    for (std::size_t j = 0; j < indexes.size(); ++j) {
      if (!got || redirectOf((*got)[j])) {
        redo.push_back(indexes[j]);
      } else {
        out[indexes[j]] = std::move((*got)[j]);
      }
    }
  }
  for (std::size_t i : redo) {  // one by one, each following its own redirections
    std::string key = keys[i];  // named locals (g++ 12: src/README.md)
    Args args = batch[i];
    auto got = co_await request(std::move(key), std::move(args));
    if (!got) co_return got.error();
    out[i] = std::move(*got);
  }
  co_return out;
}

}  // namespace parley::redis
