// Runs one coroutine to completion on a private io_context and returns its result.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace parley::testing {

template <class T>
T runSync(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  auto done = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  io.run();
  return done.get();
}

}  // namespace parley::testing
