#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

// The coordinator/worker wire format; search/net/PROTOCOL.md is the full specification.
//
// A connection carries frames in both directions. A frame is a 4-byte big-endian unsigned body
// length N (1 <= N <= the receiver's maximum) followed by N bytes of UTF-8 JSON: one object with a
// string field "type" and the fields of that type. Fields are only ever added: a receiver ignores
// fields it does not know, and rejects types it does not know. kProtocolVersion changes only when
// an existing field or type changes meaning.
namespace autoaug::net {

constexpr int kProtocolVersion = 2;
// Default maximum body length, in bytes of JSON.
constexpr std::uint32_t kDefaultMaxFrame = 1u << 20;
// Nesting depth of JSON arrays and objects a body may have; deeper bodies are rejected before
// they are built, so that copying or dumping a message never recurses deeply.
constexpr int kMaxJsonDepth = 64;

// A frame or message that breaks the protocol. The message names the message type and field.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A frame header announcing a body over the reader's limit: a configuration mismatch (or a
// hostile peer) that reconnecting does not mend.
class FrameTooLarge : public ProtocolError {
 public:
  using ProtocolError::ProtocolError;
};

// The compact JSON body of `message`, as senders write it (and as SessionMac::seal expects it).
// Strings that are not valid UTF-8 (e.g. a command's stderr tail) are written with U+FFFD in place
// of the bad bytes. Does not validate `message`.
std::string encode_body(const nlohmann::json& message);

// The frame carrying `body`: its 4-byte big-endian length, then the body. Throws ProtocolError
// for a body over 4 GiB.
std::string frame_of(std::string_view body);

// frame_of(encode_body(message)): the unsealed frame for `message`.
std::string encode_frame(const nlohmann::json& message);

// The body length in a frame header. Throws FrameTooLarge("frame of N bytes exceeds the limit of
// M") when it is over `max_frame`, and ProtocolError for an empty (0-byte) frame.
std::uint32_t decode_length(const unsigned char header[4], std::uint32_t max_frame);

// Parses and validates one frame body: a JSON object (at most kMaxJsonDepth deep) whose "type" is
// a known message type and whose required fields are present, with the right JSON types and in
// range (see PROTOCOL.md). Extra fields are allowed. Returns the parsed message unchanged. Throws
// ProtocolError naming the type and field, e.g. "result: field 'value' must be a number".
nlohmann::json parse_message(std::string_view body);

// Splits a byte stream into frame bodies or validated messages, for readers that receive
// arbitrary chunks. Not thread-safe. After next() or next_body() has thrown, the stream is out of
// step and the connection should be closed: every later call throws the same error again.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::uint32_t max_frame = kDefaultMaxFrame);

  // Appends received bytes. The decoder keeps them until next() consumes them.
  void feed(const char* data, std::size_t n);
  // The body of the next complete frame, unparsed (e.g. to open a sealed body before parsing
  // it), or nullopt when more bytes are needed. Throws ProtocolError for a frame over the limit
  // or an empty frame.
  std::optional<std::string> next_body();
  // The next complete message: parse_message(next_body()), or nullopt when more bytes are
  // needed. Throws ProtocolError for a frame over the limit, an empty frame or an invalid
  // message.
  std::optional<nlohmann::json> next();
  // Bytes fed and not yet consumed.
  std::size_t buffered() const { return buffer_.size() - offset_; }

 private:
  std::uint32_t max_frame_;
  std::string buffer_;
  std::size_t offset_ = 0;
  std::optional<std::string> error_;
};

}  // namespace autoaug::net
