#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>

namespace parley::log {
namespace {

spdlog::level::level_enum toSpd(Level l) {
  switch (l) {
    case Level::debug:
      return spdlog::level::debug;
    case Level::info:
      return spdlog::level::info;
    case Level::warn:
      return spdlog::level::warn;
    case Level::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

std::shared_ptr<spdlog::logger>& logger() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto lg = spdlog::stderr_logger_mt("parley");
    // The message is a pre-serialised JSON fragment: "event":"...", more fields.
    lg->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})",
                    spdlog::pattern_time_type::utc);
    lg->flush_on(spdlog::level::info);
    return lg;
  }();
  return l;
}

}  // namespace

void init(Level min_level) { logger()->set_level(toSpd(min_level)); }

void write(Level level, std::string_view event, boost::json::object fields) {
  auto& lg = logger();
  if (!lg->should_log(toSpd(level))) return;
  boost::json::object line;
  line["event"] = event;
  for (auto& kv : fields) line[kv.key()] = std::move(kv.value());
  std::string s = boost::json::serialize(line);
  // Strip the outer braces: the pattern supplies them around ts and level.
  lg->log(toSpd(level), std::string_view(s).substr(1, s.size() - 2));
}

}  // namespace parley::log
