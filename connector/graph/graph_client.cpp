#include "connector/graph/graph_client.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "connector/http/url_guard.h"
#include "core/logging.h"

namespace o365fwd {
namespace {

constexpr const char* kIssuesPath = "/v1.0/admin/serviceAnnouncement/issues";
constexpr const char* kOverviewsPath = "/v1.0/admin/serviceAnnouncement/healthOverviews";
constexpr const char* kAllowedPrefix = "/v1.0/admin/serviceAnnouncement/";
constexpr std::size_t kMaxMessage = 300;

Error cancelled() {
  return Error::permanent(ErrorKind::kCancelled, "request cancelled");
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::optional<std::chrono::seconds> retryAfter(const HttpResponse& response) {
  auto value = response.header("Retry-After");
  if (!value || value->empty() || value->size() > 9) return std::nullopt;
  long long seconds = 0;
  for (char c : *value) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = seconds * 10 + (c - '0');
  }
  return std::chrono::seconds(seconds);
}

// Graph's error object: code and message, bounded, or empty strings.
std::pair<std::string, std::string> graphError(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return {};
  auto error = doc.FindMember("error");
  if (error == doc.MemberEnd() || !error->value.IsObject()) return {};
  std::string code, message;
  auto c = error->value.FindMember("code");
  if (c != error->value.MemberEnd() && c->value.IsString())
    code.assign(c->value.GetString(), std::min<std::size_t>(c->value.GetStringLength(), 64));
  auto m = error->value.FindMember("message");
  if (m != error->value.MemberEnd() && m->value.IsString())
    message.assign(m->value.GetString(),
                   std::min<std::size_t>(m->value.GetStringLength(), kMaxMessage));
  return {code, message};
}

}  // namespace

Error classifyGraphResponse(const HttpResponse& response) {
  auto [code, message] = graphError(response.body);
  const std::string status = "HTTP " + std::to_string(response.status);
  const std::string said = code.empty() && message.empty()
                               ? status
                               : status + " " + code + (message.empty() ? "" : ": " + message);
  if (response.status == 403) {
    return Error::permanent(
        ErrorKind::kPermission,
        "Microsoft Graph refused the service health request (" + said +
            "). The application lacks the Microsoft Graph application permission "
            "ServiceHealth.Read.All: in the Entra admin center open App registrations > the "
            "application > API permissions > Add a permission > Microsoft Graph > Application "
            "permissions, add ServiceHealth.Read.All, then select \"Grant admin consent\" for the "
            "tenant (or set service_health: false for this tenant)",
        kGraphPermissionCode);
  }
  if (response.status == 401)
    return Error::retryableError(ErrorKind::kAuth,
                                 "Microsoft Graph refused the token (" + said + ")", status);
  if (response.status == 429) {
    Error e = Error::retryableError(ErrorKind::kThrottled,
                                    "Microsoft Graph throttled the request (" + said + ")", status);
    e.retry_after = retryAfter(response);
    return e;
  }
  if (response.status >= 500 || response.status == 408) {
    Error e = Error::retryableError(ErrorKind::kHttp, "Microsoft Graph answered " + said, status);
    e.retry_after = retryAfter(response);
    return e;
  }
  if (response.status == 404)
    return Error::permanent(ErrorKind::kHttp,
                            "Microsoft Graph has no service announcements at this address (" +
                                said +
                                "); check graph_url (the tenant's cloud has its own Graph host)",
                            status);
  return Error::permanent(ErrorKind::kHttp, "Microsoft Graph answered " + said, status);
}

GraphClient::GraphClient(GraphClientOptions options, HttpTransport& transport,
                         TokenProvider& tokens, RateLimiter& limiter, Clock& clock, Random& random)
    : options_(std::move(options)),
      transport_(transport),
      tokens_(tokens),
      limiter_(limiter),
      clock_(clock),
      random_(random) {}

std::uint64_t GraphClient::requests() const {
  return requests_.load(std::memory_order_relaxed);
}

Status GraphClient::checkGraphUrl(const std::string& url) const {
  auto base = parseUrl(options_.graph_url);
  auto target = parseUrl(url);
  auto refuse = [&](const std::string& why) {
    return Error::permanent(ErrorKind::kApi,
                            "Microsoft Graph sent a link that is not followed (" + why +
                                "); the token is only sent to " + options_.graph_url,
                            "untrusted_uri");
  };
  if (!base.ok()) return base.error();
  if (!target.ok()) return refuse("not a URL");
  if (target->has_userinfo) return refuse("it holds a user name");
  if (target->scheme != base->scheme || lower(target->host) != lower(base->host) ||
      target->port != base->port)
    return refuse("another host: " + target->host);
  const std::string prefix = (base->path == "/" ? std::string() : base->path) + kAllowedPrefix;
  if (target->path.rfind(prefix, 0) != 0 || target->path.find("..") != std::string::npos)
    return refuse("a path outside " + std::string(kAllowedPrefix));
  return okStatus();
}

Result<HttpResponse> GraphClient::get(const std::string& url, std::stop_token stop) {
  if (Status allowed = checkGraphUrl(url); !allowed.ok()) return allowed.error();
  const int max_attempts = std::max(1, options_.max_attempts);
  bool token_renewed = false;
  std::optional<Error> last;
  for (int attempt = 0;;) {
    if (stop.stop_requested() || !limiter_.acquire(stop)) return cancelled();
    auto token = tokens_.token(stop);
    if (!token.ok()) return token.error();  // TokenProvider retried and classified it
    HttpRequest request;
    request.url = url;
    request.headers = {{"Accept", "application/json"}};
    request.bearer_token = *token;
    request.connect_timeout = options_.connect_timeout;
    request.timeout = options_.request_timeout;
    request.low_speed_time = options_.low_speed_time;
    request.max_response_bytes = options_.max_page_bytes;
    request.stop = stop;
    requests_.fetch_add(1, std::memory_order_relaxed);
    auto result = executeBlocking(transport_, std::move(request));
    if (result.ok() && result->status >= 200 && result->status < 300) return std::move(*result);
    if (!result.ok()) {
      last = result.error();
      if (last->kind == ErrorKind::kCancelled || !last->retryable) return *last;
      last->message = "Microsoft Graph request: " + last->message;
    } else {
      Error e = classifyGraphResponse(*result);
      if (result->status == 401 && !token_renewed) {
        token_renewed = true;
        tokens_.invalidate(*token);
        last = e;
        continue;
      }
      if (!e.retryable) return e;
      last = std::move(e);
    }
    if (++attempt >= max_attempts) break;
    std::optional<std::chrono::seconds> after = last->retry_after;
    if (after) after = std::min(*after, options_.max_retry_after);
    auto delay = backoffDelay(options_.backoff, attempt - 1, random_, after);
    if (last->kind == ErrorKind::kThrottled) limiter_.penalize(delay);
    if (!clock_.sleepFor(delay, stop)) return cancelled();
  }
  return *last;
}

Result<ServiceIssueListing> GraphClient::listIssues(std::stop_token stop) {
  ServiceIssueListing listing;
  std::set<std::string> seen_links;
  std::string url = urlOf(kIssuesPath);
  while (!url.empty()) {
    if (listing.pages >= static_cast<std::size_t>(options_.max_pages))
      return Error::retryableError(ErrorKind::kCorrupt,
                                   "Microsoft Graph listed more than " +
                                       std::to_string(options_.max_pages) +
                                       " pages of service issues; the listing was cut and is "
                                       "retried at the next poll",
                                   "graph_too_many_pages");
    if (!seen_links.insert(url).second)
      return Error::retryableError(ErrorKind::kCorrupt,
                                   "Microsoft Graph's @odata.nextLink repeats a page; the listing "
                                   "is retried at the next poll",
                                   "graph_paging_loop");
    auto response = get(url, stop);
    if (!response.ok()) return response.error();
    auto page = parseServiceIssuePage(response->body);
    if (!page.ok()) return page.error();
    ++listing.pages;
    listing.bad_items += page->bad_items;
    for (std::string& p : page->problems)
      if (listing.problems.size() < ServiceIssuePage::kMaxProblems)
        listing.problems.push_back(std::move(p));
    for (ServiceIssue& issue : page->issues) listing.issues.push_back(std::move(issue));
    url = page->next_link;
  }
  return listing;
}

Result<ServiceOverviewPage> GraphClient::healthOverviews(std::stop_token stop) {
  ServiceOverviewPage all;
  std::set<std::string> seen_links;
  std::string url = urlOf(kOverviewsPath);
  int pages = 0;
  while (!url.empty() && pages < options_.max_pages && seen_links.insert(url).second) {
    auto response = get(url, stop);
    if (!response.ok()) return response.error();
    auto page = parseServiceOverviewPage(response->body);
    if (!page.ok()) return page.error();
    ++pages;
    all.bad_items += page->bad_items;
    for (ServiceOverview& o : page->services) all.services.push_back(std::move(o));
    url = page->next_link;
  }
  return all;
}

}  // namespace o365fwd
