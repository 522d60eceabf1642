#pragma once

// The one way search/net includes Boost.Asio (its ssl streams included). Debian's Boost 1.74
// `awaitable.hpp` uses std::exchange without including <utility>, so it must come first.

#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

namespace autoaug::net {
namespace asio = boost::asio;
}  // namespace autoaug::net
