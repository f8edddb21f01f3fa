#include "core/secrets/redact.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "core/secrets/sensitive_values.h"

namespace o365fwd {
namespace {

const std::string kJwt =
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlcyI6WyJBY3Rpdml0eUZlZWQuUmVhZCJdfQ."
    "c2lnbmF0dXJlLXNpZ25hdHVyZQ";

class RedactTest : public ::testing::Test {
 protected:
  void TearDown() override { sensitiveValues().clear(); }
};

TEST_F(RedactTest, BearerTokensInAnyCase) {
  EXPECT_EQ(redactSecrets("Authorization: Bearer abc.def-ghi rest"),
            "Authorization: Bearer *** rest");
  EXPECT_EQ(redactSecrets("authorization: bearer xyz"), "authorization: bearer ***");
  EXPECT_EQ(redactSecrets("Authorization: Bearer   opaque~token,next"),
            "Authorization: Bearer   ***,next");
  EXPECT_EQ(redactSecrets("GET /x?auth=Bearer%20opaque123 HTTP"), "GET /x?auth=Bearer%20*** HTTP");
  EXPECT_EQ(redactSecrets("auth=Bearer+opaque123&x=1"), "auth=Bearer+***&x=1");
  EXPECT_EQ(redactSecrets(R"({"authorization":"Bearer abc def"})"), R"({"authorization":"***"})");
}

TEST_F(RedactTest, FormFieldsEndAtAmpersand) {
  EXPECT_EQ(redactSecrets("grant_type=client_credentials&client_secret=s3~cr.et&scope=x"),
            "grant_type=client_credentials&client_secret=***&scope=x");
  EXPECT_EQ(redactSecrets("client_assertion=aaa.bbb&x=1"), "client_assertion=***&x=1");
  EXPECT_EQ(redactSecrets("user=a password=hunter2 next"), "user=a password=*** next");
  EXPECT_EQ(redactSecrets("CLIENT_SECRET=abc def"), "CLIENT_SECRET=*** def");
}

TEST_F(RedactTest, UrlEncodedLabels) {
  EXPECT_EQ(redactSecrets("body=grant%26client_secret%3Ds3%7Ecret%26scope"),
            "body=grant%26client_secret%3D***");
  EXPECT_EQ(redactSecrets("client_assertion%3dabc.def end"), "client_assertion%3d*** end");
}

TEST_F(RedactTest, JsonFields) {
  EXPECT_EQ(redactSecrets(R"({"token_type":"Bearer","access_token":"abc123","expires_in":3599})"),
            R"({"token_type":"Bearer","access_token":"***","expires_in":3599})");
  EXPECT_EQ(redactSecrets(R"({"access_token": "abc"})"), R"({"access_token": "***"})");
  EXPECT_EQ(redactSecrets(R"({"client_secret":"v","password":"p"})"),
            R"({"client_secret":"***","password":"***"})");
  EXPECT_EQ(redactSecrets(R"({"client_assertion":"a\"b","x":1})"),
            R"({"client_assertion":"***","x":1})");
}

TEST_F(RedactTest, JwtAllSegmentsGone) {
  EXPECT_EQ(redactSecrets("token " + kJwt + " used"), "token *** used");
  EXPECT_EQ(redactSecrets("x=" + kJwt), "x=***");
  EXPECT_EQ(redactSecrets("(" + kJwt + ")."), "(***).");
  EXPECT_EQ(redactSecrets("assertion%3D" + kJwt + "%26"), "assertion%3D***%26");
  // Nothing of the token survives, not even its header segment.
  std::string out = redactSecrets("echo: " + kJwt);
  EXPECT_EQ(out.find("eyJ"), std::string::npos) << out;
  EXPECT_EQ(out.find("c2lnbmF0"), std::string::npos) << out;
  // A truncated token (header and a piece of the payload) is still a token.
  EXPECT_EQ(redactSecrets("echo " + kJwt.substr(0, 50) + "..."), "echo ***...");
  // Glued to a preceding word, or too short to be a token: ordinary text.
  EXPECT_EQ(redactSecrets("abceyJa.b.c"), "abceyJa.b.c");
  EXPECT_EQ(redactSecrets("eyJ. hi"), "eyJ. hi");
}

TEST_F(RedactTest, BareRegisteredValues) {
  registerSensitive("s3cr3t~value.A", SensitiveKind::kSecret);
  registerSensitive("opaque-token-0123456789", SensitiveKind::kToken);
  EXPECT_EQ(redactSecrets("AADSTS7000215: invalid secret s3cr3t~value.A provided"),
            "AADSTS7000215: invalid secret *** provided");
  EXPECT_EQ(redactSecrets("echo:opaque-token-0123456789:end"), "echo:***:end");
  // URL-encoded (upper and lower hex) and JSON-escaped spellings of the same values.
  EXPECT_EQ(redactSecrets("body s3cr3t%7Evalue.A x"), "body *** x");
  EXPECT_EQ(redactSecrets("body s3cr3t%7evalue.A x"), "body *** x");
  registerSensitive("with/slash\"quote", SensitiveKind::kSecret);
  EXPECT_EQ(redactSecrets(R"({"echo":"with\/slash\"quote"})"), R"({"echo":"***"})");
  EXPECT_EQ(redactSecrets(R"({"echo":"with/slash\"quote"})"), R"({"echo":"***"})");
  EXPECT_EQ(redactSecrets("with%2Fslash%22quote"), "***");
}

TEST_F(RedactTest, OverlappingValuesMergeIntoOneMask) {
  registerSensitive("abcdefgh1234", SensitiveKind::kSecret);
  registerSensitive("1234wxyz5678", SensitiveKind::kToken);
  registerSensitive("cdefgh12", SensitiveKind::kToken);
  EXPECT_EQ(redactSecrets("x abcdefgh1234wxyz5678 y"), "x *** y");
  EXPECT_EQ(redactSecrets("x cdefgh12 y"), "x *** y");
  // A registered value inside a labelled value: one mask, label kept.
  EXPECT_EQ(redactSecrets("client_secret=abcdefgh1234&z"), "client_secret=***&z");
}

TEST_F(RedactTest, ShortValuesAreNotRegistered) {
  registerSensitive("kafka", SensitiveKind::kSecret);
  EXPECT_EQ(sensitiveValues().size(), 0u);
  EXPECT_EQ(redactSecrets("kafka broker down"), "kafka broker down");
}

TEST_F(RedactTest, RegistryIsBounded) {
  for (size_t i = 0; i < SensitiveValues::kMaxTokens + 10; ++i)
    registerSensitive("token-number-" + std::to_string(i), SensitiveKind::kToken);
  registerSensitive("the-client-secret", SensitiveKind::kSecret);
  EXPECT_EQ(sensitiveValues().size(), SensitiveValues::kMaxTokens + 1);
  // The oldest tokens were forgotten; the newest and the secret are still masked.
  EXPECT_EQ(redactSecrets("a token-number-0 b"), "a token-number-0 b");
  EXPECT_EQ(redactSecrets("a token-number-1033 b"), "a *** b");
  EXPECT_EQ(redactSecrets("a the-client-secret b"), "a *** b");
}

TEST_F(RedactTest, AFleetsSecretsAndTokensAreAllMaskedAcrossIndexRebuilds) {
  // 1,000 tenants: a secret and a token each, registered interleaved (each added to the live
  // index in place).
  for (int i = 0; i < 1000; ++i) {
    registerSensitive("fleet-secret-" + std::to_string(i), SensitiveKind::kSecret);
    registerSensitive("fleet-token-" + std::to_string(i), SensitiveKind::kToken);
    if (i % 97 == 0) {
      EXPECT_EQ(redactSecrets("s=fleet-secret-" + std::to_string(i)), "s=***");
    }
  }
  EXPECT_EQ(sensitiveValues().size(), 2000u);
  for (int i = 0; i < 1000; i += 7) {
    EXPECT_EQ(redactSecrets("[fleet-secret-" + std::to_string(i) + "]"), "[***]") << i;
    EXPECT_EQ(redactSecrets("[fleet-token-" + std::to_string(i) + "]"), "[***]") << i;
  }
}

TEST_F(RedactTest, AValueForgottenAsATokenStaysMaskedWhileItIsASecret) {
  // The same value as a secret and as a token: two entries with the same spellings. Evicting the
  // token (beyond the cap) removes its spellings only, not the secret's.
  SensitiveValues values(4, 2);
  values.add("shared-value-1", SensitiveKind::kSecret);
  values.add("shared-value-1", SensitiveKind::kToken);
  values.add("token-value-2", SensitiveKind::kToken);
  values.add("token-value-3", SensitiveKind::kToken);  // evicts the token "shared-value-1"
  EXPECT_EQ(values.size(), 3u);
  std::vector<std::pair<size_t, size_t>> spans;
  values.findAll("a shared-value-1 b token-value-2 c token-value-3", spans);
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0], (std::pair<size_t, size_t>{2, 16}));
  values.add("token-value-4", SensitiveKind::kToken);  // evicts "token-value-2"
  spans.clear();
  values.findAll("token-value-2 shared-value-1%", spans);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0], (std::pair<size_t, size_t>{14, 28}));
  // A snapshot sees the same values.
  spans.clear();
  values.index()->findAll("token-value-4", spans);
  EXPECT_EQ(spans.size(), 1u);
}

TEST_F(RedactTest, ConcurrentRegistrationAndRedaction) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) {
        std::string v = "thread" + std::to_string(t) + "-value-" + std::to_string(i);
        registerSensitive(v, SensitiveKind::kToken);
        EXPECT_EQ(redactSecrets("[" + v + "]"), "[***]");
      }
    });
  for (auto& th : threads) th.join();
}

TEST_F(RedactTest, LeavesOrdinaryTextAlone) {
  registerSensitive("s3cr3t~value.A", SensitiveKind::kSecret);
  for (const char* text :
       {"", "AF20022: No subscription found for the specified content type",
        "file /etc/o365fwd/x.secret does not exist", "bearer", "password=", "Bearer",
        "the token_type is Bearer.", "client_secret_file: /etc/o365fwd/t.secret",
        "GET https://manage.office.com/api/v1.0/t/activity/feed/subscriptions/list 401",
        "tenant contoso: 12 blobs, 3400 records, 2 dead-lettered (eyes on AF429)",
        "Audit.SharePoint listing 2026-12-01T00:00:00Z..2026-12-01T12:00:00Z",
        "https://example.com/a.b.c?x=1&y=2", "keyJ ok", "see eyJ"})
    EXPECT_EQ(redactSecrets(text), text);
}

TEST_F(RedactTest, Idempotent) {
  registerSensitive("opaque-token-0123456789", SensitiveKind::kToken);
  std::string once = redactSecrets("Bearer opaque-token-0123456789 and " + kJwt);
  EXPECT_EQ(redactSecrets(once), once);
}

}  // namespace
}  // namespace o365fwd
