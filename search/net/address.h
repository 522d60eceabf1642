#pragma once

// HOST:PORT as the command line gives it, and the address a local process dials to reach a
// coordinator listening on a host.

#include <string>
#include <utility>

namespace autoaug::net {

// "HOST:PORT" (an IPv6 host in brackets, "[::1]:7300") as host and port. Throws
// std::invalid_argument naming `option` for a missing colon, an empty host or a port outside
// 0..65535.
std::pair<std::string, int> parse_host_port(const std::string& text, const std::string& option);

// HOST:PORT where a process on this machine reaches a coordinator listening on `host`: the host
// itself, or the loopback address for a wildcard ("0.0.0.0", "::"). IPv6 hosts in brackets.
std::string local_dial_address(const std::string& host, int port);

}  // namespace autoaug::net
