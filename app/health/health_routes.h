#pragma once
// What the health endpoint answers, without any HTTP library: routing, the token check, the
// request limits and the headers every answer carries, and the rendering of each view.
// decide() sees only the request line and headers (it runs before any body is read, on the
// server's polling thread): it answers POST /sync and every refusal itself, and leaves the views
// that need a snapshot (probes, /status, /metrics, /) to render(), which the server calls off its
// polling thread (ProbeBatcher, RenderPool).
// Both are const and thread-safe as far as the handlers are; answers never carry the token.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/health/answer_encoding.h"
#include "app/health/health_server.h"
#include "app/status/status_page.h"

namespace o365fwd {

struct HealthRequest {
  std::string method;                           // "GET", "HEAD", "POST", ...
  std::string path;                             // without the query
  bool pretty = false;                          // ?pretty
  std::optional<std::string> authorization;     // the Authorization header
  std::optional<std::uint64_t> content_length;  // as announced; nothing of the body is read
  bool chunked = false;                         // Transfer-Encoding announced
  // Fleet page and compression (issue 11).
  PageQuery page_query;         // ?q=, ?state=, ?page= (the page's tenant list)
  std::string accept_encoding;  // the Accept-Encoding header (chooseEncoding)
};

struct HealthAnswer {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond Content-Type
  bool close = false;  // close the connection after the answer (a body may follow unread)
};

enum class HealthView { kNone, kLive, kReady, kStatus, kMetrics, kPage };
inline bool isProbe(HealthView v) {
  return v == HealthView::kLive || v == HealthView::kReady;
}

// Either a final answer, or the view to answer from a snapshot (off the polling thread).
struct HealthDecision {
  std::optional<HealthAnswer> answer;
  HealthView view = HealthView::kNone;
  bool pretty = false;
  PageQuery page_query;  // kPage only
  AnswerEncoding encoding = AnswerEncoding::kIdentity;  // large answers are sent in it
};

class HealthRoutes {
 public:
  static constexpr std::uint64_t kMaxBodyBytes = 4096;

  HealthRoutes(std::optional<Secret> token, HealthHandlers handlers);

  HealthDecision decide(const HealthRequest& request) const;
  HealthAnswer render(HealthView view, bool pretty) const;  // from a new snapshot
  HealthAnswer render(HealthView view, bool pretty, const StatusReport& report) const;
  // The decided view from a new snapshot, compressed when the decision says so.
  HealthAnswer render(const HealthDecision& decision) const;
  // 503 for a view that cannot be rendered now (render queue full, shutting down).
  static HealthAnswer busy(const std::string& why);

 private:
  bool authorized(const std::optional<std::string>& header) const;

  std::optional<Secret> token_;
  HealthHandlers handlers_;
};

}  // namespace o365fwd
