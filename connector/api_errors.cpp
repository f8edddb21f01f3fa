#include "connector/api_errors.h"

#include <rapidjson/document.h>

#include <cctype>
#include <charconv>

#include "core/secrets/redact.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

constexpr std::size_t kMaxParsedBody = 1024 * 1024;  // error bodies are small; don't parse a blob

struct ApiErrorBody {
  std::string code;
  std::string message;
};

std::optional<ApiErrorBody> parseErrorBody(const std::string& body) {
  if (body.empty() || body.size() > kMaxParsedBody) return std::nullopt;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  auto error = doc.FindMember("error");
  if (error == doc.MemberEnd() || !error->value.IsObject()) return std::nullopt;
  ApiErrorBody out;
  auto code = error->value.FindMember("code");
  if (code != error->value.MemberEnd() && code->value.IsString())
    out.code.assign(code->value.GetString(), code->value.GetStringLength());
  auto message = error->value.FindMember("message");
  if (message != error->value.MemberEnd() && message->value.IsString())
    out.message.assign(message->value.GetString(), message->value.GetStringLength());
  return out;
}

// "AF" followed by digits: a documented Management API code.
bool isAfCode(const std::string& code) {
  if (code.size() < 3 || code.size() > 12 || code[0] != 'A' || code[1] != 'F') return false;
  for (size_t i = 2; i < code.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(code[i]))) return false;
  return true;
}

bool isTransientAfCode(const std::string& code) {
  return code == "AF50000" || code == "AF50005" || code == "AF50006";
}

// "first. Second": the remedy starts a new sentence.
std::string joinSentences(std::string first, std::string second) {
  if (second.empty()) return first;
  if (!first.empty() && first.back() != '.') first += '.';
  second[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(second[0])));
  return first + " " + second;
}

}  // namespace

const char* toString(ApiCall call) {
  switch (call) {
    case ApiCall::kSubscriptionStart: return "subscription start";
    case ApiCall::kSubscriptionStop: return "subscription stop";
    case ApiCall::kSubscriptionList: return "subscription list";
    case ApiCall::kContentList: return "content list";
    case ApiCall::kBlob: return "blob download";
  }
  return "api call";
}

std::string sanitizeApiText(std::string_view text, std::size_t max_chars) {
  std::string flat(text);
  for (char& c : flat)
    if (std::iscntrl(static_cast<unsigned char>(c))) c = ' ';
  std::string clean = redactSecrets(flat);
  if (clean.size() <= max_chars) return clean;
  std::size_t cut = max_chars;
  // Never cut inside a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(clean[cut]) & 0xC0) == 0x80) --cut;
  clean.resize(cut);
  return clean + "...";
}

std::optional<std::chrono::seconds> parseRetryAfter(std::string_view value,
                                                    std::optional<WallTime> reference) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
    value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
    value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    long long seconds = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || ptr != value.data() + value.size()) return std::nullopt;
    return std::chrono::seconds(seconds);
  }
  auto when = parseHttpDate(value);
  if (!when || !reference) return std::nullopt;
  auto delta = std::chrono::duration_cast<std::chrono::seconds>(*when - *reference);
  return delta.count() < 0 ? std::chrono::seconds(0) : delta;
}

std::string apiErrorRemedy(const std::string& code) {
  if (code == "AF10001")
    return "grant the Application permission ActivityFeed.Read on Office 365 Management APIs and "
           "admin consent";
  if (code == "AF429")
    return "requests are paced down and retried; check that publisher_id is your tenant GUID and "
           "consider lowering collection.max_requests_per_minute";
  if (code == "AF20010")
    return "the tenant in the URL differs from the token's tenant: tenant_id must be the tenant "
           "the app authenticates in";
  if (code == "AF20011") return "the tenant does not exist or was deleted: check tenant_id";
  if (code == "AF20012")
    return "the tenant is not set up for the Management Activity API: check its Office 365 "
           "subscription and audit settings";
  if (code == "AF20013") return "set tenant_id to the Directory (tenant) ID GUID";
  if (code == "AF20020")
    return "check content_types: valid values are Audit.AzureActiveDirectory, Audit.Exchange, "
           "Audit.SharePoint, Audit.General and DLP.All";
  if (code == "AF20022")
    return "the subscription for this content type is not started; o365fwd starts it (or run "
           "'o365fwd subscriptions start')";
  if (code == "AF20023")
    return "an administrator disabled this subscription; re-enable it with 'o365fwd "
           "subscriptions start'";
  if (code == "AF20030" || code == "AF20055")
    return "the listing window breaks the API's 24-hour / 7-day limits: check the host clock (NTP)";
  if (code == "AF20031") return "the nextPage token is no longer valid; list the window again";
  if (code == "AF20050") return "the content blob does not exist (any more); it is skipped";
  if (code == "AF20051")
    return "the content blob expired (older than 7 days) before it was downloaded; its records "
           "are lost";
  if (code == "AF20052") return "the content id is invalid; the blob is skipped";
  if (code == "AuditingDisabled")
    return "turn on unified audit logging in Microsoft Purview (takes up to 60 minutes)";
  return {};
}

Error classifyApiResponse(ApiCall call, const HttpResponse& response, std::optional<WallTime> now) {
  const int status = response.status;
  std::optional<WallTime> reference = now;
  if (auto date = response.header("Date")) {
    if (auto parsed = parseHttpDate(*date)) reference = parsed;
  }
  std::optional<std::chrono::seconds> retry_after;
  if (auto value = response.header("Retry-After")) retry_after = parseRetryAfter(*value, reference);

  const std::string prefix = std::string(toString(call)) + ": HTTP " + std::to_string(status);
  auto body = parseErrorBody(response.body);
  std::string code = body ? body->code : std::string();
  std::string api_message = body ? sanitizeApiText(body->message) : std::string();
  auto with = [&](Error e) {
    e.retry_after = retry_after;
    return e;
  };

  if (isAfCode(code)) {
    std::string message = prefix + (api_message.empty() ? "" : ": " + api_message);
    message = joinSentences(std::move(message), apiErrorRemedy(code));
    if (code == "AF429") return with(Error::retryableError(ErrorKind::kThrottled, message, code));
    if (code == "AF10001") return with(Error::permanent(ErrorKind::kPermission, message, code));
    if (isTransientAfCode(code) || status >= 500)
      return with(Error::retryableError(ErrorKind::kApi, message, code));
    return with(Error::permanent(ErrorKind::kApi, message, code));
  }

  // Unified audit logging off: a free-form code ("StartSubscription [CorrId=...") and a message
  // with a .NET stack trace containing "Tenant <guid> does not exist". Neither goes verbatim.
  if (body && (body->message.find("does not exist") != std::string::npos ||
               body->code.find("does not exist") != std::string::npos)) {
    std::string message = prefix +
                          ": the API says the tenant does not exist for auditing, which "
                          "means unified audit logging is off";
    return with(Error::permanent(ErrorKind::kApi,
                                 joinSentences(message, apiErrorRemedy("AuditingDisabled")),
                                 "AuditingDisabled"));
  }

  std::string detail;
  if (!code.empty()) detail = sanitizeApiText(code, 80);
  if (!api_message.empty()) detail += (detail.empty() ? "" : " ") + api_message;
  std::string message = prefix + (detail.empty() ? "" : ": " + detail);
  std::string http_code = "HTTP " + std::to_string(status);

  if (status == 401)
    return with(Error::retryableError(ErrorKind::kAuth,
                                      joinSentences(message,
                                                    "the API refused the token; a new "
                                                    "token is requested"),
                                      http_code));
  if (status == 429) return with(Error::retryableError(ErrorKind::kThrottled, message, http_code));
  if (status == 408 || status >= 500)
    return with(Error::retryableError(ErrorKind::kHttp, message, http_code));
  return with(Error::permanent(ErrorKind::kHttp, message, http_code));
}

}  // namespace o365fwd
