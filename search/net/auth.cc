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

constexpr std::string_view kAuthContext = "autoaug-auth/v1:";
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

std::string auth_hmac_hex(std::string_view token, std::string_view nonce_hex) {
  std::string message(kAuthContext);
  message += nonce_hex;
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  // To OpenSSL a null key means "keep the previous key"; an empty token needs a real pointer.
  static constexpr unsigned char kEmpty = 0;
  const void* key = token.empty() ? static_cast<const void*>(&kEmpty) : token.data();
  if (HMAC(EVP_sha256(), key, static_cast<int>(token.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
           &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return to_hex(mac.data(), length);
}

bool auth_verify(std::string_view token, std::string_view nonce_hex, std::string_view hmac_hex) {
  if (!is_lower_hex(nonce_hex, 64) || !is_lower_hex(hmac_hex, 64)) return false;
  const std::string expected = auth_hmac_hex(token, nonce_hex);
  return CRYPTO_memcmp(expected.data(), hmac_hex.data(), expected.size()) == 0;
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
