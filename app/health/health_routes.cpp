#include "app/health/health_routes.h"

#include "app/status/fleet_health.h"
#include "app/status/metrics_text.h"
#include "app/status/status_json.h"
#include "app/status/status_page.h"
#include "app/status/status_snapshotter.h"
#include "core/logging.h"
#include "core/secrets/crypto.h"

namespace o365fwd {
namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kText = "text/plain; charset=utf-8";

bool sameBytes(const std::string& a, const std::string& b) {
  // Length leaks nothing useful; the bytes are compared without an early exit.
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// Every answer: never cached, never sniffed.
HealthAnswer answer(int status, const char* content_type, std::string body) {
  HealthAnswer a;
  a.status = status;
  a.content_type = content_type;
  a.body = std::move(body);
  a.headers = {{"Cache-Control", "no-store"}, {"X-Content-Type-Options", "nosniff"}};
  return a;
}

std::string readiness(const StatusReport& r) {
  if (r.ready) return "ready\n";
  std::string out = "not ready:\n";
  for (const std::string& reason : notReadyReasons(r)) out += "  " + reason + "\n";
  return out;
}

// The page's policy allows inline styles, the inline script and fetches of its own origin only.
HealthAnswer pageAnswer(const StatusReport& r, const PageQuery& query) {
  HealthAnswer a = answer(200, "text/html; charset=utf-8", renderStatusPage(r, query));
  a.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
      "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'");
  a.headers.emplace_back("X-Frame-Options", "DENY");
  return a;
}

}  // namespace

HealthRoutes::HealthRoutes(std::optional<Secret> token, HealthHandlers handlers)
    : token_(std::move(token)), handlers_(std::move(handlers)) {}

bool HealthRoutes::authorized(const std::optional<std::string>& header) const {
  if (!token_) return true;
  if (!header) return false;
  const std::string& expected = token_->reveal();
  if (header->rfind("Bearer ", 0) == 0) return sameBytes(header->substr(7), expected);
  if (header->rfind("Basic ", 0) == 0) {
    auto decoded = crypto::base64UrlDecode(header->substr(6));
    if (!decoded.ok()) return false;
    auto colon = decoded->find(':');
    return colon != std::string::npos && sameBytes(decoded->substr(colon + 1), expected);
  }
  return false;
}

HealthAnswer HealthRoutes::busy(const std::string& why) {
  HealthAnswer a = answer(503, kText, why + "; retry in a second\n");
  a.headers.emplace_back("Retry-After", "1");
  return a;
}

HealthDecision HealthRoutes::decide(const HealthRequest& req) const {
  enum class Path { kLive, kReady, kStatus, kMetrics, kPage, kSync };
  std::optional<Path> path;
  if (req.path == "/livez" || req.path == "/healthz") path = Path::kLive;
  if (req.path == "/readyz") path = Path::kReady;
  if (req.path == "/status") path = Path::kStatus;
  if (req.path == "/metrics") path = Path::kMetrics;
  if (req.path == "/") path = Path::kPage;
  if (req.path == "/sync") path = Path::kSync;
  const bool has_body = req.chunked || req.content_length.value_or(0) > 0;
  HealthDecision d;
  auto finish = [&](HealthAnswer a) {
    a.close = a.close || has_body;  // the body is never read: the connection cannot be reused
    d.answer = std::move(a);
    return d;
  };
  if (!path) return finish(answer(404, kText, "not found\n"));
  // The token is checked first, from the headers alone: nothing of a body is read before.
  const bool probe = *path == Path::kLive || *path == Path::kReady;
  if (!probe && !authorized(req.authorization)) {
    HealthAnswer a = answer(
        401, kText,
        "a token is required: send Authorization: Bearer <the content of health.token_file>\n");
    a.headers.emplace_back("WWW-Authenticate", "Basic realm=\"o365fwd\", charset=\"UTF-8\"");
    return finish(std::move(a));
  }
  if (req.content_length.value_or(0) > kMaxBodyBytes)
    return finish(answer(413, kText, "a request body may have at most 4096 bytes\n"));
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (*path == Path::kSync) {
    if (req.method != "POST") {
      HealthAnswer a = answer(405, kText, "use POST /sync to start a poll now\n");
      a.headers.emplace_back("Allow", "POST");
      return finish(std::move(a));
    }
    // Answered before any body: `curl -X POST .../sync` sends none; a body is not read and the
    // connection is closed after the answer.
    HealthAnswer a;
    if (!handlers_.sync_now) {
      a = answer(503, kJson, "{\"sync\":\"unavailable\"}\n");
    } else {
      handlers_.sync_now();
      getLogger("app.health")
          ->info("Sync requested over the health endpoint; every idle stream polls now");
      a = answer(202, kJson, "{\"sync\":\"started\"}\n");
    }
    a.close = true;
    return finish(std::move(a));
  }
  if (!get) {
    HealthAnswer a = answer(405, kText, "only GET and HEAD are served here\n");
    a.headers.emplace_back("Allow", "GET, HEAD");
    return finish(std::move(a));
  }
  if (has_body) return finish(answer(400, kText, "a GET request takes no body\n"));
  d.view = *path == Path::kLive      ? HealthView::kLive
           : *path == Path::kReady   ? HealthView::kReady
           : *path == Path::kStatus  ? HealthView::kStatus
           : *path == Path::kMetrics ? HealthView::kMetrics
                                     : HealthView::kPage;
  d.pretty = req.pretty;
  d.page_query = req.page_query;
  if (!validStateFilter(d.page_query.state)) d.page_query.state.clear();
  d.encoding = chooseEncoding(req.accept_encoding);
  return d;
}

HealthAnswer HealthRoutes::render(HealthView view, bool pretty) const {
  return render(view, pretty, handlers_.snapshot());
}

HealthAnswer HealthRoutes::render(const HealthDecision& d) const {
  HealthAnswer a = d.view == HealthView::kPage ? pageAnswer(handlers_.snapshot(), d.page_query)
                                               : render(d.view, d.pretty);
  if (isProbe(d.view)) return a;
  a.headers.emplace_back("Vary", "Accept-Encoding");
  if (a.body.size() < kMinCompressedAnswerBytes) return a;
  if (auto packed = encodeAnswer(a.body, d.encoding)) {
    a.body = std::move(*packed);
    a.headers.emplace_back("Content-Encoding", contentEncoding(d.encoding));
  }
  return a;
}

HealthAnswer HealthRoutes::render(HealthView view, bool pretty, const StatusReport& r) const {
  switch (view) {
    // Alive = the collector's, the status board's and every sink's locks could be taken (the
    // snapshot takes each briefly). A deadlocked daemon makes the probe hang, which probes
    // (systemd, Kubernetes, monitoring) count as a failure; a slow API or sink does not.
    case HealthView::kLive: return answer(200, kText, "ok\n");
    case HealthView::kReady: return answer(r.ready ? 200 : 503, kText, readiness(r));
    case HealthView::kStatus: return answer(200, kJson, statusToJson(r, pretty));
    case HealthView::kMetrics:
      return answer(200, kMetricsContentType, renderMetrics(r, handlers_.metrics_detail));
    case HealthView::kPage: return pageAnswer(r, {});
    case HealthView::kNone: break;
  }
  return answer(404, kText, "not found\n");
}

}  // namespace o365fwd
