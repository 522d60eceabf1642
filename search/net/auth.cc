#include "search/net/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace autoaug::net {
namespace {

constexpr std::string_view kProofLabel = "autoaug-coordinator/v2:";
constexpr std::string_view kAuthLabel = "autoaug-auth/v2:";
constexpr std::string_view kSessionLabel = "autoaug-session/v2:";
constexpr std::string_view kMacPrefix = ",\"mac\":\"";
constexpr std::string_view kWhitespace = " \t\r\n\v\f";

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(2 * n, '0');
  for (std::size_t i = 0; i < n; ++i) {
    hex[2 * i] = kDigits[bytes[i] >> 4];
    hex[2 * i + 1] = kDigits[bytes[i] & 0xF];
  }
  return hex;
}

bool is_lower_hex(std::string_view s, std::size_t length) {
  if (s.size() != length) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string random_hex32() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("the OpenSSL random number generator failed");
  }
  return to_hex(bytes.data(), bytes.size());
}

using Digest = std::array<unsigned char, 32>;

Digest hmac_sha256(std::string_view key, std::string_view message) {
  Digest mac{};
  unsigned int length = 0;
  // To OpenSSL a null key means "keep the previous key"; an empty key needs a real pointer.
  static constexpr unsigned char kEmpty = 0;
  const void* key_data = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
           &length) == nullptr ||
      length != mac.size()) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return mac;
}

// HMAC-SHA256(token, label + first + ":" + second).
Digest labelled_hmac(std::string_view token, std::string_view label, std::string_view first,
                     std::string_view second) {
  std::string message(label);
  message += first;
  message += ':';
  message += second;
  return hmac_sha256(token, message);
}

std::string to_hex(const Digest& digest) { return to_hex(digest.data(), digest.size()); }

// Whether `given` is `expected` (64 lowercase hex digits), in time independent of the contents.
bool equal_hex(const std::string& expected, std::string_view given) {
  return is_lower_hex(given, 64) &&
         CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

// Whether `mac_hex` is the labelled HMAC of two nonces, which must be 64 lowercase hex digits.
bool verify_labelled(std::string_view token, std::string_view label, std::string_view first,
                     std::string_view second, std::string_view mac_hex) {
  if (!is_lower_hex(first, 64) || !is_lower_hex(second, 64)) return false;
  return equal_hex(to_hex(labelled_hmac(token, label, first, second)), mac_hex);
}

const char* side_name(Side side) { return side == Side::kCoordinator ? "coordinator" : "worker"; }

std::string strip_trailing_whitespace(std::string s) {
  const auto end = s.find_last_not_of(kWhitespace);
  s.erase(end == std::string::npos ? 0 : end + 1);
  return s;
}

std::string read_token_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw std::invalid_argument("token file " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    throw std::invalid_argument("token file " + path + ": not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    std::ostringstream mode;
    mode << std::oct << (st.st_mode & 0777);
    throw std::invalid_argument("token file " + path + " is accessible by group or others (mode 0" +
                                mode.str() + "); run chmod 600 " + path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("token file " + path + ": cannot be read");
  std::string contents{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw std::invalid_argument("token file " + path + ": cannot be read");
  std::string token = strip_trailing_whitespace(std::move(contents));
  if (token.empty()) throw std::invalid_argument("token file " + path + " is empty");
  return token;
}

}  // namespace

std::string random_nonce_hex() { return random_hex32(); }

std::string random_token_hex() { return random_hex32(); }

std::string coordinator_proof_hex(std::string_view token, std::string_view worker_nonce_hex,
                                  std::string_view coordinator_nonce_hex) {
  return to_hex(labelled_hmac(token, kProofLabel, worker_nonce_hex, coordinator_nonce_hex));
}

bool coordinator_proof_verify(std::string_view token, std::string_view worker_nonce_hex,
                              std::string_view coordinator_nonce_hex, std::string_view proof_hex) {
  return verify_labelled(token, kProofLabel, worker_nonce_hex, coordinator_nonce_hex, proof_hex);
}

std::string auth_hmac_hex(std::string_view token, std::string_view coordinator_nonce_hex,
                          std::string_view worker_nonce_hex) {
  return to_hex(labelled_hmac(token, kAuthLabel, coordinator_nonce_hex, worker_nonce_hex));
}

bool auth_verify(std::string_view token, std::string_view coordinator_nonce_hex,
                 std::string_view worker_nonce_hex, std::string_view hmac_hex) {
  return verify_labelled(token, kAuthLabel, coordinator_nonce_hex, worker_nonce_hex, hmac_hex);
}

SessionMac::SessionMac(std::string_view token, std::string_view coordinator_nonce_hex,
                       std::string_view worker_nonce_hex, Side self)
    : key_(labelled_hmac(token, kSessionLabel, coordinator_nonce_hex, worker_nonce_hex)),
      self_(self) {}

std::string SessionMac::mac_hex(std::string_view sender, std::uint64_t seq,
                                std::string_view body) const {
  std::string message(sender);
  message += ':';
  message += std::to_string(seq);
  message += ':';
  message += body;
  return to_hex(hmac_sha256(
      std::string_view(reinterpret_cast<const char*>(key_.data()), key_.size()), message));
}

std::string SessionMac::seal(std::string_view body) {
  if (body.size() < 3 || body.back() != '}') {
    throw std::invalid_argument("SessionMac::seal: not a JSON object with members");
  }
  const std::string mac = mac_hex(side_name(self_), sent_, body);
  ++sent_;
  std::string sealed(body.substr(0, body.size() - 1));
  sealed.reserve(body.size() - 1 + kSuffixLength);
  sealed += kMacPrefix;
  sealed += mac;
  sealed += "\"}";
  return sealed;
}

bool SessionMac::open(std::string_view body) {
  if (body.size() < kSuffixLength + 2) return false;
  const std::string_view suffix = body.substr(body.size() - kSuffixLength);
  const std::string_view mac = suffix.substr(kMacPrefix.size(), 64);
  if (suffix.substr(0, kMacPrefix.size()) != kMacPrefix || !is_lower_hex(mac, 64) ||
      suffix.substr(kMacPrefix.size() + 64) != "\"}") {
    return false;
  }
  std::string plain(body.substr(0, body.size() - kSuffixLength));
  plain += '}';
  const Side peer = self_ == Side::kCoordinator ? Side::kWorker : Side::kCoordinator;
  if (!equal_hex(mac_hex(side_name(peer), received_, plain), mac)) return false;
  ++received_;
  return true;
}

std::string load_token(const std::string& token_file) {
  std::string token;
  std::string source;
  if (!token_file.empty()) {
    token = read_token_file(token_file);
    source = "token file " + token_file;
  } else if (const char* env = std::getenv("AUTOAUG_TOKEN"); env != nullptr && *env != '\0') {
    token = strip_trailing_whitespace(env);
    source = "AUTOAUG_TOKEN";
  } else {
    throw std::invalid_argument(
        "no token: pass --token-file FILE (a file only you can read, chmod 600) or set the "
        "environment variable AUTOAUG_TOKEN; coordinator and workers must share the same token");
  }
  if (token.size() < kMinTokenLength) {
    throw std::invalid_argument(source + ": the token has " + std::to_string(token.size()) +
                                " characters; at least " + std::to_string(kMinTokenLength) +
                                " are required");
  }
  return token;
}

}  // namespace autoaug::net
