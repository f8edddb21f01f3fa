#include "sim/auth/credential_echo.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace o365fwd::sim {
namespace {

TEST(CredentialEcho, AfErrorMessageQuotesEverythingBareAndLabelled) {
  std::string body = R"({"error":{"code":"AF50000","message":"An internal error occurred."}})";
  std::string out = echoInto(body, "Bearer tok.en.value", "the-secret", "assert.ion.jwt");
  rapidjson::Document doc;
  doc.Parse(out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << out;
  std::string message = doc["error"]["message"].GetString();
  EXPECT_NE(message.find("An internal error occurred."), std::string::npos);
  EXPECT_NE(message.find("Authorization: Bearer tok.en.value"), std::string::npos);
  EXPECT_NE(message.find("client_secret=the-secret"), std::string::npos);
  EXPECT_NE(message.find("client_assertion=assert.ion.jwt"), std::string::npos);
  EXPECT_NE(message.find("bare: tok.en.value the-secret assert.ion.jwt"), std::string::npos);
  EXPECT_EQ(std::string(doc["client_secret"].GetString()), "the-secret");
  EXPECT_EQ(std::string(doc["authorization"].GetString()), "Bearer tok.en.value");
}

TEST(CredentialEcho, AadErrorDescriptionAndNonJsonBodies) {
  std::string body = R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid."})";
  rapidjson::Document doc;
  std::string out = echoInto(body, "", "wrong-secret-value", "");
  doc.Parse(out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << out;
  EXPECT_NE(std::string(doc["error_description"].GetString()).find("wrong-secret-value"),
            std::string::npos);
  EXPECT_EQ(echoInto("Bad Request", "Bearer abc", "s", "a").rfind("Bad Request [echo]", 0), 0u);
}

}  // namespace
}  // namespace o365fwd::sim
