// Runs one coroutine to completion on a private io_context, for tests of coroutine APIs.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <utility>

namespace parley::testing {

template <class T>
T await(boost::asio::awaitable<T> a) {
  boost::asio::io_context ioc;
  auto done = boost::asio::co_spawn(ioc, std::move(a), boost::asio::use_future);
  ioc.run();
  return done.get();
}

}  // namespace parley::testing
