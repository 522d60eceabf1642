#pragma once

// TLS for the coordinator's connections, an option for networks where others can read the
// traffic or stand in for the coordinator: Asio's ssl streams over OpenSSL, TLS 1.2 or later. The
// coordinator presents a certificate; a worker verifies it against the certificates it is told to
// trust (a CA's, or the coordinator's own) and checks that it names the host the worker dialled.
// The token handshake and the sealed frames (auth.h) run inside TLS unchanged.

#include <string>
#include <utility>

#include "search/net/asio.h"  // after <utility>: Boost 1.74's awaitable.hpp needs it

namespace autoaug::net {
namespace ssl = asio::ssl;

// The coordinator's context: the PEM certificate chain in `cert_file` and its private key in
// `key_file`. Throws std::invalid_argument naming the file and OpenSSL's reason when either
// cannot be loaded or they do not match.
ssl::context tls_server_context(const std::string& cert_file, const std::string& key_file);

// A worker's context, verifying the peer: against the PEM certificates in `ca_file`, which may be
// CA certificates or the coordinator's own certificate (a trusted certificate need not lead to a
// root), or against the system's CAs when `ca_file` is empty. Throws std::invalid_argument
// naming the file when it cannot be read.
ssl::context tls_client_context(const std::string& ca_file);

// Makes the handshake on `ssl` fail unless the peer's certificate names `name` (a DNS name,
// matched as RFC 6125 says, or an IP address), and sends `name` as SNI when it is a DNS name.
void tls_expect_name(SSL* ssl, const std::string& name);

// Why the peer's certificate was refused in the last handshake on `ssl` (OpenSSL's text, e.g.
// "self-signed certificate" or "hostname mismatch"); "" when it was not.
std::string tls_verify_error(const SSL* ssl);

// The name a certificate is for: its first subjectAltName (DNS or IP), else its common name.
// Local workers dial loopback and check the coordinator's certificate for this name. Throws
// std::invalid_argument naming the file when it holds no certificate or the certificate no name.
std::string tls_certificate_name(const std::string& cert_file);

}  // namespace autoaug::net
