// The prometheus source against a real `prometheus` (Debian package) on a free loopback port, with
// its storage in a temp dir, HTTPS and basic auth (web config), scraping a real exporter: the
// `poolscaler serve` binary's own /metrics, under two job names so vectors have two series.
// Stopped by PID. Certificates are made with the openssl CLI, the bcrypt hash with libcrypt.
#include <crypt.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <regex>
#include <string>

#include "poolscaler/config/source_spec.h"
#include "poolscaler/sources/http_sources.h"
#include "support/eventually.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace poolscaler::sources {
namespace {

using poolscaler::testing::Eventually;
using poolscaler::testing::Process;
using poolscaler::testing::TempDir;
using ::testing::HasSubstr;

const std::string kBinary = POOLSCALER_BINARY;
constexpr char kPrometheus[] = "/usr/bin/prometheus";
constexpr char kUser[] = "poolscaler";
constexpr char kPassword[] = "pr0m-s3cret-77";

std::string Bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof salt) == nullptr) return "";
  crypt_data data{};
  const char* hash = crypt_r(password.c_str(), salt, &data);
  return hash != nullptr && hash[0] == '$' ? hash : "";
}

// Empty on success, else what failed.
std::string MakeCertificates(const TempDir& dir) {
  const std::string d = dir.path() + "/";
  dir.Write("ext.cnf", "subjectAltName=IP:127.0.0.1\n");
  const std::vector<std::vector<std::string>> steps = {
      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", d + "ca.key", "-out", d + "ca.pem", "-days", "1", "-subj", "/CN=test-prom-ca"},
      {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
       d + "server.key", "-out", d + "server.csr", "-subj", "/CN=127.0.0.1"},
      {"x509", "-req", "-in", d + "server.csr", "-CA", d + "ca.pem", "-CAkey", d + "ca.key",
       "-CAcreateserial", "-out", d + "server.pem", "-days", "1", "-extfile", d + "ext.cnf"},
  };
  for (const auto& step : steps) {
    std::vector<std::string> argv = {"/usr/bin/openssl"};
    argv.insert(argv.end(), step.begin(), step.end());
    poolscaler::testing::RunResult r = poolscaler::testing::RunToEnd(argv, dir.path());
    if (r.code != 0) return "openssl " + step[0] + " failed: " + r.err;
  }
  return "";
}

// One Prometheus and one exporter for the whole suite (starting them takes a few seconds).
class PrometheusTest : public ::testing::Test {
 protected:
  // A set-up failure fails every test with its reason. (A failure recorded inside
  // SetUpTestSuite would make gtest skip the tests, and ctest counts a skip as a pass.)
  static void SetUpTestSuite() { setup_error_ = new std::string(StartServers()); }
  void SetUp() override { ASSERT_EQ(*setup_error_, "") << "the suite's set-up failed"; }

  static std::string StartServers() {
    dir_ = new TempDir();
    if (std::string e = MakeCertificates(*dir_); !e.empty()) return e;
    const std::string d = dir_->path() + "/";
    // The exporter: poolscaler itself (raw mode only, no config).
    exporter_ = new Process({kBinary, "serve", "--grpc-plaintext", "--grpc-listen", "127.0.0.1:0",
                             "--http-listen", "127.0.0.1:0"},
                            dir_->path());
    std::smatch m;
    std::regex serving(R"re("http":"(\d+)")re");
    std::string err;
    if (!Eventually([&] {
          err = exporter_->Stderr();
          return std::regex_search(err, m, serving);
        })) {
      return "the exporter did not report its HTTP port: " + err;
    }
    const std::string target = "127.0.0.1:" + m[1].str();

    std::string hash = Bcrypt(kPassword);
    if (hash.empty()) return "libcrypt cannot make a bcrypt hash";
    dir_->Write("web.yml", "tls_server_config:\n  cert_file: " + d +
                               "server.pem\n  key_file: " + d +
                               "server.key\nbasic_auth_users:\n  " + kUser + ": '" + hash + "'\n");
    dir_->Write("prometheus.yml",
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "scrape_configs:\n"
                "  - job_name: a\n    static_configs: [{targets: ['" +
                    target +
                    "']}]\n"
                    "  - job_name: b\n    static_configs: [{targets: ['" +
                    target + "']}]\n");
    // Ready once both jobs have been scraped: `up` has two series.
    absl::StatusOr<Reading> r = absl::UnavailableError("not sampled yet");
    const auto started = SteadyClock::now();
    poolscaler::testing::StartedServer prometheus = poolscaler::testing::StartOnFreePort(
        [&](int port) {
          return std::vector<std::string>{kPrometheus,
                                          "--config.file=" + d + "prometheus.yml",
                                          "--storage.tsdb.path=" + d + "data",
                                          "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                          "--web.config.file=" + d + "web.yml",
                                          "--log.level=warn"};
        },
        dir_->path(),
        [&](int port) {
          port_ = port;  // Spec() addresses port_
          auto up = Factory().Create(Spec("up"));
          if (!up.ok()) {
            r = up.status();
            return false;
          }
          r = (*up)->Sample(SteadyClock::now() + std::chrono::seconds(2));
          return r.ok() && r->measures.at("value") == 2;
        },
        std::chrono::seconds(30));
    if (!prometheus.error.empty()) {
      return "prometheus did not scrape both jobs: " + prometheus.error + "\nlast `up`: " +
             (r.ok() ? "up=" + std::to_string(r->measures.at("value")) : r.status().ToString());
    }
    prometheus_ = prometheus.process.release();
    std::printf("[figures] prometheus started and scraped both jobs in %.1f s\n",
                ToSeconds(SteadyClock::now() - started));
    return "";
  }
  static void TearDownTestSuite() {
    delete prometheus_;  // SIGTERM by PID, then SIGKILL after a grace period
    delete exporter_;
    delete dir_;
    delete setup_error_;
  }

  static PrometheusFactory& Factory() {
    static PrometheusFactory factory;
    return factory;
  }
  static config::SourceSpec Spec(const std::string& query,
                                 config::Reduce reduce = config::Reduce::kSum) {
    config::SourceSpec spec;
    spec.name = "q";
    spec.kind = config::kPrometheus;
    spec.timeout = std::chrono::seconds(2);
    config::PrometheusParams p;
    p.server_address = "https://127.0.0.1:" + std::to_string(port_);
    p.query = query;
    p.reduce = reduce;
    p.username = kUser;
    p.password = Secret(kPassword);
    p.tls_ca_file = dir_->path() + "/ca.pem";
    spec.params = p;
    return spec;
  }
  static config::PrometheusParams& P(config::SourceSpec& s) {
    return std::get<config::PrometheusParams>(s.params);
  }
  static absl::StatusOr<Reading> Query(const config::SourceSpec& spec) {
    auto source = Factory().Create(spec);
    EXPECT_TRUE(source.ok()) << source.status();
    return (*source)->Sample(SteadyClock::now() + std::chrono::seconds(3));
  }

  static std::string* setup_error_;
  static TempDir* dir_;
  static Process* exporter_;
  static Process* prometheus_;
  static int port_;
};

std::string* PrometheusTest::setup_error_ = nullptr;
TempDir* PrometheusTest::dir_ = nullptr;
Process* PrometheusTest::exporter_ = nullptr;
Process* PrometheusTest::prometheus_ = nullptr;
int PrometheusTest::port_ = 0;

TEST_F(PrometheusTest, Scalar) {
  absl::StatusOr<Reading> r = Query(Spec("scalar(max(poolscaler_build_info))"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->measures.at("value"), 1);
}

TEST_F(PrometheusTest, VectorReducedBySumMaxMinAvg) {
  // Two series from the two jobs scraping the same exporter: 3 and 5.
  const std::string q = R"(up{job="a"} * 3 or up{job="b"} * 5)";
  auto value = [&](config::Reduce reduce) {
    absl::StatusOr<Reading> r = Query(Spec(q, reduce));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->measures.at("value") : -1;
  };
  EXPECT_EQ(value(config::Reduce::kSum), 8);
  EXPECT_EQ(value(config::Reduce::kMax), 5);
  EXPECT_EQ(value(config::Reduce::kMin), 3);
  EXPECT_EQ(value(config::Reduce::kAvg), 4);
  absl::StatusOr<Reading> r = Query(Spec(q));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->note, "2 series reduced by sum");
  // A real exporter's metric: the build info of both jobs.
  r = Query(Spec("poolscaler_build_info"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->measures.at("value"), 2);
}

TEST_F(PrometheusTest, EmptyResultIsAnErrorUnlessIgnoreNullValues) {
  config::SourceSpec spec = Spec("poolscaler_no_such_metric");
  absl::Status st = Query(spec).status();
  std::printf("[figures] empty result: %s\n", st.ToString().c_str());
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_THAT(st.message(), HasSubstr("returned no series"));
  EXPECT_THAT(st.message(), HasSubstr("ignoreNullValues"));
  P(spec).ignore_null_values = true;
  absl::StatusOr<Reading> r = Query(spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->measures.at("value"), 0);
}

TEST_F(PrometheusTest, BadQueryGivesPrometheusError) {
  absl::Status st = Query(Spec("sum(up")).status();
  std::printf("[figures] bad query: %s\n", st.ToString().c_str());
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(st.message(), HasSubstr("bad_data"));
  EXPECT_THAT(st.message(), HasSubstr("parse error"));
  st = Query(Spec("up[1m]")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_THAT(st.message(), HasSubstr("returned a matrix"));
}

TEST_F(PrometheusTest, AuthAndTlsFailures) {
  config::SourceSpec spec = Spec("up");
  P(spec).password = Secret("wrong-password-123");
  absl::Status st = Query(spec).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated) << st;
  EXPECT_THAT(std::string(st.message()), ::testing::Not(HasSubstr("wrong-password-123")));

  spec = Spec("up");
  P(spec).tls_ca_file.clear();  // the system store does not know the test CA
  st = Query(spec).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_THAT(st.message(), HasSubstr("certificate"));

  spec = Spec("up");
  P(spec).server_address += "/prefix";  // not where the API is
  st = Query(spec).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_THAT(st.message(), HasSubstr("HTTP 404"));
}

TEST_F(PrometheusTest, ServerDownIsUnavailable) {
  config::SourceSpec spec = Spec("up");
  // Port 1: nothing listens there, and no other test can start a server on it meanwhile.
  P(spec).server_address = "https://127.0.0.1:1";
  absl::Status st = Query(spec).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_THAT(st.message(), HasSubstr("prometheus at https://127.0.0.1:"));
}

}  // namespace
}  // namespace poolscaler::sources
