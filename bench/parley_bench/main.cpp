// parley-bench: an open-loop WebSocket load generator for Parley (docs/benchmarks.md).
//
//   parley-bench SCENARIO --url http://127.0.0.1:PORT [--server-pid PID]... [options]
//
// SCENARIO is pairs (S2), fanout (S3), idle (S1), history (S4) or reconnect (S5). With --protocol
// socketio or xmpp, pairs and fanout run against the peers in bench/peers/. The report goes
// to stdout as a table and, with --json FILE, to FILE. Exit status: 0 when the run finished, 1 when
// it could not be set up or run, 2 on bad arguments.
#include <sys/resource.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include "scenario.h"

namespace json = boost::json;
using parley_bench::Options;

namespace {

const char* kUsage =
    R"(usage: parley-bench pairs|fanout|idle|reconnect|history --url http://127.0.0.1:PORT [options]
  --protocol P         parley | socketio | xmpp (peers: pairs and fanout only)   [parley]
  --xmpp-domain D      xmpp: the users' domain                                   [localhost]
  --muc-service S      xmpp: the rooms' service                     [conference.DOMAIN]
  --url URL            server to load (repeat for several nodes: WebSockets spread over them;
                       set-up REST calls go to the first); only 127.0.0.0/8
  --server-pid PID     server process to sample in /proc (repeatable)
  --db-pid PID         database process whose process tree's CPU is sampled over the same
                       window (repeatable: PostgreSQL's postmaster, redis-server)
  --json FILE          write the report as JSON
  --rate R             messages per second, all senders together (open loop)   [100]
  --duration S         seconds of traffic; idle: seconds held idle               [5]
  --max-messages N     bound on messages sent                                    [1000000]
  --size B             message text bytes                                        [200]
  --drain S            seconds to wait for the last deliveries                   [5]
  --pairs N            pairs: 1:1 pairs, each side sends                         [10]
  --members N          fanout, reconnect: users in the one room                  [100]
  --conns-per-user N   fanout, reconnect: WebSockets per member                  [1]
  --senders N          fanout, reconnect: members that send                      [1]
  --conns N            idle: WebSockets in all                                   [100]
  --users N            idle: users they belong to (0: min(conns, 50))            [0]
  --sources N          127.0.1.x source addresses for WebSockets                 [8]
  --setup-threads N    parallel REST clients during set-up                       [4]
  --rooms N            history: rooms, chosen by Zipf popularity                 [100]
  --history-messages N history: messages per room, and the page read             [50]
  --http-conns N       history: keep-alive HTTP connections                      [32]
  --zipf S             history: Zipf exponent                                    [1.0]
  --setup-file F       fanout, reconnect, idle: reuse the users and room saved in F (tokens
                       included) by a set-up against a copy of the same data; without F,
                       set up and save them to F
  --setup-only 1       stop after set-up (with --setup-file: after saving it)
)";

bool parseArgs(int argc, char** argv, Options& o, std::string& json_path) {
  if (argc < 2) return false;
  o.scenario = argv[1];
  std::map<std::string, std::function<void(const char*)>> flags{
      {"--url", [&](const char* v) { o.urls.emplace_back(v); }},
      {"--protocol", [&](const char* v) { o.protocol = v; }},
      {"--xmpp-domain", [&](const char* v) { o.xmpp_domain = v; }},
      {"--muc-service", [&](const char* v) { o.muc_service = v; }},
      {"--server-pid", [&](const char* v) { o.server_pids.push_back(std::stoi(v)); }},
      {"--db-pid", [&](const char* v) { o.db_pids.push_back(std::stoi(v)); }},
      {"--json", [&](const char* v) { json_path = v; }},
      {"--rate", [&](const char* v) { o.rate = std::stod(v); }},
      {"--duration", [&](const char* v) { o.duration = std::stod(v); }},
      {"--max-messages", [&](const char* v) { o.max_messages = std::stoll(v); }},
      {"--size", [&](const char* v) { o.size = std::stoi(v); }},
      {"--drain", [&](const char* v) { o.drain = std::stod(v); }},
      {"--pairs", [&](const char* v) { o.pairs = std::stoi(v); }},
      {"--members", [&](const char* v) { o.members = std::stoi(v); }},
      {"--conns-per-user", [&](const char* v) { o.conns_per_user = std::stoi(v); }},
      {"--senders", [&](const char* v) { o.senders = std::stoi(v); }},
      {"--conns", [&](const char* v) { o.conns = std::stoi(v); }},
      {"--users", [&](const char* v) { o.users = std::stoi(v); }},
      {"--sources", [&](const char* v) { o.sources = std::stoi(v); }},
      {"--rooms", [&](const char* v) { o.rooms = std::stoi(v); }},
      {"--history-messages", [&](const char* v) { o.history_messages = std::stoi(v); }},
      {"--http-conns", [&](const char* v) { o.http_conns = std::stoi(v); }},
      {"--zipf", [&](const char* v) { o.zipf_s = std::stod(v); }},
      {"--setup-threads", [&](const char* v) { o.setup_threads = std::stoi(v); }},
      {"--setup-file", [&](const char* v) { o.setup_file = v; }},
      {"--setup-only", [&](const char* v) { o.setup_only = std::stoi(v) != 0; }},
  };
  for (int i = 2; i < argc; i += 2) {
    auto it = flags.find(argv[i]);
    if (it == flags.end() || i + 1 >= argc) {
      std::fprintf(stderr, "parley-bench: unknown or incomplete option %s\n", argv[i]);
      return false;
    }
    try {
      it->second(argv[i + 1]);
    } catch (const std::exception&) {
      std::fprintf(stderr, "parley-bench: bad value for %s: %s\n", argv[i], argv[i + 1]);
      return false;
    }
  }
  bool positive = o.rate > 0 && o.duration > 0 && o.pairs > 0 && o.members > 1 &&
                  o.conns_per_user > 0 && o.senders > 0 && o.conns > 0 && o.sources > 0 &&
                  o.sources < 255 && o.size > 0 && o.max_messages > 0 && o.rooms > 0 &&
                  o.history_messages > 0 && o.http_conns > 0;
  bool protocol = o.protocol == "parley" || o.protocol == "socketio" || o.protocol == "xmpp";
  return !o.urls.empty() && positive && protocol;
}

double num(const json::object& o, const char* key) {
  auto* v = o.if_contains(key);
  if (!v) return 0;
  return v->is_double() ? v->get_double() : static_cast<double>(v->to_number<int64_t>());
}

void printTable(const json::object& r) {
  std::printf("%-34s %s\n", "scenario", json::value_to<std::string>(r.at("scenario")).c_str());
  for (const char* key : {"nodes",
                          "users",
                          "connections",
                          "connect_seconds",
                          "rate_target",
                          "messages_sent",
                          "acks",
                          "deliveries_expected",
                          "deliveries",
                          "lost",
                          "duplicates",
                          "gaps",
                          "errors",
                          "unexpected_closes",
                          "window_seconds",
                          "msgs_per_second",
                          "deliveries_per_second",
                          "server_cpu_seconds",
                          "deliveries_per_server_cpu_second",
                          "msgs_per_server_cpu_second",
                          "db_cpu_seconds",
                          "deliveries_per_server_db_cpu_second",
                          "msgs_per_server_db_cpu_second",
                          "dropped_connections",
                          "resume_seconds",
                          "rss_bytes_per_connection",
                          "server_cpu_seconds_idle",
                          "cpu_ms_per_connection_per_minute",
                          "requests_completed",
                          "requests_ok",
                          "requests_per_second",
                          "requests_per_server_cpu_second",
                          "requests_per_server_db_cpu_second",
                          "db_cpu_seconds_idle"}) {
    if (r.contains(key)) std::printf("%-34s %.6g\n", key, num(r, key));
  }
  for (const char* h : {"delivery_latency", "ack_latency", "request_latency"}) {
    if (!r.contains(h)) continue;
    const auto& o = r.at(h).as_object();
    std::printf("%-34s n=%.0f p50=%.2f p90=%.2f p99=%.2f p99.9=%.2f max=%.2f ms\n", h,
                num(o, "count"), num(o, "p50_us") / 1e3, num(o, "p90_us") / 1e3,
                num(o, "p99_us") / 1e3, num(o, "p999_us") / 1e3, num(o, "max_us") / 1e3);
  }
  if (r.contains("servers")) {
    for (const auto& s : r.at("servers").as_array())
      std::printf("%-34s %s\n", "server", json::serialize(s).c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  // One descriptor per socket: use the whole hard limit on open files.
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  Options opts;
  std::string json_path;
  if (!parseArgs(argc, argv, opts, json_path)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  json::object report;
  try {
    report = parley_bench::runScenario(opts);
  } catch (const std::exception& e) {
    report = json::object{{"error", e.what()}};
  }
  report["scenario"] = opts.scenario;
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << json::serialize(report) << "\n";
  }
  if (report.contains("error")) {
    std::fprintf(stderr, "parley-bench: %s\n",
                 json::value_to<std::string>(report.at("error")).c_str());
    return 1;
  }
  printTable(report);
  return 0;
}
