#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// Mutual authentication with a shared token and per-message authentication of the session
// (PROTOCOL.md, "Handshake" and "Sealed frames"). Nonces are 64 lowercase hex digits (32 random
// bytes) and enter every MAC as those 64 ASCII characters, never decoded:
//   proof (coordinator -> worker) = HMAC-SHA256(token, "autoaug-coordinator/v2:" + worker_nonce
//                                                      + ":" + coordinator_nonce)
//   auth  (worker -> coordinator) = HMAC-SHA256(token, "autoaug-auth/v2:" + coordinator_nonce
//                                                      + ":" + worker_nonce)
//   session key K                 = HMAC-SHA256(token, "autoaug-session/v2:" + coordinator_nonce
//                                                      + ":" + worker_nonce)
// The labels differ, so no value can stand in for another (a proof is never a valid auth). The
// token itself never crosses the wire. Every free function is thread-safe.
namespace autoaug::net {

// Tokens shorter than this are refused by load_token.
constexpr std::size_t kMinTokenLength = 16;

// 32 bytes from the OpenSSL RNG as 64 lowercase hex digits. Throws std::runtime_error when the
// RNG fails.
std::string random_nonce_hex();

// The coordinator's proof that it knows the token, as 64 lowercase hex digits.
std::string coordinator_proof_hex(std::string_view token, std::string_view worker_nonce_hex,
                                  std::string_view coordinator_nonce_hex);
// Whether `proof_hex` is coordinator_proof_hex(token, worker_nonce_hex, coordinator_nonce_hex).
// Compares in constant time (CRYPTO_memcmp); false when any of the three hex arguments is not 64
// lowercase hex digits.
bool coordinator_proof_verify(std::string_view token, std::string_view worker_nonce_hex,
                              std::string_view coordinator_nonce_hex, std::string_view proof_hex);

// The worker's answer to the challenge (the `auth` message's `hmac`), as 64 lowercase hex digits.
std::string auth_hmac_hex(std::string_view token, std::string_view coordinator_nonce_hex,
                          std::string_view worker_nonce_hex);
// Whether `hmac_hex` is auth_hmac_hex(token, coordinator_nonce_hex, worker_nonce_hex). Constant
// time; false when any of the three hex arguments is not 64 lowercase hex digits.
bool auth_verify(std::string_view token, std::string_view coordinator_nonce_hex,
                 std::string_view worker_nonce_hex, std::string_view hmac_hex);

// Which end of a connection a SessionMac belongs to.
enum class Side { kCoordinator, kWorker };

// Seals and opens the frame bodies of one authenticated connection. A sealed body is the compact
// JSON body B of a message with its final '}' replaced by `,"mac":"<64 hex>"}`, where the MAC is
//   lowercase_hex(HMAC-SHA256(K, sender + ":" + seq + ":" + B))
// with sender "coordinator" or "worker" and seq the decimal number of bodies that sender has
// sealed before on this connection. Sequence numbers are implicit (TCP keeps order), so a
// replayed, dropped, reordered or reflected frame fails to open. Not thread-safe; one object per
// connection, used by one side.
class SessionMac {
 public:
  // Length of what seal() puts in place of the final '}': `,"mac":"` + 64 hex digits + `"}`.
  static constexpr std::size_t kSuffixLength = 74;

  // Derives K from the token and both nonces (as in the handshake, 64 hex digits each). `self` is
  // the side that seals; open() expects bodies sealed by the other side.
  SessionMac(std::string_view token, std::string_view coordinator_nonce_hex,
             std::string_view worker_nonce_hex, Side self);

  // `body` sealed with the next sequence number of this side. `body` must be a JSON object with
  // at least one member, ending in '}' (as encode_body writes it); throws std::invalid_argument
  // for a body that does not end in '}' or is shorter than 3 bytes, without using up a number.
  std::string seal(std::string_view body);
  // Whether `body` is a body sealed by the peer with its next expected sequence number; when it
  // is, that number is used up. The caller parses the whole body (the `mac` field included) only
  // after this returned true, and closes the connection when it returned false.
  bool open(std::string_view body);

  // The session key K (32 bytes), for tests and test vectors.
  const std::array<unsigned char, 32>& key() const { return key_; }

 private:
  std::string mac_hex(std::string_view sender, std::uint64_t seq, std::string_view body) const;

  std::array<unsigned char, 32> key_{};
  Side self_;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
};

// A fresh token (32 random bytes, 64 lowercase hex digits), e.g. for local worker processes.
// Throws std::runtime_error when the RNG fails.
std::string random_token_hex();

// The shared token. From `token_file` when it is not empty: its contents without trailing
// whitespace; the file must not be accessible by group or others (chmod 600). Otherwise from the
// environment variable AUTOAUG_TOKEN (without trailing whitespace). Throws std::invalid_argument,
// naming the file or the variable, for a missing, unreadable, empty or too widely readable file,
// for neither source being given, and for a token shorter than kMinTokenLength characters.
std::string load_token(const std::string& token_file);

}  // namespace autoaug::net
