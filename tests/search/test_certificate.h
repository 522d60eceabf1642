#pragma once

// Self-signed certificates for the TLS tests, made with OpenSSL's API in the test's own folder
// (what `openssl req -x509` makes, README "TLS"): a P-256 key, one day of validity, the common
// name and subjectAltNames given.

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace autoaug::testing {

struct CertificateFiles {
  std::filesystem::path cert;
  std::filesystem::path key;
};

// Writes `stem`.crt and `stem`.key into `dir`. `alt_names` is OpenSSL's subjectAltName syntax,
// e.g. "IP:127.0.0.1,DNS:localhost"; empty: none.
inline CertificateFiles make_certificate(const std::filesystem::path& dir, const std::string& stem,
                                         const std::string& common_name,
                                         const std::string& alt_names) {
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  const std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) throw std::runtime_error("make_certificate: OpenSSL could not make a key");
  X509* x = cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(x, name);
  if (!alt_names.empty()) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* ext =
        X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, alt_names.c_str());
    if (ext == nullptr) throw std::runtime_error("make_certificate: bad names " + alt_names);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(x, key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("make_certificate: signing failed");
  }
  CertificateFiles files{dir / (stem + ".crt"), dir / (stem + ".key")};
  FILE* cert_out = std::fopen(files.cert.c_str(), "w");
  FILE* key_out = std::fopen(files.key.c_str(), "w");
  const bool written =
      cert_out != nullptr && key_out != nullptr && PEM_write_X509(cert_out, x) == 1 &&
      PEM_write_PrivateKey(key_out, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (cert_out != nullptr) std::fclose(cert_out);
  if (key_out != nullptr) std::fclose(key_out);
  if (!written) throw std::runtime_error("make_certificate: cannot write into " + dir.string());
  return files;
}

}  // namespace autoaug::testing
