#include "search/net/address.h"

#include <exception>
#include <stdexcept>

namespace autoaug::net {

std::pair<std::string, int> parse_host_port(const std::string& text, const std::string& option) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw std::invalid_argument(option + ": expected HOST:PORT, got '" + text + "'");
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  try {
    size_t used = 0;
    port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
  }
  if (port < 0 || port > 65535) {
    throw std::invalid_argument(option + ": '" + text.substr(colon + 1) + "' is not a port");
  }
  return {host, port};
}

std::string local_dial_address(const std::string& host, int port) {
  const std::string dial = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host;
  const bool v6 = dial.find(':') != std::string::npos;
  return (v6 ? "[" + dial + "]" : dial) + ":" + std::to_string(port);
}

}  // namespace autoaug::net
