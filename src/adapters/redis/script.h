// A Lua script run with EVALSHA, falling back to EVAL when Redis answers NOSCRIPT (after a
// restart, SCRIPT FLUSH or a failover). EVAL also loads the script, so the fallback is
// paid once per script per Redis.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "adapters/redis/commands.h"

namespace parley::redis {

class Script {
 public:
  explicit Script(std::string source);
  const std::string& sha() const { return sha_; }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::string sha_;  // hex SHA-1 of source_, as Redis names it
};

struct ScriptCall {
  std::vector<std::string> keys;
  std::vector<std::string> args;
};

// Runs the calls pipelined (one round trip per node, two after a NOSCRIPT) and returns one
// reply per call, in order; a script's own error stays a Reply of type error. Every call
// names at least one key and all of its keys share one slot (the first key routes it).
boost::asio::awaitable<Result<std::vector<Reply>>> evalAll(Commands& redis, const Script& script,
                                                           std::vector<ScriptCall> calls);
boost::asio::awaitable<Result<Reply>> eval(Commands& redis, const Script& script, ScriptCall call);

}  // namespace parley::redis
