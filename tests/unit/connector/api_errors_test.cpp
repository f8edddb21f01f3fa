#include "connector/api_errors.h"

#include <gtest/gtest.h>

#include <string>

#include "core/time_format.h"

namespace o365fwd {
namespace {

using namespace std::chrono_literals;

HttpResponse answer(int status, std::string body, Headers headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

std::string afBody(const std::string& code, const std::string& message) {
  return R"({"error":{"code":")" + code + R"(","message":")" + message + R"("}})";
}

TEST(ApiErrorsTest, Af429InA403IsThrottling) {
  Error e = classifyApiResponse(
      ApiCall::kBlob, answer(403, afBody("AF429",
                                         "Too many requests. Method=GetBlob, "
                                         "PublisherId=00000000-0000-0000-0000-000000000000")));
  EXPECT_EQ(e.kind, ErrorKind::kThrottled);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.code, "AF429");
  EXPECT_NE(e.message.find("Too many requests"), std::string::npos) << e.message;
  EXPECT_FALSE(e.retry_after.has_value());
}

TEST(ApiErrorsTest, Af429InA429WithRetryAfterSeconds) {
  Error e = classifyApiResponse(
      ApiCall::kContentList,
      answer(429, afBody("AF429", "Too many requests."), {{"retry-after", "17"}}));
  EXPECT_EQ(e.kind, ErrorKind::kThrottled);
  ASSERT_TRUE(e.retry_after.has_value());
  EXPECT_EQ(*e.retry_after, 17s);
}

TEST(ApiErrorsTest, RetryAfterAsHttpDateIsRelativeToTheDateHeader) {
  Error e = classifyApiResponse(ApiCall::kBlob,
                                answer(503, "",
                                       {{"Date", "Tue, 14 Jan 2025 12:00:00 GMT"},
                                        {"Retry-After", "Tue, 14 Jan 2025 12:02:30 GMT"}}));
  ASSERT_TRUE(e.retry_after.has_value());
  EXPECT_EQ(*e.retry_after, 150s);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.code, "HTTP 503");
}

TEST(ApiErrorsTest, RetryAfterParsing) {
  auto now = parseHttpDate("Tue, 14 Jan 2025 12:00:00 GMT");
  EXPECT_EQ(parseRetryAfter(" 5 ", now), 5s);
  EXPECT_EQ(parseRetryAfter("Tue, 14 Jan 2025 11:00:00 GMT", now), 0s);  // in the past
  EXPECT_FALSE(parseRetryAfter("soon", now).has_value());
  EXPECT_FALSE(parseRetryAfter("5s", now).has_value());
  EXPECT_FALSE(parseRetryAfter("Tue, 14 Jan 2025 12:00:10 GMT", std::nullopt).has_value());
}

TEST(ApiErrorsTest, InternalAfCodesAreRetryable) {
  for (const char* code : {"AF50000", "AF50005", "AF50006"}) {
    Error e = classifyApiResponse(ApiCall::kContentList,
                                  answer(400, afBody(code, "An internal error occurred.")));
    EXPECT_TRUE(e.retryable) << code;
    EXPECT_EQ(e.kind, ErrorKind::kApi) << code;
    EXPECT_EQ(e.code, code);
  }
}

TEST(ApiErrorsTest, Af10001IsAPermissionProblemWithTheConsentRemedy) {
  Error e = classifyApiResponse(ApiCall::kSubscriptionList,
                                answer(401, afBody("AF10001",
                                                   "The permission set () sent in the request does "
                                                   "not include the expected permission.")));
  EXPECT_EQ(e.kind, ErrorKind::kPermission);
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.code, "AF10001");
  EXPECT_NE(e.message.find("ActivityFeed.Read"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("admin consent"), std::string::npos) << e.message;
}

TEST(ApiErrorsTest, DocumentedCodesArePermanentApiErrors) {
  for (const char* code :
       {"AF20022", "AF20023", "AF20024", "AF20030", "AF20031", "AF20050", "AF20051", "AF20052",
        "AF20055", "AF20010", "AF20011", "AF20012", "AF20013", "AF20020"}) {
    Error e = classifyApiResponse(ApiCall::kContentList, answer(400, afBody(code, "Something.")));
    EXPECT_EQ(e.kind, ErrorKind::kApi) << code;
    EXPECT_FALSE(e.retryable) << code;
    EXPECT_EQ(e.code, code);
  }
  Error expired =
      classifyApiResponse(ApiCall::kBlob, answer(400, afBody("AF20051", "Content expired.")));
  EXPECT_NE(expired.message.find("lost"), std::string::npos) << expired.message;
  Error no_sub = classifyApiResponse(ApiCall::kContentList,
                                     answer(400, afBody("AF20022", "No subscription.")));
  EXPECT_NE(no_sub.message.find("subscriptions start"), std::string::npos) << no_sub.message;
}

TEST(ApiErrorsTest, TheCodeWinsOverTheStatus) {
  // A documented code with a 5xx is worth retrying; a 401 with AF20010 is not an auth refresh.
  EXPECT_TRUE(classifyApiResponse(ApiCall::kBlob, answer(503, afBody("AF20050", "x"))).retryable);
  Error e = classifyApiResponse(ApiCall::kBlob, answer(401, afBody("AF20010", "tenant mismatch")));
  EXPECT_EQ(e.kind, ErrorKind::kApi);
  EXPECT_FALSE(e.retryable);
}

TEST(ApiErrorsTest, AuditingDisabledIsRecognisedWithoutTheStackTrace) {
  const std::string body =
      R"json({"error":{"code":"StartSubscription [CorrId=0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d][TenantId=6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14,ContentType=Audit.Exchange,ApplicationId=a3e5c7d9-1b2f-4a6c-8e0d-2f4b6a8c0e12,PublisherId=6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14][AppId","message":"a3e5c7d9-1b2f-4a6c-8e0d-2f4b6a8c0e12] failed. Exception: Microsoft.Office.Compliance.Audit.DataServiceException: Tenant 6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14 does not exist.\r\n   at Microsoft.Office.Compliance.Audit.Something()"}})json";
  Error e = classifyApiResponse(ApiCall::kSubscriptionStart, answer(400, body));
  EXPECT_EQ(e.code, "AuditingDisabled");
  EXPECT_EQ(e.kind, ErrorKind::kApi);
  EXPECT_FALSE(e.retryable);
  EXPECT_NE(e.message.find("Purview"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("60 minutes"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("Exception"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("CorrId"), std::string::npos) << e.message;
}

TEST(ApiErrorsTest, StatusRulesWithoutACode) {
  Error unauthorized = classifyApiResponse(ApiCall::kBlob, answer(401, ""));
  EXPECT_EQ(unauthorized.kind, ErrorKind::kAuth);
  EXPECT_TRUE(unauthorized.retryable);
  EXPECT_EQ(unauthorized.code, "HTTP 401");

  for (int status : {408, 500, 502, 503, 504}) {
    Error e = classifyApiResponse(ApiCall::kBlob, answer(status, "<html>busy</html>"));
    EXPECT_TRUE(e.retryable) << status;
    EXPECT_EQ(e.kind, ErrorKind::kHttp) << status;
    EXPECT_EQ(e.message.find("<html>"), std::string::npos) << "raw body leaked: " << e.message;
  }
  Error too_many = classifyApiResponse(ApiCall::kBlob, answer(429, ""));
  EXPECT_EQ(too_many.kind, ErrorKind::kThrottled);
  EXPECT_TRUE(too_many.retryable);

  for (int status : {400, 403, 404, 410}) {
    Error e = classifyApiResponse(ApiCall::kBlob, answer(status, "<html>Not here</html>"));
    EXPECT_FALSE(e.retryable) << status;
    EXPECT_EQ(e.kind, ErrorKind::kHttp) << status;
    EXPECT_EQ(e.code, "HTTP " + std::to_string(status));
    EXPECT_EQ(e.message.find("Not here"), std::string::npos) << e.message;
  }
}

TEST(ApiErrorsTest, ApiMessagesAreRedactedAndTruncated) {
  std::string long_message(1000, 'x');
  Error e = classifyApiResponse(ApiCall::kBlob, answer(400, afBody("AF20052", long_message)));
  EXPECT_LT(e.message.size(), 300u + 200u);
  EXPECT_NE(e.message.find("..."), std::string::npos);

  Error leaked = classifyApiResponse(
      ApiCall::kBlob,
      answer(400, afBody("AF20052", "bad header Authorization: Bearer abc123secret")));
  EXPECT_EQ(leaked.message.find("abc123secret"), std::string::npos) << leaked.message;
}

TEST(ApiErrorsTest, SanitizeKeepsUtf8Whole) {
  std::string text = std::string(299, 'a') + "\xC3\xA9" + "tail";  // é straddles the cut
  std::string out = sanitizeApiText(text, 300);
  EXPECT_EQ(out, std::string(299, 'a') + "...");
  EXPECT_EQ(sanitizeApiText("line1\r\nline2"), "line1  line2");
}

}  // namespace
}  // namespace o365fwd
