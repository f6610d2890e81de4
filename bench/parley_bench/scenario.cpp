#include "scenario.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "histogram.h"
#include "net.h"
#include "proc_stats.h"
#include "protocol.h"

namespace parley_bench {

namespace asio = boost::asio;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Url {
  tcp::endpoint endpoint;
  std::string host;  // "127.0.0.1:PORT" for the Host header
};

Url parseUrl(const std::string& url) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  auto slash = rest.find('/');
  if (slash != std::string::npos) rest = rest.substr(0, slash);
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("url needs a port: " + url);
  auto addr = asio::ip::make_address_v4(rest.substr(0, colon));
  // Load is only ever sent to this machine.
  if ((addr.to_uint() >> 24) != 127)
    throw std::runtime_error("only 127.0.0.0/8 is allowed: " + url);
  return {tcp::endpoint(addr, static_cast<uint16_t>(std::stoi(rest.substr(colon + 1)))), rest};
}

struct User {
  std::string name;
  std::string token;
  int64_t id = 0;
};

json::value parseBody(const HttpResponse& r, std::string_view what) {
  if (r.status < 200 || r.status >= 300)
    throw std::runtime_error(std::string(what) + " failed: " + std::to_string(r.status) + " " +
                             r.body.substr(0, 200));
  return json::parse(r.body);
}

// Runs fn(client, i) for i in [0, n) on `threads` threads, one keep-alive client each.
template <typename Fn>
void parallelFor(const Url& url, int threads, int n, Fn fn) {
  std::atomic<int> next{0};
  std::mutex mu;
  std::string error;
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, threads); ++t) {
    pool.emplace_back([&] {
      HttpClient client(url.endpoint, url.host);
      for (int i = next++; i < n; i = next++) {
        try {
          fn(client, i);
        } catch (const std::exception& e) {
          std::lock_guard lock(mu);
          if (error.empty()) error = e.what();
          next = n;
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  if (!error.empty()) throw std::runtime_error(error);
}

std::vector<User> makeUsers(const Url& url, int threads, int n, const std::string& tag,
                            const std::string& password) {
  std::vector<User> users(n);
  parallelFor(url, threads, n, [&](HttpClient& c, int i) {
    User& u = users[i];
    u.name = "b" + tag + "u" + std::to_string(i);
    json::object reg{{"username", u.name}, {"password", password}};
    parseBody(c.request("POST", "/api/v1/register", json::serialize(reg), ""), "register");
    json::object login{{"username", u.name}, {"password", password}, {"device", "bench"}};
    auto body = parseBody(c.request("POST", "/api/v1/login", json::serialize(login), ""), "login");
    u.token = json::value_to<std::string>(body.at("token"));
    u.id = body.at("user").at("id").to_number<int64_t>();
  });
  return users;
}

struct Conn {
  int user = 0;
  int node = 0;
  int room_conns = 0;  // connections in its room, itself included
  ProtoConn p;         // protocol state: room, names, handshake step
  WsConnPtr ws;
  bool ready = false;  // in its room (Parley: caught_up seen) since the last (re)connect
  bool open = false;
  int64_t last_seq = -1;   // Parley: last event seq seen in its room (-1: none yet)
  std::vector<bool> seen;  // message ids delivered to this connection (duplicates)
};

json::object histJson(const Histogram& h) {
  return json::object{{"count", h.count()},           {"p50_us", h.quantile(0.50)},
                      {"p90_us", h.quantile(0.90)},   {"p99_us", h.quantile(0.99)},
                      {"p999_us", h.quantile(0.999)}, {"max_us", h.max()}};
}

class Bench : public WsListener {
 public:
  explicit Bench(const Options& o) : o_(o), timer_(io_), deadline_(io_) {
    for (const auto& u : o.urls) urls_.push_back(parseUrl(u));
    if (urls_.empty()) throw std::runtime_error("--url is required");
    std::string muc = o.muc_service.empty() ? "conference." + o.xmpp_domain : o.muc_service;
    proto_ = makeProtocol(o.protocol, o.xmpp_domain, muc);
    muc_ = muc;
    if (o.protocol != "parley" && o.scenario != "pairs" && o.scenario != "fanout")
      throw std::runtime_error("--protocol " + o.protocol + " runs pairs and fanout only");
    if (o.protocol != "parley" && !o.setup_file.empty())
      throw std::runtime_error("--setup-file: Parley only");
    std::random_device rd;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%06x", static_cast<unsigned>(rd() & 0xffffff));
    tag_ = buf;
  }

  json::object run() {
    auto setup_start = Clock::now();
    setUp();
    double setup_s = secondsSince(setup_start);
    std::fprintf(stderr, "parley-bench: %zu users, %zu connections set up in %.1f s\n",
                 users_.size(), conns_.size(), setup_s);
    if (o_.setup_only) return json::object{{"setup_seconds", setup_s}, {"users", users_.size()}};
    before_connect_ = sampleAll();
    if (o_.scenario == "history") {
      startHistory();
      io_.run();
      json::object report = result_;
      report["setup_seconds"] = setup_s;
      return report;
    }
    connect_started_ = Clock::now();
    for (size_t i = 0; i < conns_.size() && i < static_cast<size_t>(o_.connect_parallel); ++i)
      openNext();
    armDeadline(
        std::chrono::seconds(120) + std::chrono::seconds(static_cast<int>(conns_.size() / 500)),
        "connect");
    io_.run();
    json::object report = result_;
    report["setup_seconds"] = setup_s;
    return report;
  }

  // --- WsListener
  void onOpen(int id) override { conns_[id].open = true; }

  void onFrame(int id, std::string_view f) override {
    Conn& c = conns_[id];
    replies_.clear();
    Inbound in = proto_->onFrame(c.p, f, replies_);
    if (c.ws)
      for (auto& r : replies_) c.ws->send(std::move(r));
    switch (in.kind) {
      case Inbound::event:
        return onEvent(id, c, in);
      case Inbound::ack:
        return onAck(in.k);
      case Inbound::ready:
        return onCaughtUp(c);
      case Inbound::error:
        if (errors_++ == 0) first_error_ = std::string(in.text.substr(0, 300));
        if (phase_ == Phase::connecting)
          fatal("connection " + std::to_string(id) + ": " + first_error_);
        return;
      case Inbound::resync:
        ++resyncs_;
        return;
      case Inbound::ignore:
        return;
    }
  }

  void onClosed(int id, std::string_view why) override {
    Conn& c = conns_[id];
    bool expected = stopping_ || dropping_;
    c.open = false;
    c.ready = false;
    c.ws.reset();
    ++closed_;
    if (!expected) {
      if (unexpected_closes_++ == 0) first_close_ = std::string(why);
      if (phase_ == Phase::connecting) {
        fatal("connection " + std::to_string(id) + " failed: " + std::string(why));
        return;
      }
    }
    if (dropping_ && !stopping_) reconnect(id);
    if (stopping_ && closed_ >= open_count_) io_.stop();
  }

 private:
  enum class Phase { connecting, traffic, draining, idle, done };

  // --------------------------------------------------------------- set-up (blocking, REST)
  void setUp() {
    if (o_.protocol != "parley") {
      setUpPeer();
    } else {
      setUpParley();
    }
    for (size_t i = 0; i < conns_.size(); ++i) {
      conns_[i].node = static_cast<int>(i % urls_.size());
      conns_[i].p.id = static_cast<int>(i);
      conns_[i].p.user = users_[conns_[i].user].name;
      conns_[i].p.token = users_[conns_[i].user].token;
      conns_[i].p.password = o_.password;
    }
  }

  // Peers: users and rooms by name. socket.io needs no set-up (users name themselves, rooms
  // exist once joined); ejabberd's users and rooms are made through its HTTP API
  // (mod_http_api: register, create_room), what `ejabberdctl register` does, in bulk.
  void setUpPeer() {
    const Url& api = urls_[0];
    bool pairs = o_.scenario == "pairs";
    int nusers = pairs ? 2 * o_.pairs : o_.members;
    users_.resize(nusers);
    for (int i = 0; i < nusers; ++i) users_[i].name = "b" + tag_ + "u" + std::to_string(i);
    int nrooms = pairs ? o_.pairs : 1;
    std::vector<std::string> rooms(nrooms);
    for (int r = 0; r < nrooms; ++r) rooms[r] = "b" + tag_ + "r" + std::to_string(r);
    if (o_.protocol == "xmpp") {
      parallelFor(api, o_.setup_threads, nusers, [&](HttpClient& c, int i) {
        json::object req{
            {"user", users_[i].name}, {"host", o_.xmpp_domain}, {"password", o_.password}};
        parseBody(c.request("POST", "/api/register", json::serialize(req), ""), "register");
      });
      parallelFor(api, o_.setup_threads, nrooms, [&](HttpClient& c, int r) {
        json::object req{{"name", rooms[r]}, {"service", muc_}, {"host", o_.xmpp_domain}};
        parseBody(c.request("POST", "/api/create_room", json::serialize(req), ""), "create_room");
      });
    }
    int n = pairs ? nusers : o_.members * o_.conns_per_user;
    conns_.resize(n);
    for (int i = 0; i < n; ++i) {
      conns_[i].user = pairs ? i : i % o_.members;
      conns_[i].p.room_name = rooms[pairs ? i / 2 : 0];
      conns_[i].room_conns = pairs ? 2 : n;
    }
    if (pairs) {
      for (int i = 0; i < n; ++i) senders_.push_back(i);
    } else {
      for (int i = 0; i < std::min(o_.senders, o_.members); ++i) senders_.push_back(i);
    }
  }

  void setUpParley() {
    const Url& api = urls_[0];
    const std::string& s = o_.scenario;
    if (s == "pairs") {
      if (!o_.setup_file.empty()) throw std::runtime_error("--setup-file: not for pairs");
      users_ = makeUsers(api, o_.setup_threads, 2 * o_.pairs, tag_, o_.password);
      conns_.resize(users_.size());
      parallelFor(api, o_.setup_threads, o_.pairs, [&](HttpClient& c, int p) {
        json::object req{{"username", users_[2 * p + 1].name}};
        auto body = parseBody(
            c.request("POST", "/api/v1/direct", json::serialize(req), users_[2 * p].token),
            "direct");
        int64_t room = body.at("room").at("id").to_number<int64_t>();
        for (int k = 0; k < 2; ++k) {
          conns_[2 * p + k].user = 2 * p + k;
          conns_[2 * p + k].p.room = room;
          conns_[2 * p + k].room_conns = 2;
        }
      });
      for (size_t i = 0; i < conns_.size(); ++i) senders_.push_back(static_cast<int>(i));
    } else if (s == "fanout" || s == "reconnect") {
      int64_t room = 0;
      if (!loadSetup(room)) {
        users_ = makeUsers(api, o_.setup_threads, o_.members, tag_, o_.password);
        HttpClient c(api.endpoint, api.host);
        json::object req{{"name", "bench-" + tag_}, {"public", true}};
        auto body =
            parseBody(c.request("POST", "/api/v1/rooms", json::serialize(req), users_[0].token),
                      "create room");
        room = body.at("room").at("id").to_number<int64_t>();
        std::string target = "/api/v1/rooms/" + std::to_string(room) + "/join";
        parallelFor(api, o_.setup_threads, o_.members - 1, [&](HttpClient& c, int i) {
          parseBody(c.request("POST", target, "", users_[i + 1].token), "join");
        });
        saveSetup(room);
      }
      if (static_cast<int>(users_.size()) != o_.members)
        throw std::runtime_error("--setup-file holds " + std::to_string(users_.size()) +
                                 " users, not --members");
      int n = o_.members * o_.conns_per_user;
      conns_.resize(n);
      for (int i = 0; i < n; ++i) {
        conns_[i].user = i % o_.members;
        conns_[i].p.room = room;
        conns_[i].room_conns = n;
      }
      // Senders are the first connections of the first members: one connection per sender.
      for (int i = 0; i < std::min(o_.senders, o_.members); ++i) senders_.push_back(i);
    } else if (s == "idle") {
      int nusers = o_.users > 0 ? o_.users : std::min(o_.conns, 50);
      int64_t none = 0;
      if (!loadSetup(none)) {
        users_ = makeUsers(api, o_.setup_threads, nusers, tag_, o_.password);
        saveSetup(0);
      }
      nusers = static_cast<int>(users_.size());
      conns_.resize(o_.conns);
      for (int i = 0; i < o_.conns; ++i) conns_[i].user = i % nusers;
    } else if (s == "history") {
      if (!o_.setup_file.empty()) throw std::runtime_error("--setup-file: not for history");
      setUpHistory();
    } else {
      throw std::runtime_error("unknown scenario: " + s);
    }
  }

  // --setup-file: one line per user ("name token id"), after a first line "room ID".
  bool loadSetup(int64_t& room) {
    if (o_.setup_file.empty() || !std::filesystem::exists(o_.setup_file)) return false;
    std::ifstream in(o_.setup_file);
    std::string word;
    if (!(in >> word >> room) || word != "room")
      throw std::runtime_error("--setup-file: not a parley-bench set-up: " + o_.setup_file);
    User u;
    while (in >> u.name >> u.token >> u.id) users_.push_back(u);
    return true;
  }

  void saveSetup(int64_t room) {
    if (o_.setup_file.empty()) return;
    std::ofstream out(o_.setup_file);
    out << "room " << room << "\n";
    for (auto& u : users_) out << u.name << " " << u.token << " " << u.id << "\n";
    if (!out) throw std::runtime_error("cannot write --setup-file " + o_.setup_file);
  }

  // One reader owns --rooms rooms holding --history-messages messages each (posted over REST).
  void setUpHistory() {
    const Url& api = urls_[0];
    users_ = makeUsers(api, 1, 1, tag_, o_.password);
    history_rooms_.resize(o_.rooms);
    parallelFor(api, o_.setup_threads, o_.rooms, [&](HttpClient& c, int i) {
      json::object req{{"name", "hist-" + tag_ + "-" + std::to_string(i)}};
      auto body = parseBody(
          c.request("POST", "/api/v1/rooms", json::serialize(req), users_[0].token), "room");
      history_rooms_[i] = body.at("room").at("id").to_number<int64_t>();
    });
    std::string text(static_cast<size_t>(o_.size), 'h');
    int n = o_.rooms * o_.history_messages;
    parallelFor(api, o_.setup_threads, n, [&](HttpClient& c, int i) {
      int64_t room = history_rooms_[i % o_.rooms];
      json::object req{{"client_msg_id", "h" + std::to_string(i)}, {"text", text}};
      std::string target = "/api/v1/rooms/" + std::to_string(room) + "/messages";
      parseBody(c.request("POST", target, json::serialize(req), users_[0].token), "post");
    });
    // Zipf(s) over rooms: room i (0-based) has weight 1 / (i + 1)^s.
    double sum = 0;
    for (int i = 0; i < o_.rooms; ++i) {
      sum += 1.0 / std::pow(static_cast<double>(i + 1), o_.zipf_s);
      zipf_cdf_.push_back(sum);
    }
    for (double& v : zipf_cdf_) v /= sum;
  }

  void startHistory() {
    phase_ = Phase::traffic;
    connect_started_ = Clock::now();
    const Url& u = urls_[0];
    for (int i = 0; i < o_.http_conns; ++i) {
      http_.push_back(openHttp(io_, u.endpoint, sourceFor(i), u.host));
      idle_http_.push_back(i);
    }
    total_ = std::min<int64_t>(o_.max_messages, static_cast<int64_t>(o_.rate * o_.duration));
    t0_ = Clock::now() + std::chrono::milliseconds(100);
    traffic_start_ = sampleAll();
    db_traffic_start_ = sampleDbs();
    historyTick();
  }

  void historyTick() {
    auto now = Clock::now();
    while (next_msg_ < total_ && intended(next_msg_) <= now) {
      pending_http_.push_back(next_msg_++);
      ++sent_;
    }
    dispatchHttp();
    if (next_msg_ < total_) {
      timer_.expires_at(intended(next_msg_));
      timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) historyTick();
      });
      return;
    }
    phase_ = Phase::draining;
    armDeadline(std::chrono::milliseconds(static_cast<int64_t>(o_.drain * 1000)), "drain");
    if (acks_ >= sent_) finish();
  }

  void dispatchHttp() {
    while (!pending_http_.empty() && !idle_http_.empty()) {
      int64_t k = pending_http_.front();
      pending_http_.pop_front();
      int c = idle_http_.back();
      idle_http_.pop_back();
      double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
      size_t room = static_cast<size_t>(std::lower_bound(zipf_cdf_.begin(), zipf_cdf_.end(), u) -
                                        zipf_cdf_.begin());
      room = std::min(room, history_rooms_.size() - 1);
      std::string target = "/api/v1/rooms/" + std::to_string(history_rooms_[room]) +
                           "/messages?limit=" + std::to_string(o_.history_messages);
      http_[c]->get(std::move(target), users_[0].token,
                    [this, k, c](int status, size_t bytes) { onHistory(k, c, status, bytes); });
    }
  }

  void onHistory(int64_t k, int c, int status, size_t bytes) {
    ++acks_;
    if (status != 200) {
      if (errors_++ == 0) first_error_ = "HTTP status " + std::to_string(status);
    } else {
      ++received_;
      response_bytes_ += bytes;
    }
    auto now = Clock::now();
    last_delivery_ = now;
    hist_.record(std::chrono::duration_cast<std::chrono::microseconds>(now - intended(k)).count());
    idle_http_.push_back(c);
    if (phase_ == Phase::done) return;
    // Dispatch from a fresh handler: this one may run inside the connection's get().
    asio::post(io_, [this] {
      if (phase_ == Phase::done) return;
      dispatchHttp();
      if (phase_ == Phase::draining && acks_ >= sent_) finish();
    });
  }

  // --------------------------------------------------------------- connections
  asio::ip::address sourceFor(int id) const {
    // 127.0.1.1 .. 127.0.1.N: each source address has its own ephemeral port range.
    uint32_t base = (127u << 24) | (0u << 16) | (1u << 8) | 1u;
    return asio::ip::address_v4(base + static_cast<uint32_t>(id % std::max(1, o_.sources)));
  }

  void openNext() {
    if (next_open_ >= conns_.size()) return;
    int id = static_cast<int>(next_open_++);
    openConn(id);
  }

  void openConn(int id) {
    Conn& c = conns_[id];
    const Url& u = urls_[c.node];
    ++open_count_;
    c.p.step = 0;
    c.ws = openWs(io_, u.endpoint, sourceFor(id), u.host, proto_->wsTarget(), proto_->subprotocol(),
                  proto_->hello(c.p), id, this);
  }

  void onCaughtUp(Conn& c) {
    if (c.ready) return;
    c.ready = true;
    ++ready_;
    if (phase_ == Phase::connecting) {
      openNext();
      if (ready_ == conns_.size()) allConnected();
    } else if (dropping_ && ready_ == conns_.size()) {
      resumed_at_ = Clock::now();
      dropping_ = false;
      maybeFinish();
    }
  }

  void allConnected() {
    connect_seconds_ = secondsSince(connect_started_);
    deadline_.cancel();
    after_connect_ = sampleAll();
    db_after_connect_ = sampleDbs();
    if (o_.scenario == "idle") {
      phase_ = Phase::idle;
      timer_.expires_after(std::chrono::milliseconds(static_cast<int64_t>(o_.duration * 1000)));
      timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) finish();
      });
      return;
    }
    startTraffic();
  }

  // --------------------------------------------------------------- open-loop traffic
  Clock::time_point intended(int64_t k) const {
    return t0_ +
           std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(k) * 1e9 / o_.rate));
  }

  void startTraffic() {
    phase_ = Phase::traffic;
    total_ = std::min<int64_t>(o_.max_messages, static_cast<int64_t>(o_.rate * o_.duration));
    t0_ = Clock::now() + std::chrono::milliseconds(100);
    traffic_start_ = sampleAll();
    db_traffic_start_ = sampleDbs();
    padding_.assign(static_cast<size_t>(std::max(o_.size, 32)), 'x');
    if (o_.scenario == "reconnect") {
      // Drop every receiving connection at once, halfway through the traffic.
      timer2_ = std::make_unique<asio::steady_timer>(io_, intended(total_ / 2));
      timer2_->async_wait([this](boost::system::error_code ec) {
        if (!ec) dropAll();
      });
    }
    tick();
  }

  void tick() {
    auto now = Clock::now();
    while (next_msg_ < total_ && intended(next_msg_) <= now) sendOne(next_msg_++);
    if (next_msg_ < total_) {
      timer_.expires_at(intended(next_msg_));
      timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) tick();
      });
      return;
    }
    phase_ = Phase::draining;
    sending_done_ = Clock::now();
    armDeadline(std::chrono::milliseconds(static_cast<int64_t>(o_.drain * 1000)), "drain");
    maybeFinish();
  }

  void sendOne(int64_t k) {
    int id = senders_[static_cast<size_t>(k % static_cast<int64_t>(senders_.size()))];
    Conn& c = conns_[id];
    // The text carries the message id and its sender: "k.sender.xxxx…" (--size bytes).
    std::string text = std::to_string(k) + "." + std::to_string(id) + ".";
    if (text.size() < padding_.size()) text.append(padding_, 0, padding_.size() - text.size());
    std::string frame = proto_->message(c.p, k, text);
    ++sent_;
    expected_ += c.room_conns - 1;
    if (!c.ws) {
      ++send_dropped_;  // the sender is disconnected: counted, never hidden
      return;
    }
    c.ws->send(std::move(frame));
  }

  void onAck(int64_t k) {
    if (k < 0 || k >= total_) return;
    ++acks_;
    auto now = Clock::now();
    ack_hist_.record(
        std::chrono::duration_cast<std::chrono::microseconds>(now - intended(k)).count());
    maybeFinish();
  }

  // Every protocol: the message id k and its sender come from the text, so that lost and
  // repeated deliveries are counted the same way for every server. Parley's seqs are also
  // checked for gaps (its rooms are gapless and in order on each connection).
  void onEvent(int id, Conn& c, const Inbound& in) {
    if (proto_->orderedSeq() && in.seq >= 0) {
      if (c.last_seq >= 0 && in.seq > c.last_seq + 1) gaps_ += in.seq - c.last_seq - 1;
      if (in.seq > c.last_seq) c.last_seq = in.seq;
    }
    int64_t k = leadingInt(in.text);
    auto dot = in.text.find('.');
    if (k < 0 || k >= total_ || dot == std::string_view::npos) return;
    int64_t sender = leadingInt(in.text.substr(dot + 1));
    if (sender < 0) return;
    if (sender == id) {
      ++self_echoes_;
      if (proto_->echoIsAck()) onAck(k);
      return;
    }
    if (c.seen.empty()) c.seen.resize(static_cast<size_t>(total_));
    if (c.seen[static_cast<size_t>(k)]) {
      ++duplicates_;
      return;
    }
    c.seen[static_cast<size_t>(k)] = true;
    ++received_;
    auto now = Clock::now();
    last_delivery_ = now;
    hist_.record(std::chrono::duration_cast<std::chrono::microseconds>(now - intended(k)).count());
    if ((received_ & 1023) == 0 || received_ >= expected_) maybeFinish();
  }

  void maybeFinish() {
    if (phase_ != Phase::draining || dropping_) return;
    if (received_ >= expected_ && acks_ + send_dropped_ >= sent_) finish();
  }

  // --------------------------------------------------------------- reconnect storm
  void dropAll() {
    dropping_ = true;
    dropped_at_ = Clock::now();
    std::vector<int> victims;
    for (size_t i = 0; i < conns_.size(); ++i) {
      bool is_sender =
          std::find(senders_.begin(), senders_.end(), static_cast<int>(i)) != senders_.end();
      if (!is_sender && conns_[i].ws) victims.push_back(static_cast<int>(i));
    }
    dropped_count_ = victims.size();
    for (int id : victims) {
      conns_[id].ready = false;
      --ready_;
      conns_[id].ws->abort();
    }
  }

  void reconnect(int id) {
    Conn& c = conns_[id];
    c.p.resume_from = c.last_seq >= 0 ? c.last_seq : 0;
    openConn(id);
  }

  // --------------------------------------------------------------- end
  void armDeadline(Clock::duration d, std::string what) {
    deadline_.expires_after(d);
    deadline_.async_wait([this, what](boost::system::error_code ec) {
      if (ec) return;
      if (what == "connect") {
        fatal("timed out connecting: " + std::to_string(ready_) + " of " +
              std::to_string(conns_.size()) + " ready");
        return;
      }
      timed_out_ = true;
      finish();
    });
  }

  void fatal(std::string why) {
    if (phase_ == Phase::done) return;
    result_ = json::object{{"error", why}};
    stopAll();
  }

  void finish() {
    if (phase_ == Phase::done) return;
    auto end = Clock::now();
    auto after = sampleAll();
    db_after_ = sampleDbs();
    json::object r;
    r["scenario"] = o_.scenario;
    r["protocol"] = o_.protocol;
    r["connections"] = conns_.size();
    r["users"] = users_.size();
    r["connect_seconds"] = connect_seconds_;
    r["source_addresses"] = o_.sources;
    r["nodes"] = urls_.size();
    if (o_.scenario == "idle") {
      idleReport(r, after);
    } else if (o_.scenario == "history") {
      historyReport(r, end, after);
    } else {
      trafficReport(r, end, after);
    }
    result_ = std::move(r);
    stopAll();
  }

  void trafficReport(json::object& r, Clock::time_point end, const std::vector<ProcSample>& after) {
    double window =
        std::chrono::duration<double>((last_delivery_ > t0_ ? last_delivery_ : end) - t0_).count();
    double send_window =
        std::chrono::duration<double>(intended(std::max<int64_t>(total_ - 1, 0)) - t0_).count();
    r["rate_target"] = o_.rate;
    r["senders"] = senders_.size();
    r["message_bytes"] = padding_.size();
    r["messages_sent"] = sent_;
    r["acks"] = acks_;
    r["sends_while_disconnected"] = send_dropped_;
    r["deliveries_expected"] = expected_;
    r["deliveries"] = received_;
    r["lost"] = expected_ > received_ ? expected_ - received_ : 0;
    r["duplicates"] = duplicates_;
    r["gaps"] = gaps_;
    r["errors"] = errors_;
    if (!first_error_.empty()) r["first_error"] = first_error_;
    r["unexpected_closes"] = unexpected_closes_;
    if (!first_close_.empty()) r["first_close"] = first_close_;
    r["resyncs"] = resyncs_;
    r["drain_timed_out"] = timed_out_;
    r["send_seconds"] = send_window;
    r["window_seconds"] = window;
    r["msgs_per_second"] = window > 0 ? static_cast<double>(acks_) / window : 0.0;
    r["deliveries_per_second"] = window > 0 ? static_cast<double>(received_) / window : 0.0;
    r["delivery_latency"] = histJson(hist_);
    r["ack_latency"] = histJson(ack_hist_);
    double cpu = 0;
    json::array servers;
    for (size_t i = 0; i < o_.server_pids.size(); ++i) {
      double d = after[i].cpu_seconds - traffic_start_[i].cpu_seconds;
      cpu += d;
      servers.push_back(json::object{{"pid", o_.server_pids[i]},
                                     {"cpu_seconds", d},
                                     {"rss_kib_before", traffic_start_[i].rss_kib},
                                     {"rss_kib_after", after[i].rss_kib}});
    }
    r["servers"] = std::move(servers);
    r["server_cpu_seconds"] = cpu;
    r["deliveries_per_server_cpu_second"] = cpu > 0 ? static_cast<double>(received_) / cpu : 0.0;
    r["msgs_per_server_cpu_second"] = cpu > 0 ? static_cast<double>(acks_) / cpu : 0.0;
    const double all = cpu + dbReport(r, db_traffic_start_, "cpu_seconds");
    r["deliveries_per_server_db_cpu_second"] = all > 0 ? static_cast<double>(received_) / all : 0.0;
    r["msgs_per_server_db_cpu_second"] = all > 0 ? static_cast<double>(acks_) / all : 0.0;
    if (o_.scenario == "reconnect") {
      r["dropped_connections"] = dropped_count_;
      r["resumed"] = resumed_at_ > dropped_at_;
      r["resume_seconds"] = resumed_at_ > dropped_at_
                                ? std::chrono::duration<double>(resumed_at_ - dropped_at_).count()
                                : -1.0;
      // Wall-clock marks, so that samples taken outside (bench/run.py: PostgreSQL's statement
      // counts, the nodes' cache counters) can be split into steady traffic and the storm.
      r["traffic_started_unix_ms"] = unixMs(t0_);
      r["dropped_unix_ms"] = unixMs(dropped_at_);
      if (resumed_at_ > dropped_at_) r["resumed_unix_ms"] = unixMs(resumed_at_);
    }
  }

  void historyReport(json::object& r, Clock::time_point end, const std::vector<ProcSample>& after) {
    double window =
        std::chrono::duration<double>((last_delivery_ > t0_ ? last_delivery_ : end) - t0_).count();
    r["rate_target"] = o_.rate;
    r["rooms"] = o_.rooms;
    r["page_size"] = o_.history_messages;
    r["zipf_s"] = o_.zipf_s;
    r["http_connections"] = o_.http_conns;
    r["requests_scheduled"] = sent_;
    r["requests_completed"] = acks_;
    r["requests_ok"] = received_;
    r["errors"] = errors_;
    if (!first_error_.empty()) r["first_error"] = first_error_;
    r["drain_timed_out"] = timed_out_;
    r["mean_response_bytes"] = received_ ? static_cast<double>(response_bytes_) / received_ : 0.0;
    r["window_seconds"] = window;
    r["requests_per_second"] = window > 0 ? static_cast<double>(received_) / window : 0.0;
    r["request_latency"] = histJson(hist_);
    double cpu = 0;
    json::array servers;
    for (size_t i = 0; i < o_.server_pids.size(); ++i) {
      double d = after[i].cpu_seconds - traffic_start_[i].cpu_seconds;
      cpu += d;
      servers.push_back(json::object{{"pid", o_.server_pids[i]},
                                     {"cpu_seconds", d},
                                     {"rss_kib_before", traffic_start_[i].rss_kib},
                                     {"rss_kib_after", after[i].rss_kib}});
    }
    r["servers"] = std::move(servers);
    r["server_cpu_seconds"] = cpu;
    r["requests_per_server_cpu_second"] = cpu > 0 ? static_cast<double>(received_) / cpu : 0.0;
    const double all = cpu + dbReport(r, db_traffic_start_, "cpu_seconds");
    r["requests_per_server_db_cpu_second"] = all > 0 ? static_cast<double>(received_) / all : 0.0;
  }

  // The databases' CPU since `start` (their process trees), as "databases" and
  // "db_" + `key`; returns the sum. Zero when no --db-pid was given: a server whose
  // storage runs inside its own process (SQLite, ejabberd's Mnesia) has it counted already.
  double dbReport(json::object& r, const std::vector<double>& start, const std::string& key) {
    double sum = 0;
    json::array dbs;
    for (size_t i = 0; i < o_.db_pids.size() && i < start.size() && i < db_after_.size(); ++i) {
      double d = db_after_[i] - start[i];
      sum += d;
      dbs.push_back(json::object{{"pid", o_.db_pids[i]}, {key, d}});
    }
    r["databases"] = std::move(dbs);
    r["db_" + key] = sum;
    r["server_db_" + key] =
        sum + (r.contains("server_" + key) ? r.at("server_" + key).to_number<double>() : 0.0);
    return sum;
  }

  void idleReport(json::object& r, const std::vector<ProcSample>& after) {
    r["idle_seconds"] = o_.duration;
    r["unexpected_closes"] = unexpected_closes_;
    json::array servers;
    long rss_delta = 0;
    double cpu = 0;
    for (size_t i = 0; i < o_.server_pids.size(); ++i) {
      rss_delta += after_connect_[i].rss_kib - before_connect_[i].rss_kib;
      double d = after[i].cpu_seconds - after_connect_[i].cpu_seconds;
      cpu += d;
      servers.push_back(json::object{{"pid", o_.server_pids[i]},
                                     {"rss_kib_before_connect", before_connect_[i].rss_kib},
                                     {"rss_kib_connected", after_connect_[i].rss_kib},
                                     {"rss_kib_after_idle", after[i].rss_kib},
                                     {"cpu_seconds_idle", d}});
    }
    r["servers"] = std::move(servers);
    double n = static_cast<double>(conns_.size());
    r["rss_bytes_per_connection"] = n > 0 ? static_cast<double>(rss_delta) * 1024.0 / n : 0.0;
    r["server_cpu_seconds_idle"] = cpu;
    dbReport(r, db_after_connect_, "cpu_seconds_idle");
    r["cpu_ms_per_connection_per_minute"] =
        n > 0 && o_.duration > 0 ? cpu * 1000.0 / n / (o_.duration / 60.0) : 0.0;
  }

  void stopAll() {
    phase_ = Phase::done;
    stopping_ = true;
    timer_.cancel();
    deadline_.cancel();
    if (timer2_) timer2_->cancel();
    for (auto& h : http_) h->close();
    open_count_ = 0;
    closed_ = 0;
    for (auto& c : conns_)
      if (c.ws) ++open_count_;
    if (open_count_ == 0) {
      io_.stop();
      return;
    }
    for (auto& c : conns_)
      if (c.ws) c.ws->close();
    // Bound the close handshakes; whatever has not closed by then is simply dropped.
    deadline_.expires_after(std::chrono::seconds(3));
    deadline_.async_wait([this](boost::system::error_code ec) {
      if (!ec) io_.stop();
    });
  }

  std::vector<double> sampleDbs() const {
    std::vector<double> out;
    for (pid_t pid : o_.db_pids) out.push_back(sampleProcessTree(pid).value_or(0.0));
    return out;
  }

  std::vector<ProcSample> sampleAll() const {
    std::vector<ProcSample> out;
    for (pid_t pid : o_.server_pids) out.push_back(sampleProcess(pid).value_or(ProcSample{}));
    return out;
  }

  static int64_t unixMs(Clock::time_point t) {
    const auto wall = std::chrono::system_clock::now() - (Clock::now() - t);
    return std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
  }

  static double secondsSince(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  }

  const Options& o_;
  std::unique_ptr<Protocol> proto_;
  std::string muc_;
  std::vector<std::string> replies_;
  std::vector<Url> urls_;
  std::string tag_;
  asio::io_context io_;
  asio::steady_timer timer_;
  asio::steady_timer deadline_;
  std::unique_ptr<asio::steady_timer> timer2_;
  std::vector<User> users_;
  std::vector<Conn> conns_;
  std::vector<int> senders_;
  Phase phase_ = Phase::connecting;
  size_t next_open_ = 0;
  size_t open_count_ = 0;
  size_t closed_ = 0;
  size_t ready_ = 0;
  bool stopping_ = false;
  bool dropping_ = false;
  bool timed_out_ = false;
  Clock::time_point connect_started_, t0_, sending_done_, last_delivery_, dropped_at_, resumed_at_;
  double connect_seconds_ = 0;
  std::vector<ProcSample> before_connect_, after_connect_, traffic_start_;
  std::vector<double> db_after_connect_, db_traffic_start_, db_after_;  // sampleDbs()
  std::string padding_;
  int64_t total_ = 0, next_msg_ = 0;
  uint64_t sent_ = 0, acks_ = 0, send_dropped_ = 0, expected_ = 0, received_ = 0, self_echoes_ = 0;
  uint64_t duplicates_ = 0, gaps_ = 0, errors_ = 0, unexpected_closes_ = 0, resyncs_ = 0;
  size_t dropped_count_ = 0;
  std::string first_error_, first_close_;
  Histogram hist_, ack_hist_;
  std::vector<int64_t> history_rooms_;
  std::vector<double> zipf_cdf_;
  std::vector<HttpConnPtr> http_;
  std::vector<int> idle_http_;
  std::deque<int64_t> pending_http_;
  uint64_t response_bytes_ = 0;
  std::mt19937_64 rng_{42};
  json::object result_;
};

}  // namespace

json::object runScenario(const Options& opts) {
  Bench bench(opts);
  return bench.run();
}

}  // namespace parley_bench
