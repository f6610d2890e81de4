// The scenarios parley-bench runs (docs/benchmarks.md): each sets up users and rooms over
// REST, opens WebSockets, drives or holds traffic, and returns its figures as JSON.
#pragma once

#include <sys/types.h>

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace parley_bench {

struct Options {
  std::string scenario;                   // pairs | fanout | idle | reconnect | history
  std::string protocol = "parley";        // parley | socketio | xmpp (peers: pairs and fanout only)
  std::string xmpp_domain = "localhost";  // xmpp: the users' domain
  std::string muc_service = "";           // xmpp: rooms' service ("" = conference.DOMAIN)
  std::string password = "parley-bench-password";  // xmpp: the registered users' password
  std::vector<std::string> urls;  // http://127.x.y.z:PORT; WebSockets spread over them
  std::vector<pid_t> server_pids;
  // Database processes (PostgreSQL's postmaster, a Redis server) whose whole process trees'
  // CPU is sampled over the same window as the servers': reported as db_cpu_seconds and in
  // the "per server+database CPU second" figures.
  std::vector<pid_t> db_pids;
  int pairs = 10;          // pairs: number of 1:1 pairs
  int members = 100;       // fanout, reconnect: users in the room
  int conns_per_user = 1;  // fanout, idle, reconnect: WebSockets per user
  int conns = 100;         // idle: WebSockets in all
  int users = 0;           // idle: users they belong to (0: min(conns, 50))
  int senders = 1;         // fanout, reconnect: members that send
  double rate = 100;       // messages per second, all senders together
  double duration = 5;     // seconds of traffic (idle: seconds held idle)
  int size = 200;          // message text bytes
  int64_t max_messages = 1000000;
  double drain = 5;       // seconds to wait for the last deliveries
  int sources = 8;        // 127.0.1.x source addresses for WebSockets
  int setup_threads = 4;  // parallel REST clients during set-up
  int connect_parallel = 256;
  int rooms = 100;            // history: rooms read
  int history_messages = 50;  // history: messages posted to each room, and the page size read
  int http_conns = 32;        // history: keep-alive HTTP connections
  double zipf_s = 1.0;        // history: Zipf exponent of room popularity
  // fanout, reconnect, idle: users and room saved by an earlier set-up against a copy of the
  // same data (reused when the file exists, written after set-up when it does not).
  std::string setup_file;
  bool setup_only = false;  // stop after set-up (and writing setup_file)
};

// Runs the scenario to completion (bounded by the options' times) and returns its report.
// Throws std::runtime_error when set-up fails.
boost::json::object runScenario(const Options& opts);

}  // namespace parley_bench
