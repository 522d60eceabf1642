// libFuzzer target for the wire protocol: arbitrary bytes go through FrameDecoder (whole and in
// chunks whose sizes come from the input) and straight into parse_message. Only ProtocolError
// may come out; anything else (a crash, a sanitizer report, another exception) is a finding.
// Build and run with tools/fuzz.sh.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "search/net/protocol.h"

namespace {

using autoaug::net::FrameDecoder;
using autoaug::net::ProtocolError;

// A valid message must survive encode -> decode unchanged.
void check_round_trip(const nlohmann::json& message) {
  const std::string frame = autoaug::net::encode_frame(message);
  if (autoaug::net::parse_message(std::string_view(frame).substr(4)) != message) std::abort();
}

// False once the decoder has failed (it would only throw the same error again).
bool drain(FrameDecoder& decoder) {
  try {
    while (auto message = decoder.next()) check_round_trip(*message);
    return true;
  } catch (const ProtocolError&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto* bytes = reinterpret_cast<const char*>(data);
  try {
    check_round_trip(autoaug::net::parse_message(std::string_view(bytes, size)));
  } catch (const ProtocolError&) {
  }

  // A small limit so that the length check is reached often.
  FrameDecoder whole(4096);
  whole.feed(bytes, size);
  drain(whole);

  // The first byte picks a chunk size; the decoder must not care how the stream is cut.
  if (size > 1) {
    const std::size_t chunk = 1 + data[0] % 16;
    FrameDecoder chunked(4096);
    for (std::size_t pos = 1; pos < size; pos += chunk) {
      chunked.feed(bytes + pos, std::min(chunk, size - pos));
      if (!drain(chunked)) break;
    }
  }
  return 0;
}
