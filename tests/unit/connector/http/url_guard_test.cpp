#include "connector/http/url_guard.h"

#include <gtest/gtest.h>

#include <string>

namespace o365fwd {
namespace {

const std::string kBase = "https://manage.office.com";
const std::string kTenant = "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14";
const std::string kBlob = "https://manage.office.com/api/v1.0/" + kTenant +
                          "/activity/feed/audit/20250114094512345678901$audit_sharepoint$emea0012";

void expectRefused(const std::string& url, const std::string& host_in_message) {
  Status s = checkApiUrl(url, kBase, kTenant);
  ASSERT_FALSE(s.ok()) << url;
  EXPECT_EQ(s.error().code, "untrusted_uri") << url;
  EXPECT_FALSE(s.error().retryable);
  EXPECT_NE(s.error().message.find(host_in_message), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("token was not sent"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find("emea0012"), std::string::npos)
      << "full URL in: " << s.error().message;
}

TEST(UrlGuardTest, AcceptsTheApiHostAndFeedPaths) {
  EXPECT_TRUE(checkApiUrl(kBlob, kBase, kTenant).ok());
  EXPECT_TRUE(checkApiUrl(kBlob + "?PublisherIdentifier=" + kTenant, kBase, kTenant).ok());
  EXPECT_TRUE(checkApiUrl("https://MANAGE.Office.com:443/api/v1.0/" + kTenant +
                              "/activity/feed/subscriptions/content",
                          kBase, kTenant)
                  .ok());
  EXPECT_TRUE(checkApiUrl("https://manage.office.com/api/v1/" + kTenant + "/activity/feed/audit/x",
                          kBase, kTenant)
                  .ok());
  std::string upper_tenant = "6F1C9A52-3D7E-4B8A-9C21-5E0F7A3B9D14";
  EXPECT_TRUE(
      checkApiUrl("https://manage.office.com/api/v1.0/" + upper_tenant + "/activity/feed/audit/x",
                  kBase, kTenant)
          .ok());
  // A loopback simulator over plain http, with a port.
  EXPECT_TRUE(checkApiUrl("http://127.0.0.1:8080/api/v1.0/" + kTenant + "/activity/feed/audit/x",
                          "http://127.0.0.1:8080", kTenant)
                  .ok());
}

TEST(UrlGuardTest, RefusesOtherHosts) {
  expectRefused("https://evil.example.com/api/v1.0/" + kTenant + "/activity/feed/audit/emea0012",
                "evil.example.com");
  expectRefused("https://manage.office.com.evil.example/api/v1.0/" + kTenant +
                    "/activity/feed/audit/emea0012",
                "manage.office.com.evil.example");
  expectRefused(
      "https://evilmanage.office.com/api/v1.0/" + kTenant + "/activity/feed/audit/emea0012",
      "evilmanage.office.com");
  expectRefused(
      "https://manage-gcc.office.com/api/v1.0/" + kTenant + "/activity/feed/audit/emea0012",
      "manage-gcc.office.com");
}

TEST(UrlGuardTest, RefusesOtherPortsSchemesAndUserinfo) {
  expectRefused(
      "https://manage.office.com:8443/api/v1.0/" + kTenant + "/activity/feed/audit/emea0012",
      "8443");
  expectRefused("http://manage.office.com/api/v1.0/" + kTenant + "/activity/feed/audit/emea0012",
                "manage.office.com");
  expectRefused(
      "https://user:pw@manage.office.com/api/v1.0/" + kTenant + "/activity/feed/audit/emea0012",
      "manage.office.com");
  Status ftp = checkApiUrl("ftp://manage.office.com/api/v1.0/" + kTenant + "/activity/feed/audit/x",
                           kBase, kTenant);
  ASSERT_FALSE(ftp.ok());
  EXPECT_EQ(ftp.error().code, "untrusted_uri");
}

TEST(UrlGuardTest, RefusesPathsOutsideTheTenantFeed) {
  expectRefused(
      "https://manage.office.com/api/v1.0/00000000-0000-0000-0000-000000000000/activity/feed/"
      "emea0012",
      "manage.office.com");
  expectRefused("https://manage.office.com/somewhere/emea0012", "manage.office.com");
  // Dot segments are removed before the check, as libcurl does before sending.
  expectRefused(
      "https://manage.office.com/api/v1.0/" + kTenant + "/activity/feed/../../../../admin/emea0012",
      "manage.office.com");
  Status s = checkApiUrl(kBlob, kBase, "");
  EXPECT_FALSE(s.ok()) << "an unknown tenant must not match any path";
}

TEST(UrlGuardTest, ParseUrlReportsEffectivePorts) {
  auto https = parseUrl("https://Manage.Office.com/api/x?a=b");
  ASSERT_TRUE(https.ok());
  EXPECT_EQ(https->scheme, "https");
  EXPECT_EQ(https->port, "443");
  EXPECT_EQ(https->path, "/api/x");
  EXPECT_EQ(https->query, "a=b");
  EXPECT_FALSE(https->has_userinfo);
  auto http = parseUrl("http://127.0.0.1/x");
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->port, "80");
  EXPECT_FALSE(parseUrl("not a url").ok());
  EXPECT_FALSE(parseUrl("/relative/path").ok());
}

TEST(UrlGuardTest, PublisherIdentifierIsAppendedOnce) {
  const std::string p = "11111111-2222-3333-4444-555555555555";
  EXPECT_EQ(withPublisherIdentifier("https://h/a", p), "https://h/a?PublisherIdentifier=" + p);
  EXPECT_EQ(withPublisherIdentifier("https://h/a?x=1", p),
            "https://h/a?x=1&PublisherIdentifier=" + p);
  EXPECT_EQ(withPublisherIdentifier("https://h/a?", p), "https://h/a?PublisherIdentifier=" + p);
  EXPECT_EQ(withPublisherIdentifier("https://h/a?x=1&publisherIdentifier=abc", p),
            "https://h/a?x=1&publisherIdentifier=abc");
  EXPECT_EQ(withPublisherIdentifier("https://h/a?PUBLISHERIDENTIFIER", p),
            "https://h/a?PUBLISHERIDENTIFIER");
  EXPECT_EQ(withPublisherIdentifier("https://h/a?PublisherIdentifierX=1", p),
            "https://h/a?PublisherIdentifierX=1&PublisherIdentifier=" + p);
  EXPECT_EQ(withPublisherIdentifier("https://h/a?x=1#frag", p),
            "https://h/a?x=1&PublisherIdentifier=" + p + "#frag");
  EXPECT_EQ(withPublisherIdentifier("https://h/a", ""), "https://h/a");
  std::string once = withPublisherIdentifier(withPublisherIdentifier("https://h/a", p), p);
  EXPECT_EQ(once, "https://h/a?PublisherIdentifier=" + p);
}

TEST(UrlGuardTest, UrlEncodeEncodesEverythingButUnreserved) {
  EXPECT_EQ(urlEncode("Zx8Q~fake.Value+with/chars="), "Zx8Q~fake.Value%2Bwith%2Fchars%3D");
  EXPECT_EQ(urlEncode("https://manage.office.com/.default"),
            "https%3A%2F%2Fmanage.office.com%2F.default");
  EXPECT_EQ(urlEncode("a b&c"), "a%20b%26c");
  EXPECT_EQ(urlEncode("\xC3\xA9"), "%C3%A9");
}

}  // namespace
}  // namespace o365fwd
