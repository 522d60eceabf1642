#include "search/net/protocol.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace autoaug::net {
namespace {

using nlohmann::json;

constexpr std::int64_t kIntMax = std::numeric_limits<std::int32_t>::max();
// Characters (code points) in short names and in free-text messages.
constexpr std::int64_t kMaxName = 256;
constexpr std::int64_t kMaxText = 64 * 1024;

enum class Kind {
  kInt,          // a JSON integer in [lo, hi]
  kUint64,       // a JSON integer in [0, 2^64 - 1]
  kNumber,       // a finite JSON number; see NumberRange
  kNumberArray,  // an array of finite JSON numbers
  kString,       // a string of [lo, hi] characters
  kHex64,        // 64 lowercase hex digits
  kObject,       // any JSON object
  kBool,         // true or false
};

enum class NumberRange { kAny, kUnit, kPositive };

struct Field {
  std::string_view name;
  Kind kind;
  bool required = true;
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  NumberRange range = NumberRange::kAny;
};

struct MessageType {
  std::string_view type;
  std::vector<Field> fields;
};

Field integer(std::string_view name, std::int64_t lo, bool required = true) {
  return {name, Kind::kInt, required, lo, kIntMax};
}
Field number(std::string_view name, NumberRange range = NumberRange::kAny, bool required = true) {
  return {name, Kind::kNumber, required, 0, 0, range};
}
Field text(std::string_view name, std::int64_t lo, std::int64_t hi, bool required = true) {
  return {name, Kind::kString, required, lo, hi};
}
Field of_kind(std::string_view name, Kind kind, bool required = true) {
  return {name, kind, required};
}

// Every message type with its fields; PROTOCOL.md documents the same table.
const std::vector<MessageType>& message_types() {
  static const auto* types = new std::vector<MessageType>{
      // Worker to coordinator. `nonce` (hello) and `proof` (challenge) are required by protocol 2,
      // but optional here, so that a protocol 1 hello gets the version error rather than this.
      {"hello",
       {integer("protocol", 0), text("worker", 1, 128), integer("pid", 0, false),
        text("host", 0, kMaxName, false), of_kind("nonce", Kind::kHex64, false)}},
      {"auth", {of_kind("hmac", Kind::kHex64)}},
      {"request", {}},
      {"heartbeat",
       {integer("trial", 0), number("progress", NumberRange::kUnit, false),
        of_kind("values", Kind::kNumberArray, false), text("message", 0, kMaxText, false)}},
      {"result", {integer("trial", 0), number("value"), of_kind("metrics", Kind::kObject, false)}},
      {"failure", {integer("trial", 0), text("message", 0, kMaxText)}},
      {"bye", {}},
      // Coordinator to worker.
      {"challenge",
       {of_kind("nonce", Kind::kHex64), integer("protocol", 0), text("study", 0, kMaxText),
        of_kind("proof", Kind::kHex64, false)}},
      {"welcome",
       {of_kind("objective", Kind::kObject), number("heartbeat_seconds", NumberRange::kPositive),
        number("lease_seconds", NumberRange::kPositive), text("study", 0, kMaxText)}},
      {"lease",
       {integer("trial", 0), of_kind("params", Kind::kObject), of_kind("seed", Kind::kUint64),
        integer("attempt", 1), number("deadline_seconds", NumberRange::kPositive)}},
      {"ack", {integer("trial", 0, false), of_kind("ignored", Kind::kBool, false)}},
      {"cancel", {integer("trial", 0), text("reason", 0, kMaxText)}},
      {"done", {text("reason", 0, kMaxText)}},
      {"error", {text("message", 0, kMaxText)}},
  };
  return *types;
}

[[noreturn]] void fail(std::string_view type, const Field& field, std::string_view what) {
  throw ProtocolError(std::string(type) + ": field '" + std::string(field.name) + "' " +
                      std::string(what));
}

bool is_lower_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Code points in a string the parser has already checked to be valid UTF-8.
std::int64_t utf8_length(const std::string& s) {
  std::int64_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

void check_number(std::string_view type, const Field& field, const json& v) {
  if (!v.is_number()) fail(type, field, "must be a number");
  const double x = v.get<double>();
  if (!std::isfinite(x)) fail(type, field, "must be finite");
  if (field.range == NumberRange::kUnit && !(x >= 0 && x <= 1)) {
    fail(type, field, "must be in [0, 1]");
  }
  if (field.range == NumberRange::kPositive && !(x > 0)) fail(type, field, "must be > 0");
}

void check_field(std::string_view type, const Field& field, const json& v) {
  switch (field.kind) {
    case Kind::kInt: {
      const std::string range = "must be an integer in [" + std::to_string(field.lo) + ", " +
                                std::to_string(field.hi) + "]";
      if (!v.is_number_integer()) fail(type, field, range);
      if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(field.hi)) {
        fail(type, field, range);
      }
      const auto x = v.get<std::int64_t>();
      if (x < field.lo || x > field.hi) fail(type, field, range);
      return;
    }
    case Kind::kUint64:
      if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0)) {
        fail(type, field, "must be an integer in [0, 2^64 - 1]");
      }
      return;
    case Kind::kNumber:
      check_number(type, field, v);
      return;
    case Kind::kNumberArray:
      if (!v.is_array()) fail(type, field, "must be an array of numbers");
      for (const auto& x : v) {
        if (!x.is_number() || !std::isfinite(x.get<double>())) {
          fail(type, field, "must be an array of finite numbers");
        }
      }
      return;
    case Kind::kString: {
      if (!v.is_string()) fail(type, field, "must be a string");
      const std::int64_t n = utf8_length(v.get_ref<const std::string&>());
      if (n < field.lo || n > field.hi) {
        fail(type, field,
             "must have " + std::to_string(field.lo) + " to " + std::to_string(field.hi) +
                 " characters, not " + std::to_string(n));
      }
      return;
    }
    case Kind::kHex64:
      if (!v.is_string() || !is_lower_hex64(v.get_ref<const std::string&>())) {
        fail(type, field, "must be a string of 64 lowercase hex digits");
      }
      return;
    case Kind::kObject:
      if (!v.is_object()) fail(type, field, "must be an object");
      return;
    case Kind::kBool:
      if (!v.is_boolean()) fail(type, field, "must be true or false");
      return;
  }
}

}  // namespace

std::string encode_body(const nlohmann::json& message) {
  return message.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string frame_of(std::string_view body) {
  if (body.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw ProtocolError("message of " + std::to_string(body.size()) +
                        " bytes does not fit in a frame");
  }
  const auto n = static_cast<std::uint32_t>(body.size());
  std::string frame;
  frame.reserve(4 + body.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    frame.push_back(static_cast<char>((n >> shift) & 0xFF));
  frame += body;
  return frame;
}

std::string encode_frame(const nlohmann::json& message) { return frame_of(encode_body(message)); }

std::uint32_t decode_length(const unsigned char header[4], std::uint32_t max_frame) {
  const std::uint32_t n = (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
                          (std::uint32_t{header[2]} << 8) | std::uint32_t{header[3]};
  if (n == 0) throw ProtocolError("empty frame");
  if (n > max_frame) {
    throw FrameTooLarge("frame of " + std::to_string(n) + " bytes exceeds the limit of " +
                        std::to_string(max_frame));
  }
  return n;
}

nlohmann::json parse_message(std::string_view body) {
  const json::parser_callback_t limit_depth = [](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxJsonDepth) {
      throw ProtocolError("message nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    return true;
  };
  // The JSON lexer takes a NUL byte for the end of input and would ignore what follows it; JSON
  // has no place for one (not even inside strings), so refuse it here.
  if (const auto nul = body.find('\0'); nul != std::string_view::npos) {
    throw ProtocolError("malformed JSON: NUL byte at offset " + std::to_string(nul));
  }
  json message;
  try {
    message = json::parse(body.begin(), body.end(), limit_depth);
  } catch (const json::exception& e) {
    throw ProtocolError(std::string("malformed JSON: ") + e.what());
  }
  if (!message.is_object()) throw ProtocolError("message must be a JSON object");
  const auto type_it = message.find("type");
  if (type_it == message.end()) throw ProtocolError("message has no field 'type'");
  if (!type_it->is_string()) throw ProtocolError("message: field 'type' must be a string");
  const auto& type = type_it->get_ref<const std::string&>();
  for (const auto& spec : message_types()) {
    if (spec.type != type) continue;
    for (const auto& field : spec.fields) {
      const auto it = message.find(field.name);
      if (it == message.end()) {
        if (field.required) fail(type, field, "is missing");
        continue;
      }
      check_field(type, field, *it);
    }
    return message;
  }
  std::string shown = type.substr(0, 64);
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
  }
  throw ProtocolError("unknown message type '" + shown + "'");
}

FrameDecoder::FrameDecoder(std::uint32_t max_frame) : max_frame_(max_frame) {}

void FrameDecoder::feed(const char* data, std::size_t n) {
  if (n == 0) return;
  if (offset_ > 0 && offset_ >= buffer_.size() / 2) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  buffer_.append(data, n);
}

std::optional<std::string> FrameDecoder::next_body() {
  if (error_) throw ProtocolError(*error_);
  if (buffered() < 4) return std::nullopt;
  try {
    const auto* header = reinterpret_cast<const unsigned char*>(buffer_.data() + offset_);
    const std::uint32_t n = decode_length(header, max_frame_);
    if (buffered() - 4 < n) return std::nullopt;
    std::string body(buffer_.data() + offset_ + 4, n);
    offset_ += 4 + std::size_t{n};
    return body;
  } catch (const ProtocolError& e) {
    error_ = e.what();
    throw;
  }
}

std::optional<nlohmann::json> FrameDecoder::next() {
  const std::optional<std::string> body = next_body();
  if (!body) return std::nullopt;
  try {
    return parse_message(*body);
  } catch (const ProtocolError& e) {
    error_ = e.what();
    throw;
  }
}

}  // namespace autoaug::net
