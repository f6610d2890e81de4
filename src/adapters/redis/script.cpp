#include "adapters/redis/script.h"

#include <boost/uuid/detail/sha1.hpp>
#include <cassert>
#include <cstdio>
#include <utility>

namespace parley::redis {
namespace {

Args command(const char* verb, const std::string& script, const ScriptCall& call) {
  Args args;
  args.reserve(3 + call.keys.size() + call.args.size());
  args.emplace_back(verb);
  args.push_back(script);
  args.push_back(std::to_string(call.keys.size()));
  args.insert(args.end(), call.keys.begin(), call.keys.end());
  args.insert(args.end(), call.args.begin(), call.args.end());
  return args;
}

bool isNoScript(const Reply& r) { return r.isError() && r.str.rfind("NOSCRIPT", 0) == 0; }

}  // namespace

Script::Script(std::string source) : source_(std::move(source)) {
  boost::uuids::detail::sha1 sha1;
  sha1.process_bytes(source_.data(), source_.size());
  boost::uuids::detail::sha1::digest_type digest;
  sha1.get_digest(digest);
  char buf[41];
  for (int i = 0; i < 5; ++i) std::snprintf(buf + 8 * i, 9, "%08x", digest[i]);
  sha_.assign(buf, 40);
}

boost::asio::awaitable<Result<std::vector<Reply>>> evalAll(Commands& redis, const Script& script,
                                                           std::vector<ScriptCall> calls) {
  std::vector<Args> batch;
  std::vector<std::string> keys;
  batch.reserve(calls.size());
  for (const auto& c : calls) {
    assert(!c.keys.empty());  // every Parley script names its key (routing needs it)
    batch.push_back(command("EVALSHA", script.sha(), c));
    keys.push_back(c.keys.front());
  }
  std::vector<std::string> route = keys;  // named local (g++ 12: src/README.md)
  auto got = co_await redis.requestAll(std::move(route), std::move(batch));
  if (!got) co_return got;

  std::vector<std::size_t> retry;
  std::vector<Args> again;
  std::vector<std::string> again_keys;
  for (std::size_t i = 0; i < got->size(); ++i) {
    if (!isNoScript((*got)[i])) continue;
    retry.push_back(i);
    again.push_back(command("EVAL", script.source(), calls[i]));
    again_keys.push_back(keys[i]);
  }
  if (retry.empty()) co_return got;
  // A NOSCRIPT reply means the script did not run, so running it now is not a repeat.
  auto second = co_await redis.requestAll(std::move(again_keys), std::move(again));
  if (!second) co_return second.error();
  for (std::size_t j = 0; j < retry.size(); ++j) (*got)[retry[j]] = std::move((*second)[j]);
  co_return got;
}

boost::asio::awaitable<Result<Reply>> eval(Commands& redis, const Script& script, ScriptCall call) {
  std::vector<ScriptCall> calls;
  calls.push_back(std::move(call));
  auto got = co_await evalAll(redis, script, std::move(calls));
  if (!got) co_return got.error();
  co_return std::move(got->front());
}

}  // namespace parley::redis
