#include "search/net/tls.h"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace autoaug::net {
namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;

ssl::context tls12_or_later(ssl::context::method method) {
  ssl::context context(method);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  return context;
}

std::string text_of(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

// A subjectAltName entry as text: a DNS name, or an IPv4 or IPv6 address; "" for other kinds.
std::string alt_name_text(const GENERAL_NAME* name) {
  if (name->type == GEN_DNS) return text_of(name->d.dNSName);
  if (name->type != GEN_IPADD) return {};
  const ASN1_OCTET_STRING* ip = name->d.iPAddress;
  const int family = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof text) == nullptr) return {};
  return text;
}

}  // namespace

ssl::context tls_server_context(const std::string& cert_file, const std::string& key_file) {
  ssl::context context = tls12_or_later(ssl::context::tls_server);
  boost::system::error_code ec;
  context.use_certificate_chain_file(cert_file, ec);
  if (ec) {
    throw std::invalid_argument("--tls-cert " + cert_file +
                                ": cannot load a PEM certificate chain: " + ec.message());
  }
  context.use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec && ERR_GET_REASON(ec.value()) == X509_R_KEY_VALUES_MISMATCH) {
    throw std::invalid_argument("--tls-key " + key_file +
                                ": is not the key of the certificate in " + cert_file);
  }
  if (ec) {
    throw std::invalid_argument("--tls-key " + key_file +
                                ": cannot load a PEM private key: " + ec.message());
  }
  return context;
}

ssl::context tls_client_context(const std::string& ca_file) {
  ssl::context context = tls12_or_later(ssl::context::tls_client);
  context.set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    context.set_default_verify_paths(ec);
  } else {
    context.load_verify_file(ca_file, ec);
  }
  if (ec) {
    throw std::invalid_argument("--tls-ca " + (ca_file.empty() ? "(system)" : ca_file) +
                                ": cannot load trusted certificates: " + ec.message());
  }
  X509_STORE_set_flags(SSL_CTX_get_cert_store(context.native_handle()), X509_V_FLAG_PARTIAL_CHAIN);
  return context;
}

void tls_expect_name(SSL* ssl, const std::string& name) {
  boost::system::error_code ec;
  asio::ip::make_address(name, ec);
  if (!ec) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
    return;
  }
  SSL_set1_host(ssl, name.c_str());
  SSL_set_tlsext_host_name(ssl, name.c_str());
}

std::string tls_verify_error(const SSL* ssl) {
  const long result = SSL_get_verify_result(ssl);
  return result == X509_V_OK ? std::string() : X509_verify_cert_error_string(result);
}

std::string tls_certificate_name(const std::string& cert_file) {
  const BioPtr bio(BIO_new_file(cert_file.c_str(), "r"));
  const X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) throw std::invalid_argument("--tls-cert " + cert_file + ": no PEM certificate in it");
  const NamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    std::string text = alt_name_text(sk_GENERAL_NAME_value(names.get(), i));
    if (!text.empty()) return text;
  }
  const X509_NAME* subject = X509_get_subject_name(cert.get());
  const int cn = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (cn < 0) {
    throw std::invalid_argument("--tls-cert " + cert_file +
                                ": the certificate names no host (no subjectAltName, no CN)");
  }
  return text_of(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, cn)));
}

}  // namespace autoaug::net
