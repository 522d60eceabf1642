#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "search/net/auth.h"
#include "search/net/protocol.h"

namespace autoaug::net {
namespace {

using nlohmann::json;

// The test vectors in PROTOCOL.md, "Test vectors".
constexpr char kVectorToken[] = "autoaug-example-token-0123456789";
constexpr char kVectorCoordinatorNonce[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr char kVectorWorkerNonce[] =
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
constexpr char kVectorProof[] = "ac57db2174f9ea5b0c1fbafb610ac6d98098dfe4fb7552a65e5fb71968031507";
constexpr char kVectorHmac[] = "ea3186a4141a65aade074237f24bb780608b70b371cc306316823941062adb3c";
constexpr char kVectorSessionKey[] =
    "2ad0ff9b4c143cc32b4271bb95728721849ffa5982402d968c0fb8057ec2fff5";
constexpr char kVectorWelcome[] =
    R"({"type":"welcome","objective":{"kind":"command","command":"python3 train.py",)"
    R"("timeout_seconds":0},"heartbeat_seconds":10,"lease_seconds":60,"study":"cifar-policy"})";
constexpr char kVectorWelcomeMac[] =
    "f504af7c0f82354a5f943eff535e6ed12a0191625bf6dfc7925b23e2d40061dd";
constexpr char kVectorRequestSealed[] =
    R"({"type":"request","mac":"71d251f58a5196bfe6e1c6e77a1eea5058e1499638457663d88e2ccb91cd13c1"})";

std::string body_error(std::string_view body) {
  try {
    parse_message(body);
  } catch (const ProtocolError& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string error_of(const json& message) { return body_error(message.dump()); }

struct Example {
  json message;  // every field, optional ones included
  std::set<std::string> required;
};

// One valid message of every type.
std::vector<Example> examples() {
  const std::string hex(64, 'a');
  return {
      {{{"type", "hello"},
        {"protocol", 2},
        {"worker", "w1"},
        {"pid", 42},
        {"host", "node7"},
        {"nonce", hex}},
       {"protocol", "worker"}},
      {{{"type", "auth"}, {"hmac", hex}}, {"hmac"}},
      {{{"type", "request"}}, {}},
      {{{"type", "heartbeat"},
        {"trial", 3},
        {"progress", 0.5},
        {"values", {0.9, 0.8}},
        {"message", "epoch 2"}},
       {"trial"}},
      {{{"type", "result"}, {"trial", 3}, {"value", -0.25}, {"metrics", {{"acc", 0.9}}}},
       {"trial", "value"}},
      {{{"type", "failure"}, {"trial", 3}, {"message", "out of memory"}}, {"trial", "message"}},
      {{{"type", "bye"}}, {}},
      {{{"type", "challenge"}, {"nonce", hex}, {"protocol", 2}, {"study", "s"}, {"proof", hex}},
       {"nonce", "protocol", "study"}},
      {{{"type", "welcome"},
        {"objective", {{"kind", "command"}, {"command", "echo 1"}, {"timeout_seconds", 0}}},
        {"heartbeat_seconds", 5},
        {"lease_seconds", 30.5},
        {"study", "s"}},
       {"objective", "heartbeat_seconds", "lease_seconds", "study"}},
      {{{"type", "lease"},
        {"trial", 0},
        {"params", {{"x", 0.5}}},
        {"seed", 18446744073709551615ull},
        {"attempt", 1},
        {"deadline_seconds", 30}},
       {"trial", "params", "seed", "attempt", "deadline_seconds"}},
      {{{"type", "ack"}, {"trial", 3}, {"ignored", true}}, {}},
      {{{"type", "cancel"}, {"trial", 3}, {"reason", "lease expired"}}, {"trial", "reason"}},
      {{{"type", "done"}, {"reason", "study finished"}}, {"reason"}},
      {{{"type", "error"}, {"message", "bad token"}}, {"message"}},
  };
}

TEST(NetProtocolTest, FrameIsBigEndianLengthThenCompactJson) {
  const json message = {{"type", "result"}, {"trial", 7}, {"value", 1.5}};
  const std::string frame = encode_frame(message);
  const std::string body = message.dump();
  ASSERT_EQ(frame.size(), 4 + body.size());
  EXPECT_EQ(frame.substr(0, 4), std::string({0, 0, 0, static_cast<char>(body.size())}));
  EXPECT_EQ(frame.substr(4), body);
  const auto* header = reinterpret_cast<const unsigned char*>(frame.data());
  EXPECT_EQ(decode_length(header, kDefaultMaxFrame), body.size());
  EXPECT_EQ(parse_message(frame.substr(4)), message);
}

TEST(NetProtocolTest, LengthLimits) {
  const unsigned char zero[4] = {0, 0, 0, 0};
  const unsigned char one[4] = {0, 0, 0, 1};
  const unsigned char max[4] = {0, 0x10, 0, 0};
  const unsigned char over[4] = {0, 0x10, 0, 1};
  const unsigned char huge[4] = {0xFF, 0xFF, 0xFF, 0xFF};
  EXPECT_THROW(decode_length(zero, kDefaultMaxFrame), ProtocolError);
  EXPECT_EQ(decode_length(one, kDefaultMaxFrame), 1u);
  EXPECT_EQ(decode_length(max, kDefaultMaxFrame), kDefaultMaxFrame);
  try {
    decode_length(over, kDefaultMaxFrame);
    FAIL() << "accepted a frame over the limit";
  } catch (const ProtocolError& e) {
    EXPECT_STREQ(e.what(), "frame of 1048577 bytes exceeds the limit of 1048576");
  }
  EXPECT_THROW(decode_length(huge, kDefaultMaxFrame), ProtocolError);
  EXPECT_EQ(decode_length(huge, 0xFFFFFFFFu), 0xFFFFFFFFu);
}

TEST(NetProtocolTest, EveryExampleIsValidAndRoundTrips) {
  for (const auto& e : examples()) {
    const std::string frame = encode_frame(e.message);
    EXPECT_EQ(parse_message(frame.substr(4)), e.message) << e.message.dump();
  }
}

TEST(NetProtocolTest, MissingRequiredFieldIsNamedAndOptionalOnesMayBeLeftOut) {
  for (const auto& e : examples()) {
    const std::string type = e.message["type"];
    for (const auto& [key, value] : e.message.items()) {
      if (key == "type") continue;
      json m = e.message;
      m.erase(key);
      if (e.required.count(key)) {
        EXPECT_EQ(error_of(m), type + ": field '" + key + "' is missing");
      } else {
        EXPECT_EQ(error_of(m), "(accepted)") << type << " without " << key;
      }
    }
  }
}

TEST(NetProtocolTest, WrongTypedFieldIsNamed) {
  for (const auto& e : examples()) {
    const std::string type = e.message["type"];
    for (const auto& [key, value] : e.message.items()) {
      if (key == "type") continue;
      for (const json& wrong : {json(true), json::array({"x"}), json(nullptr), json{{"k", 1}}}) {
        if (wrong.type() == value.type()) continue;
        json m = e.message;
        m[key] = wrong;
        EXPECT_EQ(error_of(m).rfind(type + ": field '" + key + "' must be", 0), 0u)
            << m.dump() << " -> " << error_of(m);
      }
    }
  }
  EXPECT_EQ(error_of(json{{"type", "result"}, {"trial", 1}, {"value", "0.5"}}),
            "result: field 'value' must be a number");
}

TEST(NetProtocolTest, RangesAreChecked) {
  const auto with = [](const char* type, json fields) {
    fields["type"] = type;
    return error_of(fields);
  };
  const std::string hex(64, 'a');
  EXPECT_EQ(with("failure", {{"trial", -1}, {"message", ""}}),
            "failure: field 'trial' must be an integer in [0, 2147483647]");
  EXPECT_NE(with("failure", {{"trial", 2147483648ll}, {"message", ""}}), "(accepted)");
  EXPECT_NE(with("failure", {{"trial", 1.0}, {"message", ""}}), "(accepted)");
  EXPECT_EQ(with("failure", {{"trial", 2147483647}, {"message", ""}}), "(accepted)");
  EXPECT_NE(body_error(R"({"type":"result","trial":1,"value":1e400})"), "(accepted)");
  EXPECT_EQ(with("heartbeat", {{"trial", 1}, {"progress", 1.5}}),
            "heartbeat: field 'progress' must be in [0, 1]");
  EXPECT_EQ(with("heartbeat", {{"trial", 1}, {"progress", 1}}), "(accepted)");
  EXPECT_EQ(with("heartbeat", {{"trial", 1}, {"values", {1, "x"}}}),
            "heartbeat: field 'values' must be an array of finite numbers");
  EXPECT_EQ(with("heartbeat", {{"trial", 1}, {"values", json::array()}}), "(accepted)");
  json lease = examples()[9].message;
  lease["attempt"] = 0;
  EXPECT_EQ(error_of(lease), "lease: field 'attempt' must be an integer in [1, 2147483647]");
  lease["attempt"] = 2;
  lease["deadline_seconds"] = 0;
  EXPECT_EQ(error_of(lease), "lease: field 'deadline_seconds' must be > 0");
  lease["deadline_seconds"] = 1;
  lease["seed"] = -1;
  EXPECT_NE(error_of(lease), "(accepted)");
  lease["seed"] = 0;
  EXPECT_EQ(error_of(lease), "(accepted)");
  EXPECT_EQ(with("hello", {{"protocol", 1}, {"worker", ""}}),
            "hello: field 'worker' must have 1 to 128 characters, not 0");
  EXPECT_NE(with("hello", {{"protocol", 1}, {"worker", std::string(129, 'w')}}), "(accepted)");
  std::string umlauts;
  for (int i = 0; i < 128; ++i) umlauts += "\xc3\xbc";
  EXPECT_EQ(with("hello", {{"protocol", 1}, {"worker", umlauts}}), "(accepted)");
  std::string upper = hex;
  upper[0] = 'A';
  EXPECT_EQ(with("auth", {{"hmac", upper}}),
            "auth: field 'hmac' must be a string of 64 lowercase hex digits");
  EXPECT_NE(with("auth", {{"hmac", hex.substr(1)}}), "(accepted)");
  EXPECT_NE(with("challenge", {{"nonce", hex + "a"}, {"protocol", 1}, {"study", ""}}),
            "(accepted)");
}

TEST(NetProtocolTest, EnvelopeErrors) {
  EXPECT_EQ(error_of(json{{"type", "launch"}}), "unknown message type 'launch'");
  EXPECT_EQ(error_of(json{{"trial", 1}}), "message has no field 'type'");
  EXPECT_EQ(error_of(json{{"type", 3}}), "message: field 'type' must be a string");
  EXPECT_EQ(body_error("[1, 2]"), "message must be a JSON object");
  EXPECT_EQ(body_error("\"request\""), "message must be a JSON object");
  EXPECT_EQ(body_error("{\"type\":\"request\"").rfind("malformed JSON: ", 0), 0u);
  EXPECT_EQ(body_error("{\"type\":\"request\"} x").rfind("malformed JSON: ", 0), 0u);
  EXPECT_EQ(body_error("{\"type\":\"bye\",\"note\":\"\xff\xfe\"}").rfind("malformed JSON: ", 0),
            0u);
  EXPECT_EQ(body_error(std::string_view("{\"type\":\"bye\"}\0", 15)).rfind("malformed JSON", 0),
            0u);
  EXPECT_EQ(error_of(json{{"type", "bye"}, {"future_field", {1, 2}}}), "(accepted)");
}

TEST(NetProtocolTest, NestingDepthIsBounded) {
  const auto nested = [](int depth) {
    // The message object is level 1; `depth - 1` arrays inside it.
    return R"({"type":"bye","x":)" + std::string(depth - 1, '[') + std::string(depth - 1, ']') +
           "}";
  };
  EXPECT_EQ(body_error(nested(kMaxJsonDepth)), "(accepted)");
  EXPECT_EQ(body_error(nested(kMaxJsonDepth + 1)), "message nests deeper than 64 levels");
  EXPECT_NE(body_error(nested(200000)), "(accepted)");
}

TEST(NetProtocolTest, InvalidUtf8IsReplacedWhenEncoding) {
  const json message = {{"type", "failure"}, {"trial", 1}, {"message", "tail \xff\xfe end"}};
  const std::string frame = encode_frame(message);
  const json back = parse_message(frame.substr(4));
  EXPECT_EQ(back["message"], "tail \xef\xbf\xbd\xef\xbf\xbd end");
}

std::string stream_of_examples() {
  std::string stream;
  for (const auto& e : examples()) stream += encode_frame(e.message);
  return stream;
}

TEST(NetFrameDecoderTest, ByteByByte) {
  const std::string stream = stream_of_examples();
  FrameDecoder decoder;
  std::vector<json> got;
  for (const char c : stream) {
    decoder.feed(&c, 1);
    while (auto m = decoder.next()) got.push_back(std::move(*m));
  }
  ASSERT_EQ(got.size(), examples().size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], examples()[i].message);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(NetFrameDecoderTest, RandomChunks) {
  std::string stream;
  for (int i = 0; i < 20; ++i) stream += stream_of_examples();
  std::mt19937 rng(20240611);
  FrameDecoder decoder;
  std::size_t count = 0;
  for (std::size_t pos = 0; pos < stream.size();) {
    const std::size_t n =
        std::min(stream.size() - pos, std::uniform_int_distribution<std::size_t>(0, 300)(rng));
    decoder.feed(stream.data() + pos, n);
    pos += n;
    while (auto m = decoder.next()) {
      EXPECT_EQ(*m, examples()[count % examples().size()].message);
      ++count;
    }
  }
  EXPECT_EQ(count, 20 * examples().size());
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(NetFrameDecoderTest, NextBodyGivesTheRawBytes) {
  const std::string body = R"({ "type" : "bye", "b": 2, "a": 1 })";  // as sent, not re-dumped
  const json message = {{"type", "request"}};
  EXPECT_EQ(encode_frame(message), frame_of(encode_body(message)));
  const std::string stream = frame_of(body) + encode_frame(message);
  FrameDecoder decoder;
  decoder.feed(stream.data(), stream.size() - 1);
  EXPECT_EQ(decoder.next_body(), body);
  EXPECT_EQ(decoder.next_body(), std::nullopt);
  decoder.feed(stream.data() + stream.size() - 1, 1);
  EXPECT_EQ(decoder.next(), message);
  const std::string over = std::string("\0\x10\0\x01", 4);
  decoder.feed(over.data(), over.size());
  EXPECT_THROW(decoder.next_body(), ProtocolError);
  EXPECT_THROW(decoder.next(), ProtocolError);  // the error sticks for both
}

TEST(NetFrameDecoderTest, PartialFrameWaitsAndOverLimitFails) {
  FrameDecoder decoder(16);
  const std::string frame = encode_frame({{"type", "bye"}});  // 14-byte body
  decoder.feed(frame.data(), frame.size() - 1);
  EXPECT_EQ(decoder.next(), std::nullopt);
  EXPECT_EQ(decoder.buffered(), frame.size() - 1);
  decoder.feed(frame.data() + frame.size() - 1, 1);
  EXPECT_EQ(decoder.next(), json({{"type", "bye"}}));
  const std::string big = encode_frame({{"type", "error"}, {"message", "seventeen"}});
  decoder.feed(big.data(), 4);
  EXPECT_THROW(decoder.next(), ProtocolError);
  // The stream is out of step: the error sticks.
  decoder.feed(frame.data(), frame.size());
  EXPECT_THROW(decoder.next(), ProtocolError);
}

TEST(NetFrameDecoderTest, GarbageOnlyEverThrowsProtocolError) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  const std::string valid = encode_frame(examples()[4].message);
  int errors = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string data = valid;
    // Flip a few bytes of a valid frame, or make pure noise with a small length prefix.
    if (round % 2 == 0) {
      for (int k = 0; k < 3; ++k) data[rng() % data.size()] = static_cast<char>(byte(rng));
    } else {
      data.assign({0, 0, 0, static_cast<char>(1 + rng() % 60)});
      for (int k = 0; k < 64; ++k) data.push_back(static_cast<char>(byte(rng)));
    }
    FrameDecoder decoder(256);
    decoder.feed(data.data(), data.size());
    try {
      while (decoder.next()) {
      }
    } catch (const ProtocolError&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 1500);
}

std::string hex_of(const std::array<unsigned char, 32>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (const unsigned char b : bytes) {
    hex += kDigits[b >> 4];
    hex += kDigits[b & 0xF];
  }
  return hex;
}

std::string sealed_welcome() {
  std::string sealed = kVectorWelcome;
  sealed.pop_back();
  return sealed + R"(,"mac":")" + kVectorWelcomeMac + "\"}";
}

TEST(NetAuthTest, DocumentedTestVectors) {
  EXPECT_EQ(coordinator_proof_hex(kVectorToken, kVectorWorkerNonce, kVectorCoordinatorNonce),
            kVectorProof);
  EXPECT_TRUE(coordinator_proof_verify(kVectorToken, kVectorWorkerNonce, kVectorCoordinatorNonce,
                                       kVectorProof));
  EXPECT_EQ(auth_hmac_hex(kVectorToken, kVectorCoordinatorNonce, kVectorWorkerNonce), kVectorHmac);
  EXPECT_TRUE(auth_verify(kVectorToken, kVectorCoordinatorNonce, kVectorWorkerNonce, kVectorHmac));
  SessionMac coordinator(kVectorToken, kVectorCoordinatorNonce, kVectorWorkerNonce,
                         Side::kCoordinator);
  SessionMac worker(kVectorToken, kVectorCoordinatorNonce, kVectorWorkerNonce, Side::kWorker);
  EXPECT_EQ(hex_of(coordinator.key()), kVectorSessionKey);
  EXPECT_EQ(hex_of(worker.key()), kVectorSessionKey);
  EXPECT_EQ(coordinator.seal(kVectorWelcome), sealed_welcome());
  EXPECT_EQ(worker.seal(R"({"type":"request"})"), kVectorRequestSealed);
  EXPECT_TRUE(worker.open(sealed_welcome()));
  EXPECT_TRUE(coordinator.open(kVectorRequestSealed));
  // The sealed body is still a valid message; the receiver ignores `mac`.
  EXPECT_EQ(parse_message(sealed_welcome())["study"], "cifar-policy");
}

TEST(NetAuthTest, ProofAndAuthUseDifferentLabels) {
  // Reflection: the proof the coordinator sends can never pass as the worker's auth.
  const std::string proof =
      coordinator_proof_hex(kVectorToken, kVectorWorkerNonce, kVectorCoordinatorNonce);
  EXPECT_FALSE(auth_verify(kVectorToken, kVectorCoordinatorNonce, kVectorWorkerNonce, proof));
  EXPECT_FALSE(auth_verify(kVectorToken, kVectorWorkerNonce, kVectorCoordinatorNonce, proof));
  EXPECT_FALSE(coordinator_proof_verify(kVectorToken, kVectorCoordinatorNonce, kVectorWorkerNonce,
                                        kVectorHmac));
}

TEST(NetAuthTest, VerifyRejectsWrongTokenNonceOrderAndMalformedHex) {
  const std::string c = kVectorCoordinatorNonce, w = kVectorWorkerNonce;
  EXPECT_FALSE(auth_verify("autoaug-example-token-0123456788", c, w, kVectorHmac));
  EXPECT_FALSE(coordinator_proof_verify("autoaug-example-token-0123456788", w, c, kVectorProof));
  EXPECT_FALSE(auth_verify(kVectorToken, w, c, kVectorHmac));  // nonces swapped
  EXPECT_FALSE(coordinator_proof_verify(kVectorToken, c, w, kVectorProof));
  for (const std::string& good : {std::string(kVectorHmac), std::string(kVectorProof)}) {
    std::string upper = good;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    std::string not_hex = good;
    not_hex[10] = 'g';
    for (const std::string& bad : {upper, good.substr(2), good + "00", not_hex, std::string()}) {
      EXPECT_FALSE(auth_verify(kVectorToken, c, w, bad)) << bad;
      EXPECT_FALSE(coordinator_proof_verify(kVectorToken, w, c, bad)) << bad;
    }
  }
  // Nonces that are not 64 lowercase hex digits are refused even with a matching MAC.
  for (const std::string& nonce : {std::string("0001"), c + "00", std::string(64, 'A')}) {
    EXPECT_FALSE(auth_verify(kVectorToken, nonce, w, auth_hmac_hex(kVectorToken, nonce, w)));
    EXPECT_FALSE(auth_verify(kVectorToken, c, nonce, auth_hmac_hex(kVectorToken, c, nonce)));
    EXPECT_FALSE(coordinator_proof_verify(kVectorToken, nonce, c,
                                          coordinator_proof_hex(kVectorToken, nonce, c)));
    EXPECT_FALSE(coordinator_proof_verify(kVectorToken, w, nonce,
                                          coordinator_proof_hex(kVectorToken, w, nonce)));
  }
}

TEST(NetAuthTest, RandomValuesAreFreshLowercaseHex) {
  const std::string a = random_nonce_hex();
  const std::string b = random_nonce_hex();
  const std::string t = random_token_hex();
  for (const auto& s : {a, b, t}) {
    ASSERT_EQ(s.size(), 64u);
    EXPECT_EQ(s.find_first_not_of("0123456789abcdef"), std::string::npos);
  }
  EXPECT_NE(a, b);
  EXPECT_NE(a, t);
  EXPECT_TRUE(auth_verify(t, a, b, auth_hmac_hex(t, a, b)));
}

// Both ends of one session, with random nonces.
struct SessionPair {
  SessionPair()
      : coordinator_nonce(random_nonce_hex()),
        worker_nonce(random_nonce_hex()),
        coordinator(kVectorToken, coordinator_nonce, worker_nonce, Side::kCoordinator),
        worker(kVectorToken, coordinator_nonce, worker_nonce, Side::kWorker) {}
  std::string coordinator_nonce, worker_nonce;
  SessionMac coordinator, worker;
};

TEST(NetSessionMacTest, SealedFramesOpenInOrderBothWays) {
  SessionPair p;
  std::mt19937 rng(5);
  for (int i = 0; i < 50; ++i) {
    const std::string body = encode_body({{"type", "ack"}, {"trial", static_cast<int>(rng())}});
    if (rng() % 2) {
      const std::string sealed = p.coordinator.seal(body);
      EXPECT_EQ(sealed.size(), body.size() - 1 + SessionMac::kSuffixLength);
      ASSERT_TRUE(p.worker.open(sealed)) << i;
    } else {
      ASSERT_TRUE(p.coordinator.open(p.worker.seal(body))) << i;
    }
  }
  EXPECT_THROW(p.worker.seal("{}"), std::invalid_argument);
  EXPECT_THROW(p.worker.seal("[1,2]"), std::invalid_argument);
  EXPECT_TRUE(p.coordinator.open(p.worker.seal(R"({"type":"bye"})")));  // nothing was used up
}

TEST(NetSessionMacTest, TamperedFramesFail) {
  const std::string body = R"({"type":"result","trial":3,"value":0.5})";
  std::mt19937 rng(9);
  for (int round = 0; round < 200; ++round) {
    SessionPair p;
    std::string sealed = p.worker.seal(body);
    const std::size_t at = rng() % sealed.size();
    sealed[at] = static_cast<char>(sealed[at] ^ (1 + rng() % 255));
    EXPECT_FALSE(p.coordinator.open(sealed)) << sealed;
  }
  SessionPair p;
  const std::string sealed = p.worker.seal(body);
  EXPECT_FALSE(p.coordinator.open(sealed.substr(0, sealed.size() - 1)));
  EXPECT_FALSE(p.coordinator.open(sealed + " "));
  EXPECT_FALSE(p.coordinator.open(body));  // unsealed
  EXPECT_FALSE(p.coordinator.open(""));
  EXPECT_TRUE(p.coordinator.open(sealed));  // failures used nothing up
  // Another session's key (other nonces, or another token) does not open it.
  SessionPair other;
  EXPECT_FALSE(other.coordinator.open(sealed));
  SessionMac wrong_token("another-token-of-enough-length", p.coordinator_nonce, p.worker_nonce,
                         Side::kCoordinator);
  SessionMac fresh_worker(kVectorToken, p.coordinator_nonce, p.worker_nonce, Side::kWorker);
  EXPECT_FALSE(wrong_token.open(fresh_worker.seal(body)));
}

TEST(NetSessionMacTest, ReplayedFrameFailsTheSecondTime) {
  SessionPair p;
  const std::string sealed = p.worker.seal(R"({"type":"request"})");
  EXPECT_TRUE(p.coordinator.open(sealed));
  EXPECT_FALSE(p.coordinator.open(sealed));
}

TEST(NetSessionMacTest, SwappedFramesFail) {
  SessionPair p;
  const std::string first = p.coordinator.seal(R"({"type":"ack","trial":1})");
  const std::string second = p.coordinator.seal(R"({"type":"cancel","trial":1,"reason":"x"})");
  EXPECT_FALSE(p.worker.open(second));
  EXPECT_TRUE(p.worker.open(first));
  EXPECT_TRUE(p.worker.open(second));
}

TEST(NetSessionMacTest, DroppedFrameMakesTheNextFail) {
  SessionPair p;
  p.worker.seal(R"({"type":"heartbeat","trial":1})");  // lost on the way
  EXPECT_FALSE(p.coordinator.open(p.worker.seal(R"({"type":"result","trial":1,"value":1})")));
}

TEST(NetSessionMacTest, AFrameIsNotAcceptedBackByItsSender) {
  // Reflection: a worker-sealed frame sent back to the worker, or a coordinator-sealed frame to
  // the coordinator, does not open, even at the same sequence number.
  SessionPair p;
  const std::string from_worker = p.worker.seal(R"({"type":"request"})");
  const std::string from_coordinator = p.coordinator.seal(R"({"type":"request"})");
  EXPECT_NE(from_worker, from_coordinator);
  EXPECT_FALSE(p.worker.open(from_worker));
  EXPECT_FALSE(p.coordinator.open(from_coordinator));
  EXPECT_TRUE(p.worker.open(from_coordinator));
  EXPECT_TRUE(p.coordinator.open(from_worker));
}

class NetLoadTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("autoaug_net_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    ::unsetenv("AUTOAUG_TOKEN");
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    ::unsetenv("AUTOAUG_TOKEN");
  }
  std::string write(const std::string& name, const std::string& contents, mode_t mode = 0600) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << contents;
    ::chmod(path.c_str(), mode);
    return path;
  }
  static std::string token_error(const std::string& file) {
    try {
      load_token(file);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(accepted)";
  }
  std::filesystem::path dir_;
};

TEST_F(NetLoadTokenTest, FromFileWithoutTrailingWhitespace) {
  ::setenv("AUTOAUG_TOKEN", "environment-token-is-ignored", 1);
  EXPECT_EQ(load_token(write("t", "  file token 0123456789 \n\n")), "  file token 0123456789");
}

TEST_F(NetLoadTokenTest, FromEnvironment) {
  ::setenv("AUTOAUG_TOKEN", "0123456789abcdef\n", 1);
  EXPECT_EQ(load_token(""), "0123456789abcdef");
}

TEST_F(NetLoadTokenTest, RefusesBadSources) {
  const std::string missing = (dir_ / "missing").string();
  EXPECT_EQ(token_error(missing), "token file " + missing + ": No such file or directory");
  const std::string empty = write("empty", " \n");
  EXPECT_EQ(token_error(empty), "token file " + empty + " is empty");
  const std::string shared = write("shared", "0123456789abcdef", 0644);
  EXPECT_EQ(token_error(shared),
            "token file " + shared +
                " is accessible by group or others (mode 0644); run chmod 600 " + shared);
  const std::string short_token = write("short", "0123456789abcde\n");
  EXPECT_EQ(
      token_error(short_token),
      "token file " + short_token + ": the token has 15 characters; at least 16 are required");
  EXPECT_NE(token_error(dir_.string()).find("not a regular file"), std::string::npos);
}

TEST_F(NetLoadTokenTest, RefusesNoSourceAndShortEnvironmentToken) {
  EXPECT_NE(token_error("").find("AUTOAUG_TOKEN"), std::string::npos);
  EXPECT_NE(token_error("").find("--token-file"), std::string::npos);
  ::setenv("AUTOAUG_TOKEN", "short", 1);
  EXPECT_EQ(token_error(""), "AUTOAUG_TOKEN: the token has 5 characters; at least 16 are required");
}

}  // namespace
}  // namespace autoaug::net
