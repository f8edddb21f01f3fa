#include "connector/auth/token_provider.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "connector/api_errors.h"
#include "connector/auth/client_assertion.h"
#include "connector/http/url_guard.h"
#include "core/logging.h"
#include "core/secrets/sensitive_values.h"

namespace o365fwd {
namespace {

constexpr std::chrono::minutes kMinRefreshMargin{5};

std::string trimSlashes(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A tenant that is safe to put in a URL path: a GUID or a DNS name.
bool isTenantIdentifier(const std::string& tenant) {
  if (tenant.empty() || tenant.size() > 253) return false;
  return std::all_of(tenant.begin(), tenant.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

// expires_in: 3599 (v2) or "3599" (v1).
std::optional<long long> secondsField(const rapidjson::Value& v) {
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsDouble()) return static_cast<long long>(v.GetDouble());
  if (v.IsString()) {
    long long n = 0;
    const char* s = v.GetString();
    auto [ptr, ec] = std::from_chars(s, s + v.GetStringLength(), n);
    if (ec == std::errc() && ptr == s + v.GetStringLength()) return n;
  }
  return std::nullopt;
}

bool isTransientAadsts(long long code) {
  return code == 90055 || code == 50000 || code == 90033 || code == 90006 || code == 90024;
}

std::string aadstsRemedy(long long code, const TokenProviderOptions& o) {
  switch (code) {
    case 7000215:
      return "the client secret is wrong — very often the secret ID was pasted instead of the "
             "secret Value";
    case 7000222:
      return "the client secret has expired; create a new one in Certificates & secrets";
    case 7000218:
    case 900144:
      return "the token request lacks the client secret or assertion: check the tenant's "
             "credential settings";
    case 700016:
      return "application " + o.client_id + " is not found in tenant " + o.tenant +
             ": wrong client ID, wrong tenant, or admin consent never granted there";
    case 90002:
      return "tenant " + o.tenant +
             " not found: check the Directory (tenant) ID and the cloud "
             "(a GCC High tenant needs cloud: gcc-high)";
    case 900023:
      return "tenant " + o.tenant +
             " is not a valid tenant GUID or domain: set tenant_id to the "
             "Directory (tenant) ID";
    case 90038:
      return "tenant " + o.tenant +
             " belongs to a national cloud: set cloud: (gcc-high or dod) so "
             "that cloud's login host is used";
    case 500011:
      return "the resource " + o.api_url + " is not found in tenant " + o.tenant +
             ": api_url or cloud is wrong";
    case 650052:
      return "tenant " + o.tenant + " does not have the service " + o.api_url +
             ": the API host belongs to another cloud (check cloud:)";
    case 70011:
    case 1002012:
    case 700022:
    case 901002:
      return "the token scope or resource for " + o.api_url +
             " is malformed: check api_url and token_endpoint";
    case 700027:
      return "the client assertion signature is invalid: private_key_file does not match the "
             "certificate registered for the app";
    case 50012:
      return "certificate authentication failed: upload certificate_file to the app "
             "registration's Certificates & secrets";
    case 50027:
    case 50048:
      return "the client assertion was rejected as malformed or outside its validity period: "
             "check the host clock (NTP)";
    case 7000112:
    case 70001: return "application " + o.client_id + " is disabled in tenant " + o.tenant;
    case 53003:
      return "a Conditional Access policy blocks this application's sign-in: ask the Entra "
             "administrator to exempt this workload identity";
    case 50196:
      return "the login service saw a loop of identical token requests: check that no other "
             "instance uses the same app";
    default:
      if (isTransientAadsts(code)) return "the login service is temporarily unavailable; retrying";
      return {};
  }
}

}  // namespace

TokenInfo decodeTokenClaims(const std::string& token) {
  TokenInfo info;
  std::size_t first = token.find('.');
  if (first == std::string::npos) return info;
  std::size_t second = token.find('.', first + 1);
  if (second == std::string::npos) return info;
  auto payload =
      crypto::base64UrlDecode(std::string_view(token).substr(first + 1, second - first - 1));
  if (!payload) return info;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(payload->data(), payload->size());
  if (doc.HasParseError() || !doc.IsObject()) return info;
  info.readable = true;
  info.delegated = doc.HasMember("scp");
  auto str = [&](const char* name) -> std::string {
    auto it = doc.FindMember(name);
    return it != doc.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
  };
  info.tenant_id = str("tid");
  info.app_id = str("appid");
  if (info.app_id.empty()) info.app_id = str("azp");
  auto roles = doc.FindMember("roles");
  if (roles != doc.MemberEnd() && roles->value.IsArray()) {
    for (const auto& r : roles->value.GetArray())
      if (r.IsString()) info.roles.emplace_back(r.GetString());
  }
  return info;
}

TokenProvider::TokenProvider(TokenProviderOptions options, HttpTransport& transport, Clock& clock,
                             Random& random, ApiStats* stats)
    : options_(std::move(options)),
      transport_(transport),
      clock_(clock),
      random_(random),
      stats_(stats) {}

std::string TokenProvider::tokenUrl() const {
  return trimSlashes(options_.login_url) + "/" + options_.tenant +
         (options_.endpoint == TokenEndpoint::kV2 ? "/oauth2/v2.0/token" : "/oauth2/token");
}

std::string TokenProvider::tenantGuid() const {
  if (isGuid(options_.tenant)) return lower(options_.tenant);
  std::lock_guard lock(mu_);
  return resolved_tid_;
}

std::optional<TokenInfo> TokenProvider::info() const {
  std::lock_guard lock(mu_);
  if (!cached_) return std::nullopt;
  return cached_->info;
}

void TokenProvider::invalidate(const std::string& token) {
  std::lock_guard lock(mu_);
  if (cached_ && cached_->token == token) cached_.reset();
}

void TokenProvider::reload() {
  {
    std::lock_guard lock(mu_);
    cached_.reset();
    failure_.reset();
    ++generation_;
  }
  std::lock_guard lock(credential_mu_);
  secret_.reset();
  certificate_.reset();
}

Result<std::string> TokenProvider::token(std::stop_token stop) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stop.stop_requested())
      return Error::permanent(ErrorKind::kCancelled, "token request cancelled");
    const SteadyTime now = clock_.steadyNow();
    const bool usable = cached_ && now < cached_->expires_at;
    if (usable && now < cached_->refresh_at) return cached_->token;
    if (failure_ && now < failure_until_) {
      if (usable) return cached_->token;
      return *failure_;
    }
    if (refreshing_) {
      if (usable) return cached_->token;
      cv_.wait(lock, stop, [&] { return !refreshing_; });
      continue;
    }

    refreshing_ = true;
    const std::uint64_t generation = generation_;
    lock.unlock();
    Result<Fetched> fetched = refreshWithRetries(stop);
    lock.lock();
    refreshing_ = false;
    cv_.notify_all();

    if (fetched) {
      const SteadyTime got = clock_.steadyNow();
      const auto lifetime = fetched->lifetime;
      auto margin = std::max<std::chrono::nanoseconds>(kMinRefreshMargin, lifetime / 5);
      margin = std::min<std::chrono::nanoseconds>(margin, lifetime / 2);
      Cached c;
      c.token = std::move(fetched->token);
      c.expires_at = got + lifetime;
      c.refresh_at = c.expires_at - margin;
      c.info = decodeTokenClaims(c.token);
      c.info.obtained_at = clock_.wallNow();
      c.info.expires_at = c.info.obtained_at + lifetime;
      if (!c.info.tenant_id.empty()) resolved_tid_ = lower(c.info.tenant_id);
      failure_.reset();
      cached_ = std::move(c);
      getLogger("connector.token")
          ->debug("token acquired tenant={} expires_in={}", options_.tenant, lifetime.count());
      return cached_->token;
    }
    Error error = std::move(fetched).takeError();
    if (error.kind == ErrorKind::kCancelled) return error;
    if (generation == generation_) {
      failure_ = error;
      failure_until_ = clock_.steadyNow() + (error.retryable ? options_.retryable_failure_hold
                                                             : options_.permanent_failure_hold);
    }
    auto login = parseUrl(tokenUrl());
    getLogger("connector.token")
        ->warn("token request failed tenant={} phase=token host={} retryable={} error={}",
               options_.tenant, login.ok() ? login->host + ":" + login->port : "(unknown)",
               error.retryable, error.describe());
    if (cached_ && clock_.steadyNow() < cached_->expires_at) return cached_->token;
    return error;
  }
}

Result<TokenProvider::Fetched> TokenProvider::refreshWithRetries(std::stop_token stop) {
  const int attempts = std::max(1, options_.max_attempts);
  for (int attempt = 0;; ++attempt) {
    Result<Fetched> result = requestOnce(stop);
    if (stats_) stats_->recordTokenRefresh(result.ok());
    // A timeout is returned at once: the caller reports it; retrying would hide a hung host.
    if (result || !result.error().retryable || result.error().code == "timeout" ||
        attempt + 1 >= attempts)
      return result;
    auto delay = backoffDelay(options_.backoff, attempt, random_, result.error().retry_after);
    if (!clock_.sleepFor(delay, stop))
      return Error::permanent(ErrorKind::kCancelled, "token request cancelled");
  }
}

Result<std::string> TokenProvider::buildForm() {
  if (!isTenantIdentifier(options_.tenant))
    return Error::permanent(ErrorKind::kConfig,
                            "tenant_id '" + sanitizeApiText(options_.tenant, 80) +
                                "' is neither a GUID nor a domain name",
                            "AADSTS900023");
  std::string form = "grant_type=client_credentials&client_id=" + urlEncode(options_.client_id);
  std::lock_guard lock(credential_mu_);
  if (options_.certificate) {
    if (!certificate_) {
      auto loaded = options_.certificate();
      if (!loaded) return loaded.error();
      certificate_ = std::move(*loaded);
    }
    auto assertion =
        buildClientAssertion(certificate_->certificate, certificate_->key, options_.client_id,
                             tokenUrl(), clock_.wallNow(), random_, certificate_->alg);
    if (!assertion) return assertion.error();
    form += "&client_assertion_type=" +
            urlEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
            "&client_assertion=" + urlEncode(*assertion);
  } else if (options_.client_secret) {
    if (!secret_) {
      auto loaded = options_.client_secret();
      if (!loaded) return loaded.error();
      secret_ = std::move(*loaded);
      registerSensitive(secret_->reveal(), SensitiveKind::kSecret);
    }
    if (secret_->empty())
      return Error::permanent(ErrorKind::kConfig, "the client secret is empty", "AADSTS7000218");
    form += "&client_secret=" + urlEncode(secret_->reveal());
  } else {
    return Error::permanent(ErrorKind::kConfig, "tenant " + options_.tenant + " has no credential");
  }
  const std::string resource = trimSlashes(options_.api_url);
  if (options_.endpoint == TokenEndpoint::kV2) {
    form += "&scope=" + urlEncode(resource + "/.default");
  } else {
    form += "&resource=" + urlEncode(resource);
  }
  return form;
}

Result<TokenProvider::Fetched> TokenProvider::requestOnce(std::stop_token stop) {
  auto form = buildForm();
  if (!form) {
    Error e = form.error();
    e.message = scrub(e.message);
    return e;
  }
  HttpRequest request;
  request.method = "POST";
  request.url = tokenUrl();
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  request.body = std::move(*form);
  request.connect_timeout = options_.connect_timeout;
  request.timeout = options_.request_timeout;
  request.low_speed_time = options_.stall_timeout;
  request.max_response_bytes = options_.max_response_bytes;
  request.stop = stop;
  std::optional<RequestGate::Permit> permit;
  if (options_.gate != nullptr) {
    permit = options_.gate->enter(stop, clock_.steadyNow() + options_.request_timeout);
    if (!permit) return setupGateError(stop);
  }
  auto result = executeBlocking(transport_, std::move(request));
  if (!result) {
    Error e = result.error();
    if (e.kind != ErrorKind::kCancelled) e.message = "token request: " + scrub(e.message);
    return e;
  }
  const HttpResponse& response = *result;
  if (response.status != 200) return tokenError(response);

  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(response.body.data(), response.body.size());
  if (doc.HasParseError() || !doc.IsObject())
    return Error::retryableError(ErrorKind::kCorrupt,
                                 "the token endpoint answered 200 without a JSON object; check "
                                 "login_url");
  auto access = doc.FindMember("access_token");
  if (access == doc.MemberEnd() || !access->value.IsString() ||
      access->value.GetStringLength() == 0)
    return Error::retryableError(ErrorKind::kCorrupt, "the token response has no access_token");
  auto expires = doc.FindMember("expires_in");
  std::optional<long long> lifetime;
  if (expires != doc.MemberEnd()) lifetime = secondsField(expires->value);
  if (!lifetime || *lifetime <= 0)
    return Error::retryableError(ErrorKind::kCorrupt, "the token response has no valid expires_in");
  std::string token(access->value.GetString(), access->value.GetStringLength());
  registerSensitive(token, SensitiveKind::kToken);  // an API may echo it back bare
  return Fetched{std::move(token), std::chrono::seconds(*lifetime)};
}

Error TokenProvider::tokenError(const HttpResponse& response) const {
  const int status = response.status;
  std::string oauth_error, description, trace_id;
  std::optional<long long> code;
  rapidjson::Document doc;
  if (response.body.size() <= options_.max_response_bytes) {
    doc.Parse<rapidjson::kParseIterativeFlag>(response.body.data(), response.body.size());
  }
  if (!doc.HasParseError() && doc.IsObject()) {
    auto get = [&](const char* name) -> std::string {
      auto it = doc.FindMember(name);
      return it != doc.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
    };
    oauth_error = get("error");
    description = get("error_description");
    trace_id = get("trace_id");
    auto codes = doc.FindMember("error_codes");
    if (codes != doc.MemberEnd() && codes->value.IsArray() && !codes->value.Empty() &&
        codes->value[0].IsInt64())
      code = codes->value[0].GetInt64();
  }
  const bool retryable =
      (code && isTransientAadsts(*code)) || status >= 500 || status == 429 || status == 408;
  std::string message = "token request for tenant " + options_.tenant + " failed (HTTP " +
                        std::to_string(status) +
                        (oauth_error.empty() ? "" : ", " + sanitizeApiText(oauth_error, 60)) + ")";
  std::string remedy = code ? aadstsRemedy(*code, options_) : std::string();
  if (!remedy.empty()) {
    message += ": " + remedy;
  } else if (!description.empty()) {
    // Only the first line: the rest is trace/correlation boilerplate.
    message += ": " + sanitizeApiText(description.substr(0, description.find_first_of("\r\n")));
  } else if (!code) {
    message += status == 404 ? ": check login_url and tenant_id" : ": no error details";
  }
  if (!trace_id.empty()) message += " (trace_id=" + sanitizeApiText(trace_id, 40) + ")";
  Error e{ErrorKind::kAuth, retryable, scrub(message),
          code ? "AADSTS" + std::to_string(*code) : "HTTP " + std::to_string(status), std::nullopt};
  if (auto value = response.header("Retry-After"))
    e.retry_after = parseRetryAfter(*value, clock_.wallNow());
  return e;
}

std::string TokenProvider::scrub(std::string text) const {
  std::lock_guard lock(credential_mu_);
  if (!secret_ || secret_->reveal().size() < 4) return text;
  const std::string& s = secret_->reveal();
  for (std::size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 3))
    text.replace(pos, s.size(), "***");
  return text;
}

}  // namespace o365fwd
