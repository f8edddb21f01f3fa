#include "core/redact.h"

#include <gtest/gtest.h>

namespace o365fwd {
namespace {

TEST(Redact, BearerTokensInAnyCase) {
  EXPECT_EQ(redactSecrets("Authorization: Bearer abc.def-ghi rest"),
            "Authorization: Bearer *** rest");
  EXPECT_EQ(redactSecrets("authorization: bearer xyz"), "authorization: bearer ***");
}

TEST(Redact, FormFieldsEndAtAmpersand) {
  EXPECT_EQ(redactSecrets("grant_type=client_credentials&client_secret=s3~cr.et&scope=x"),
            "grant_type=client_credentials&client_secret=***&scope=x");
  EXPECT_EQ(redactSecrets("client_assertion=aaa.bbb&x=1"), "client_assertion=***&x=1");
  EXPECT_EQ(redactSecrets("user=a password=hunter2 next"), "user=a password=*** next");
}

TEST(Redact, JsonFields) {
  EXPECT_EQ(redactSecrets(R"({"token_type":"Bearer","access_token":"abc123","expires_in":3599})"),
            R"({"token_type":"Bearer","access_token":"***","expires_in":3599})");
  EXPECT_EQ(redactSecrets(R"({"access_token": "abc"})"), R"({"access_token": "***"})");
  EXPECT_EQ(redactSecrets(R"({"client_secret":"v","password":"p"})"),
            R"({"client_secret":"***","password":"***"})");
}

TEST(Redact, JwtAnywhere) {
  std::string jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
  EXPECT_EQ(redactSecrets("token " + jwt + " used"), "token *** used");
  EXPECT_EQ(redactSecrets("x=" + jwt), "x=***");
  // Not a JWT: only one dot, or glued to a preceding word.
  EXPECT_EQ(redactSecrets("eyJhbGciOiJ9.abc"), "eyJhbGciOiJ9.abc");
  EXPECT_EQ(redactSecrets("abceyJa.b.c"), "abceyJa.b.c");
}

TEST(Redact, LeavesOrdinaryTextAlone) {
  for (const char* text : {"", "AF20022: No subscription found for the specified content type",
                           "file /etc/o365fwd/x.secret does not exist", "bearer", "password="})
    EXPECT_EQ(redactSecrets(text), text);
}

}  // namespace
}  // namespace o365fwd
