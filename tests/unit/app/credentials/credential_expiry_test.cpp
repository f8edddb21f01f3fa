// Credential expiry (issue 13 part 3): thresholds, the sources a configuration gives (a shared
// credential once, whatever its tenant count), certificates read and re-read, the once-a-day
// log with a FakeClock, and every status view.
#include "app/credentials/credential_expiry.h"

#include <gtest/gtest.h>

#include <fstream>

#include "app/credentials/credential_views.h"
#include "app/status/fleet_health.h"
#include "app/status/metrics_text.h"
#include "app/status/status_json.h"
#include "app/status/status_page.h"
#include "app/status/status_table.h"
#include "core/secrets/crypto.h"
#include "core/time_format.h"
#include "tests/support/log_capture.h"
#include "tests/support/temp_dir.h"

namespace o365fwd {
namespace {

using namespace std::chrono_literals;
using o365fwd::testing::LogCapture;
using o365fwd::testing::TempDir;

constexpr std::chrono::hours kDay{24};

WallTime at(const char* text) {
  return *parseUtc(text);
}

// A certificate valid for `days` from the real now, written to `path`; returns its notAfter.
WallTime writeCertificate(const std::string& path, int days) {
  auto generated = crypto::generateSelfSigned("o365fwd-test", 2048, days);
  EXPECT_TRUE(generated.ok());
  std::ofstream(path) << generated->certificate_pem;
  auto cert = crypto::Certificate::fromPem(generated->certificate_pem);
  return WallTime(std::chrono::seconds(cert->notAfterEpoch()));
}

TenantConfig tenant(const std::string& name, const std::string& credential = "") {
  TenantConfig t;
  t.name = name;
  t.credential = credential;
  return t;
}

TEST(CredentialExpiry, ThresholdsAreThirtyAndSevenDays) {
  const WallTime expiry = at("2027-05-01T00:00:00Z");
  EXPECT_STREQ(judgeExpiry(expiry, expiry - 31 * kDay), "ok");
  EXPECT_STREQ(judgeExpiry(expiry, expiry - 30 * kDay), "warning");
  EXPECT_STREQ(judgeExpiry(expiry, expiry - 8 * kDay), "warning");
  EXPECT_STREQ(judgeExpiry(expiry, expiry - 7 * kDay), "critical");
  EXPECT_STREQ(judgeExpiry(expiry, expiry - 1s), "critical");
  EXPECT_STREQ(judgeExpiry(expiry, expiry), "expired");
  EXPECT_STREQ(judgeExpiry(expiry, expiry + kDay), "expired");
}

TEST(CredentialExpiry, SharedCredentialIsOneSourceNamingItsTenants) {
  CredentialConfig shared;
  shared.name = "mssp-app";
  shared.client_secret_expires = at("2027-05-01T00:00:00Z");
  CredentialConfig undated;  // a secret without a date: no known expiry, no entry
  undated.name = "other-app";
  std::vector<TenantConfig> tenants;
  for (int i = 1000; i >= 1; --i) tenants.push_back(tenant("t" + std::to_string(i), "mssp-app"));
  TenantConfig own = tenant("contoso");
  own.certificate_file = "/etc/o365fwd/contoso.pem";
  tenants.push_back(own);
  tenants.push_back(tenant("undated", "other-app"));
  TenantConfig plain = tenant("plain");  // its own secret, no date
  tenants.push_back(plain);

  auto sources = credentialExpirySources(tenants, {shared, undated});
  ASSERT_EQ(sources.size(), 2u);
  EXPECT_EQ(sources[0].name, "mssp-app");
  EXPECT_EQ(sources[0].kind, "client_secret");
  ASSERT_EQ(sources[0].tenants.size(), 1000u);
  EXPECT_EQ(sources[0].tenants[0], "t1");  // natural order
  EXPECT_EQ(sources[0].tenants[1], "t2");
  EXPECT_EQ(sources[1].name, "tenant:contoso");
  EXPECT_EQ(sources[1].kind, "certificate");
  EXPECT_EQ(sources[1].tenants, std::vector<std::string>{"contoso"});
  EXPECT_EQ(tenantList(sources[0].tenants, 3), "t1, t2, t3 and 997 more");
}

TEST(CredentialExpiry, CertificateIsReadAndReReadOnRefresh) {
  TempDir dir;
  const std::string path = dir.file("app.pem");
  const WallTime not_after = writeCertificate(path, 5);
  FakeClock clock(not_after - 5 * kDay);
  CredentialExpiryWatch watch(clock);
  TenantConfig t = tenant("contoso");
  t.certificate_file = path;
  watch.refresh({t}, {});
  auto reports = watch.reports(clock.wallNow());
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].name, "tenant:contoso");
  ASSERT_TRUE(reports[0].expires_at);
  EXPECT_EQ(*reports[0].expires_at, not_after);
  EXPECT_EQ(reports[0].level, "critical");
  EXPECT_EQ(reports[0].source, path);
  // The level follows the clock between refreshes.
  EXPECT_EQ(watch.reports(not_after + 1s)[0].level, "expired");

  // Replaced on disk: the figure changes on the next refresh (SIGHUP), not before.
  const WallTime renewed = writeCertificate(path, 400);
  EXPECT_EQ(*watch.reports(clock.wallNow())[0].expires_at, not_after);
  watch.reread();
  EXPECT_EQ(*watch.reports(clock.wallNow())[0].expires_at, renewed);
  EXPECT_EQ(watch.reports(clock.wallNow())[0].level, "ok");
}

TEST(CredentialExpiry, UnreadableCertificateIsUnknownWithTheReason) {
  FakeClock clock;
  CredentialExpiryWatch watch(clock);
  TenantConfig t = tenant("contoso");
  t.certificate_file = "/nonexistent/app.pem";
  watch.refresh({t}, {});
  auto reports = watch.reports(clock.wallNow());
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].level, "unknown");
  EXPECT_FALSE(reports[0].expires_at);
  EXPECT_NE(reports[0].problem.find("/nonexistent/app.pem"), std::string::npos);
}

TEST(CredentialExpiry, LogsWarnThenErrorOncePerDayPerCredential) {
  FakeClock clock(at("2027-03-01T00:00:00Z"));
  CredentialExpiryWatch watch(clock);
  CredentialConfig shared;
  shared.name = "mssp-app";
  shared.client_secret_expires = at("2027-05-01T00:00:00Z");
  watch.refresh({tenant("t1", "mssp-app"), tenant("t2", "mssp-app")}, {shared});
  LogCapture log("app.credentials");

  watch.logDue(clock.wallNow());  // 61 days before: nothing
  EXPECT_EQ(log.text(), "");

  clock.setWall(at("2027-04-01T00:00:00Z"));  // 30 days before: WARN
  watch.logDue(clock.wallNow());
  EXPECT_EQ(log.count("[warning]"), 1u) << log.text();
  EXPECT_EQ(log.count("Credential mssp-app (client secret) expires on 2027-05-01T00:00:00Z"), 1u)
      << log.text();
  EXPECT_NE(log.text().find("used by 2 tenants (t1, t2)"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("systemctl reload o365fwd"), std::string::npos) << log.text();
  for (int minute = 0; minute < 60 * 23; minute += 7) {  // polled all day: still one line
    clock.setWall(at("2027-04-01T00:00:00Z") + std::chrono::minutes(minute));
    watch.logDue(clock.wallNow());
  }
  EXPECT_EQ(log.count("Credential mssp-app"), 1u) << log.text();
  clock.setWall(at("2027-04-02T00:00:00Z"));  // a day later: again
  watch.logDue(clock.wallNow());
  EXPECT_EQ(log.count("Credential mssp-app"), 2u);

  clock.setWall(at("2027-04-24T00:00:00Z"));  // 7 days before: ERROR at once
  watch.logDue(clock.wallNow());
  EXPECT_EQ(log.count("[error]"), 1u) << log.text();
  clock.setWall(at("2027-04-24T06:00:00Z"));
  watch.logDue(clock.wallNow());
  EXPECT_EQ(log.count("[error]"), 1u) << log.text();

  // Renewed with a new date on reload: quiet again, and a later warning is logged as news.
  shared.client_secret_expires = at("2029-05-01T00:00:00Z");
  watch.refresh({tenant("t1", "mssp-app"), tenant("t2", "mssp-app")}, {shared});
  watch.logDue(clock.wallNow());
  EXPECT_EQ(log.count("Credential mssp-app"), 3u);
}

TEST(CredentialExpiry, ExpiredSecretSaysTokenRequestsFail) {
  FakeClock clock(at("2027-05-02T00:00:00Z"));
  CredentialExpiryWatch watch(clock);
  TenantConfig t = tenant("contoso");
  t.client_secret_expires = at("2027-05-01T00:00:00Z");
  watch.refresh({t}, {});
  LogCapture log("app.credentials");
  watch.logDue(clock.wallNow());
  EXPECT_EQ(log.count("[error]"), 1u) << log.text();
  EXPECT_NE(log.text().find("expired on 2027-05-01T00:00:00Z"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("AADSTS7000222"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("used by tenant contoso"), std::string::npos) << log.text();
}

StatusReport reportWithCredentials(int shared_tenants) {
  StatusReport r;
  r.version = "1.0";
  r.generated_at = at("2027-04-26T00:00:00Z");
  StreamReport s;
  s.tenant = "t1";
  s.content_type = "Audit.Exchange";
  s.state = "active";
  r.streams = {s};
  CredentialReport shared;
  shared.name = "mssp-app";
  shared.kind = "certificate";
  shared.source = "/etc/o365fwd/mssp.pem";
  shared.expires_at = at("2027-05-01T00:00:00Z");
  shared.level = "critical";
  for (int i = 1; i <= shared_tenants; ++i) shared.tenants.push_back("t" + std::to_string(i));
  CredentialReport later;
  later.name = "tenant:contoso";
  later.kind = "client_secret";
  later.source = "client_secret_expires";
  later.expires_at = at("2028-01-01T00:00:00Z");
  later.level = "ok";
  later.tenants = {"contoso"};
  r.credentials = {shared, later};
  r.health = summarizeHealth(r);
  return r;
}

TEST(CredentialExpiryViews, HeadlineDegradedWithTheRemedyButStillReady) {
  StatusReport r = reportWithCredentials(2);
  r.ready = true;
  EXPECT_EQ(r.health.state, "degraded");
  EXPECT_EQ(r.health.credentials_expiring, 1u);
  const std::string headline = healthHeadline(r.health);
  EXPECT_NE(headline.find("1 credential expiring within 7 days or expired"), std::string::npos)
      << headline;
  EXPECT_NE(headline.find("systemctl reload o365fwd"), std::string::npos) << headline;
  r.credentials[0].level = "warning";  // within 30 days: shown, not degraded
  EXPECT_EQ(summarizeHealth(r).state, "ok");
}

TEST(CredentialExpiryViews, JsonRoundTripsEveryField) {
  StatusReport r = reportWithCredentials(3);
  const std::string json = statusToJson(r);
  EXPECT_NE(json.find("\"expires_in_seconds\":432000"), std::string::npos) << json;
  EXPECT_NE(json.find("\"credentials_expiring\":1"), std::string::npos);
  auto back = statusFromJson(json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->credentials.size(), 2u);
  const CredentialReport& c = back->credentials[0];
  EXPECT_EQ(c.name, "mssp-app");
  EXPECT_EQ(c.kind, "certificate");
  EXPECT_EQ(c.source, "/etc/o365fwd/mssp.pem");
  EXPECT_EQ(c.expires_at, r.credentials[0].expires_at);
  EXPECT_EQ(c.level, "critical");
  EXPECT_EQ(c.tenants, (std::vector<std::string>{"t1", "t2", "t3"}));
  EXPECT_EQ(back->health.credentials_expiring, 1u);
}

TEST(CredentialExpiryViews, MetricIsOneSeriesPerCredential) {
  const std::string metrics = renderMetrics(reportWithCredentials(1000), MetricsDetail::kStream);
  EXPECT_NE(metrics.find("# TYPE o365fwd_credential_expiry_timestamp_seconds gauge"),
            std::string::npos);
  EXPECT_NE(metrics.find("o365fwd_credential_expiry_timestamp_seconds{credential=\"mssp-app\","
                         "kind=\"certificate\"} 1809129600"),
            std::string::npos)
      << metrics;
  std::size_t series = 0;
  for (std::size_t p = metrics.find("o365fwd_credential_expiry_timestamp_seconds{");
       p != std::string::npos;
       p = metrics.find("o365fwd_credential_expiry_timestamp_seconds{", p + 1))
    ++series;
  EXPECT_EQ(series, 2u);  // 1,000 tenants share one of them
}

TEST(CredentialExpiryViews, PageShowsOneRowPerCredentialAndTheTenantsLine) {
  const std::string page = renderStatusPage(reportWithCredentials(1000));
  EXPECT_NE(page.find("<table id=\"credentials\">"), std::string::npos);
  EXPECT_NE(page.find("data-credential=\"mssp-app\" data-level=\"critical\""), std::string::npos);
  EXPECT_NE(page.find("1,000 tenants (t1, t2, t3 and 997 more)"), std::string::npos);
  EXPECT_EQ(page.find("t999"), std::string::npos) << "the 1,000 names are not repeated";
  // t1's detail names its credential and what to do.
  EXPECT_NE(page.find("<p class=\"credential critical\" data-credential=\"mssp-app\">Credential "
                      "mssp-app (certificate) expires on 2027-05-01T00:00:00Z (in 5 d"),
            std::string::npos)
      << page;
}

TEST(CredentialExpiryViews, TableListsCredentialsToRenewAndTheTenantsOwn) {
  const StatusReport r = reportWithCredentials(2);
  const std::string text = renderStatusTable(r);
  EXPECT_NE(text.find("Credentials to renew:\n  mssp-app (certificate, 2 tenants (t1, t2)) "
                      "expires on 2027-05-01T00:00:00Z"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("[critical]"), std::string::npos);
  EXPECT_NE(text.find("What to do: renew it: upload a new certificate"), std::string::npos);
  EXPECT_NE(text.find("Credentials: 2 with a known expiry; the next is mssp-app"),
            std::string::npos)
      << text;
  StatusTableOptions one;
  one.tenant = "contoso";
  const std::string tenant_text = renderStatusTable(r, one);
  EXPECT_NE(tenant_text.find("Credential tenant:contoso (client secret, tenant contoso) expires on "
                             "2028-01-01T00:00:00Z"),
            std::string::npos)
      << tenant_text;
  EXPECT_EQ(tenant_text.find("mssp-app"), std::string::npos) << tenant_text;
}

}  // namespace
}  // namespace o365fwd
