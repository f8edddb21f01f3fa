#include "app/health/health_server.h"

#include <gtest/gtest.h>

#include <atomic>

#include "core/secrets/crypto.h"
#include "tests/support/http_client.h"
#include "tests/support/raw_socket.h"
#include "tests/unit/app/status/status_fixtures.h"

namespace o365fwd {
namespace {

using testing::httpRequest;
using testing::rawExchange;

class HealthServerTest : public ::testing::Test {
 protected:
  void start(std::optional<std::string> token = std::nullopt) {
    HealthServerOptions options;
    options.port = 0;
    if (token) options.token = Secret(*token);
    HealthHandlers handlers;
    handlers.snapshot = [this] { return report_; };
    handlers.sync_now = [this] { ++syncs_; };
    auto server = HealthServer::start(std::move(options), std::move(handlers));
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(*server);
  }
  std::string url(const std::string& path) const { return server_->url() + path; }

  StatusReport report_ = testing::sampleReport();
  std::atomic<int> syncs_{0};
  std::unique_ptr<HealthServer> server_;
};

TEST_F(HealthServerTest, ServesLivenessReadinessStatusMetricsAndThePage) {
  start();
  auto live = httpRequest("GET", url("/livez"));
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(httpRequest("GET", url("/healthz")).status, 200);

  auto not_ready = httpRequest("GET", url("/readyz"));
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_NE(not_ready.body.find("sink siem: down"), std::string::npos) << not_ready.body;
  report_.ready = true;
  EXPECT_EQ(httpRequest("GET", url("/readyz")).status, 200);

  auto status = httpRequest("GET", url("/status"));
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.header("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(status.header("Cache-Control").value_or(""), "no-store");
  EXPECT_NE(status.body.find("\"events_forwarded\":1234567"), std::string::npos);

  auto metrics = httpRequest("GET", url("/metrics"));
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.header("Content-Type").value_or(""),
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics.body.find("o365fwd_records_forwarded_total"), std::string::npos);

  auto page = httpRequest("GET", url("/"));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.header("Content-Type").value_or("").find("text/html"), std::string::npos);
  EXPECT_NE(page.header("Content-Security-Policy").value_or("").find("default-src 'none'"),
            std::string::npos);
  EXPECT_NE(page.body.find("Audit.Exchange"), std::string::npos);

  EXPECT_EQ(httpRequest("GET", url("/nothing")).status, 404);
}

TEST_F(HealthServerTest, SyncNeedsPostAndAcceptsABodylessPost) {
  start();
  EXPECT_EQ(httpRequest("GET", url("/sync")).status, 405);
  EXPECT_EQ(syncs_.load(), 0);
  auto posted = httpRequest("POST", url("/sync"));
  EXPECT_EQ(posted.status, 202);
  EXPECT_EQ(syncs_.load(), 1);
  // What `curl -X POST URL` sends: no Content-Length, no body.
  int port = std::stoi(server_->url().substr(server_->url().rfind(':') + 1));
  std::string answer =
      rawExchange(port, "POST /sync HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 202", 0), 0u) << answer;
  EXPECT_EQ(syncs_.load(), 2);
}

TEST_F(HealthServerTest, TokenGuardsEverythingButProbes) {
  const std::string token = "s3cr3t-health-token-value";
  start(token);
  EXPECT_EQ(httpRequest("GET", url("/livez")).status, 200);
  EXPECT_EQ(httpRequest("GET", url("/readyz")).status, 503);
  for (const char* path : {"/status", "/metrics", "/"}) {
    auto refused = httpRequest("GET", url(path));
    EXPECT_EQ(refused.status, 401) << path;
    EXPECT_NE(refused.header("WWW-Authenticate").value_or("").find("Basic"), std::string::npos);
    EXPECT_EQ(refused.body.find(token), std::string::npos);
    EXPECT_EQ(httpRequest("GET", url(path), "", {"Authorization: Bearer wrong"}).status, 401)
        << path;
    EXPECT_EQ(httpRequest("GET", url(path), "", {"Authorization: Bearer " + token}).status, 200)
        << path;
  }
  std::string basic = crypto::base64Encode("anyone:" + token);
  EXPECT_EQ(httpRequest("GET", url("/status"), "", {"Authorization: Basic " + basic}).status, 200);
  EXPECT_EQ(httpRequest("POST", url("/sync")).status, 401);
  EXPECT_EQ(syncs_.load(), 0);
  EXPECT_EQ(httpRequest("POST", url("/sync"), "", {"Authorization: Bearer " + token}).status, 202);
  EXPECT_EQ(syncs_.load(), 1);
}

TEST(HealthServer, StopRightAfterStartNeverHangs) {
  for (int i = 0; i < 50; ++i) {
    HealthHandlers handlers;
    handlers.snapshot = [] { return StatusReport{}; };
    HealthServerOptions options;
    options.port = 0;
    auto server = HealthServer::start(options, handlers);
    ASSERT_TRUE(server.ok());
    (*server)->stop();
    (*server)->stop();  // idempotent
  }
}

TEST(HealthServer, PortInUseIsAClearError) {
  HealthHandlers handlers;
  handlers.snapshot = [] { return StatusReport{}; };
  HealthServerOptions options;
  options.port = 0;
  auto first = HealthServer::start(options, handlers);
  ASSERT_TRUE(first.ok());
  options.port = std::stoi((*first)->url().substr((*first)->url().rfind(':') + 1));
  auto second = HealthServer::start(options, handlers);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("health.listen"), std::string::npos)
      << second.error().message;
}

// Issue 11: large views are compressed for clients that accept it — brotli (quality 1) for a
// browser's "gzip, deflate, br", gzip for "deflate, gzip" — and decode to the plain answer;
// probes and plain requests are not compressed.
TEST_F(HealthServerTest, CompressesLargeViewsWithBrotliOrGzipAsTheClientAccepts) {
  for (int i = 0; i < 100; ++i) {
    StreamReport s = report_.streams[0];
    s.tenant = "tenant" + std::to_string(i);
    report_.streams.push_back(s);
  }
  start();
  const std::string plain = httpRequest("GET", url("/status")).body;
  for (auto [accept, coding] :
       {std::pair{"gzip, deflate, br", "br"}, std::pair{"deflate, gzip", "gzip"}}) {
    for (const char* path : {"/status", "/metrics", "/"}) {
      SCOPED_TRACE(std::string(path) + " " + accept);
      testing::HttpRequestOptions o;
      o.url = url(path);
      o.accept_encoding = accept;
      auto r = httpRequest(o);
      EXPECT_EQ(r.status, 200);
      EXPECT_EQ(r.header("Content-Encoding").value_or(""), coding);
      EXPECT_EQ(r.header("Vary").value_or(""), "Accept-Encoding");
      if (std::string(path) == "/status") {
        EXPECT_EQ(r.body, plain);  // decoded by the client
      }
    }
  }
  auto raw = httpRequest("GET", url("/status"));
  EXPECT_FALSE(raw.header("Content-Encoding").has_value());
  testing::HttpRequestOptions probe;
  probe.url = url("/livez");
  probe.accept_encoding = "gzip, br";
  EXPECT_FALSE(httpRequest(probe).header("Content-Encoding").has_value());
}

TEST_F(HealthServerTest, ThePageTakesItsFilterAndPageFromTheQuery) {
  start();
  auto page = httpRequest("GET", url("/?state=error&q=fab"));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("data-tenant=\"fabrikam &quot;eu&quot;\""), std::string::npos);
  EXPECT_EQ(page.body.find("<details class=\"tenant\" data-tenant=\"contoso\""), std::string::npos);
  auto all = httpRequest("GET", url("/?state=%3Cbogus%3E&page=x"));
  EXPECT_EQ(all.status, 200);
  EXPECT_NE(all.body.find("<details class=\"tenant\" data-tenant=\"contoso\""), std::string::npos);
}

}  // namespace
}  // namespace o365fwd
