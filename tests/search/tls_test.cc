// The coordinator and the C++ worker over TLS: a study completes; a worker refuses a certificate
// it does not trust or that names another host, runs nothing and says why; plain and TLS ends
// that meet say so; a silent peer cannot hold a handshake; bad certificate files are named.

#include "search/net/tls.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include "search/net/coordinator.h"
#include "search/net/worker_client.h"
#include "search/store/study_store.h"
#include "search/strategy/strategy_factory.h"
#include "tests/search/test_certificate.h"

namespace autoaug::net {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using tcp = asio::ip::tcp;
using testing::CertificateFiles;
using testing::make_certificate;

const std::string kToken = "0123456789abcdef-tls-test-token";

fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("autoaug_tls_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A study of `target` trials served from a thread, over TLS when `cert` is given.
struct Served {
  Served(const fs::path& dir, int target, const CertificateFiles* cert, CoordinatorOptions o = {})
      : store(search::StudyStore::create((dir / "study.db").string(), {{"seed", 3}})),
        study(search::Space({search::Dimension::real("x", -1, 1)}),
              search::make_strategy("random", 3, 3, "strategy")) {
    o.token = kToken;
    o.target_complete = target;
    if (cert != nullptr) {
      o.tls_cert_file = cert->cert.string();
      o.tls_key_file = cert->key.string();
    }
    coordinator = std::make_unique<Coordinator>(study, store, json{{"kind", "test"}}, o);
    thread = std::thread([this] { summary = coordinator->run(); });
  }
  ~Served() {
    coordinator->stop();
    if (thread.joinable()) thread.join();
  }

  search::StudyStore store;
  search::Study study;
  std::unique_ptr<Coordinator> coordinator;
  CoordinatorSummary summary;
  std::thread thread;
};

struct Worked {
  WorkerSummary summary;
  int ran = 0;  // objective calls
};

Worked work(int port, bool tls, const std::string& ca_file, const std::string& name = {},
            double give_up_after = 3) {
  WorkerOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.token = kToken;
  o.name = "tls-worker";
  o.give_up_after_seconds = give_up_after;
  o.tls = tls;
  o.tls_ca_file = ca_file;
  o.tls_name = name;
  Worked w;
  w.summary = run_worker(o, [&w](const json&) {
    return [&w](const Lease& lease, const std::atomic<bool>&) {
      ++w.ran;
      return TrialOutcome{search::TrialResult::complete(lease.params["x"].get<double>())};
    };
  });
  return w;
}

TEST(Tls, AStudyCompletesOverTls) {
  const fs::path dir = fresh_dir("complete");
  const CertificateFiles cert = make_certificate(dir, "coordinator", "localhost", "IP:127.0.0.1");
  Served served(dir, 5, &cert);
  const Worked w = work(served.coordinator->port(), true, cert.cert.string());
  EXPECT_EQ(w.summary.exit_code, 0) << w.summary.reason;
  EXPECT_EQ(w.summary.completed, 5);
  served.thread.join();
  EXPECT_TRUE(served.summary.finished);
  EXPECT_EQ(served.summary.complete, 5);
}

TEST(Tls, TheCertificateMustNameTheHostOrTheGivenName) {
  const fs::path dir = fresh_dir("name");
  const CertificateFiles cert =
      make_certificate(dir, "coordinator", "coordinator.test", "DNS:coordinator.test");
  Served served(dir, 2, &cert);
  const Worked refused = work(served.coordinator->port(), true, cert.cert.string());
  EXPECT_EQ(refused.summary.exit_code, 2);
  EXPECT_NE(refused.summary.reason.find("failed TLS verification as '127.0.0.1'"),
            std::string::npos)
      << refused.summary.reason;
  EXPECT_NE(refused.summary.reason.find("IP address mismatch"), std::string::npos)
      << refused.summary.reason;
  EXPECT_EQ(refused.ran, 0);

  EXPECT_EQ(tls_certificate_name(cert.cert.string()), "coordinator.test");
  const Worked named =
      work(served.coordinator->port(), true, cert.cert.string(), "coordinator.test");
  EXPECT_EQ(named.summary.exit_code, 0) << named.summary.reason;
  EXPECT_EQ(named.summary.completed, 2);
}

TEST(Tls, AWorkerRefusesACertificateItDoesNotTrustAndRunsNothing) {
  const fs::path dir = fresh_dir("untrusted");
  const CertificateFiles cert = make_certificate(dir, "impostor", "localhost", "IP:127.0.0.1");
  const CertificateFiles trusted = make_certificate(dir, "real", "localhost", "IP:127.0.0.1");
  Served served(dir, 2, &cert);
  const Worked w = work(served.coordinator->port(), true, trusted.cert.string());
  EXPECT_EQ(w.summary.exit_code, 2);
  EXPECT_NE(w.summary.reason.find("self-signed certificate; nothing was run"), std::string::npos)
      << w.summary.reason;
  EXPECT_EQ(w.ran, 0);
}

TEST(Tls, PlainAndTlsEndsThatMeetSaySo) {
  const fs::path dir = fresh_dir("mixed");
  const CertificateFiles cert = make_certificate(dir, "coordinator", "localhost", "IP:127.0.0.1");
  const fs::path plain_dir = fresh_dir("mixed_plain");
  const fs::path tls_dir = fresh_dir("mixed_tls");
  Served plain(plain_dir, 1, nullptr);
  const Worked to_plain = work(plain.coordinator->port(), true, cert.cert.string());
  EXPECT_EQ(to_plain.summary.exit_code, 2);
  EXPECT_NE(to_plain.summary.reason.find("does it run with --tls-cert?"), std::string::npos)
      << to_plain.summary.reason;

  Served tls(tls_dir, 1, &cert);
  const Worked to_tls = work(tls.coordinator->port(), false, "");
  EXPECT_EQ(to_tls.summary.exit_code, 2);
  EXPECT_NE(to_tls.summary.reason.find(
                "refused by the coordinator: this coordinator speaks TLS: start the worker with "
                "--tls"),
            std::string::npos)
      << to_tls.summary.reason;
  EXPECT_EQ(to_plain.ran + to_tls.ran, 0);
}

TEST(Tls, ASilentServerCannotHoldTheHandshake) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const fs::path dir = fresh_dir("silent");
  const CertificateFiles cert = make_certificate(dir, "coordinator", "localhost", "IP:127.0.0.1");
  // The kernel completes the connection (the backlog); nothing ever answers the ClientHello.
  const Worked w = work(acceptor.local_endpoint().port(), true, cert.cert.string(), "", 1);
  EXPECT_EQ(w.summary.exit_code, 3) << w.summary.reason;
  EXPECT_EQ(w.ran, 0);
}

TEST(Tls, TheCoordinatorClosesAClientThatNeverStartsTheHandshake) {
  const fs::path dir = fresh_dir("stall");
  const CertificateFiles cert = make_certificate(dir, "coordinator", "localhost", "IP:127.0.0.1");
  CoordinatorOptions o;
  o.auth_timeout_seconds = 0.2;
  Served served(dir, 1, &cert, o);
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), served.coordinator->port()));
  boost::system::error_code ec;
  char byte;
  socket.read_some(asio::buffer(&byte, 1), ec);  // returns once the coordinator closes it
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
}

TEST(Tls, BadCertificateFilesAreNamed) {
  const fs::path dir = fresh_dir("files");
  const CertificateFiles a = make_certificate(dir, "a", "localhost", "IP:127.0.0.1");
  const CertificateFiles b = make_certificate(dir, "b", "localhost", "IP:127.0.0.1");
  const fs::path garbage = dir / "garbage.pem";
  {
    std::FILE* f = std::fopen(garbage.c_str(), "w");
    std::fputs("not a certificate\n", f);
    std::fclose(f);
  }
  auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] {
              tls_server_context(garbage.string(), a.key.string());
            }).find("--tls-cert " + garbage.string() + ": cannot load"),
            std::string::npos);
  EXPECT_NE(message([&] {
              tls_server_context(a.cert.string(), garbage.string());
            }).find("--tls-key " + garbage.string() + ": cannot load"),
            std::string::npos);
  EXPECT_NE(message([&] {
              tls_server_context(a.cert.string(), b.key.string());
            }).find("is not the key of the certificate in " + a.cert.string()),
            std::string::npos);
  EXPECT_NE(
      message([&] { tls_client_context(garbage.string()); }).find("--tls-ca " + garbage.string()),
      std::string::npos);
  EXPECT_NE(message([&] { tls_certificate_name(garbage.string()); }).find("no PEM certificate"),
            std::string::npos);
}

}  // namespace
}  // namespace autoaug::net
