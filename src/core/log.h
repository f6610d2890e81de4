// Structured logging: one JSON object per line on stderr.
//
// Callers pass an event name and a JSON object of fields. Never put message text, tokens
// or password material in a field: logs are not encrypted at rest.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

namespace parley::log {

enum class Level { debug, info, warn, error };

void init(Level min_level);
void write(Level level, std::string_view event, boost::json::object fields = {});

inline void info(std::string_view event, boost::json::object fields = {}) {
  write(Level::info, event, std::move(fields));
}
inline void warn(std::string_view event, boost::json::object fields = {}) {
  write(Level::warn, event, std::move(fields));
}
inline void error(std::string_view event, boost::json::object fields = {}) {
  write(Level::error, event, std::move(fields));
}
inline void debug(std::string_view event, boost::json::object fields = {}) {
  write(Level::debug, event, std::move(fields));
}

}  // namespace parley::log
