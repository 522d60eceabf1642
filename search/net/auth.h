#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// Challenge-response authentication with a shared token (PROTOCOL.md, "Handshake"): the
// coordinator sends a random nonce, the worker answers with
//   HMAC-SHA256(key = token, message = "autoaug-auth/v1:" + nonce_hex)
// in lowercase hex. The token itself never crosses the wire. Every function is thread-safe.
namespace autoaug::net {

// Tokens shorter than this are refused by load_token.
constexpr std::size_t kMinTokenLength = 16;

// 32 bytes from the OpenSSL RNG as 64 lowercase hex digits. Throws std::runtime_error when the
// RNG fails.
std::string random_nonce_hex();

// HMAC-SHA256(key = token, message = "autoaug-auth/v1:" + nonce_hex) as 64 lowercase hex digits.
std::string auth_hmac_hex(std::string_view token, std::string_view nonce_hex);

// Whether `hmac_hex` is auth_hmac_hex(token, nonce_hex). Compares in constant time
// (CRYPTO_memcmp); false when `hmac_hex` or `nonce_hex` is not 64 lowercase hex digits.
bool auth_verify(std::string_view token, std::string_view nonce_hex, std::string_view hmac_hex);

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
