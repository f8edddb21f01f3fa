#pragma once
// The health endpoint (DESIGN.md "Health endpoint"): GET /livez (/healthz), /readyz, /status,
// /metrics, / (the HTML status page) and POST /sync, served by libmicrohttpd's event loop on one
// polling thread (idle and slow connections cost a descriptor, not a thread) with a small pool of
// render threads for /status, /metrics and the page. It stays up under abuse (docs/STATUS.md
// "Under load"): a request header must be complete within `header_timeout`, and past
// `max_connections` the oldest connection waiting for a header is closed, so a probe gets in.
// Owns the listening socket and its threads; start() returns once the socket is bound (the port
// is known, so port 0 works), stop() (idempotent, also in the destructor) returns once every
// thread has ended. Handlers are called on the server's threads, concurrently: `snapshot` for the
// probes on the polling thread, for the views on a render thread.
// Access: when a token is set, every path but /livez, /healthz and /readyz needs it, as
// `Authorization: Bearer <token>` or as the password of HTTP Basic authentication (what a browser
// prompts for); answers carry no secret and are never cached.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/status/status_report.h"
#include "core/config/config.h"
#include "core/result.h"
#include "core/secrets/secret.h"

namespace o365fwd {

struct HealthServerOptions {
  std::string host = "127.0.0.1";
  int port = 9465;  // 0: any free port
  std::optional<Secret> token;

  // Abuse limits (docs/STATUS.md "Under load").
  std::size_t max_connections = 1000;              // past it the oldest idle connection is closed
  std::chrono::milliseconds header_timeout{2000};  // from connect or the previous answer
  std::chrono::seconds idle_timeout{10};           // no byte moved for this long while answering
  std::size_t render_threads = 2;
  std::size_t render_queue = 16;            // views waiting for a render thread; past it 503
  std::size_t max_answer_bytes = 64 << 20;  // answers not yet sent; past it views get 503
};

struct HealthHandlers {
  std::function<StatusReport()> snapshot;  // required
  // /livez and /readyz (StatusSnapshotter::probeSnapshot); `snapshot` when empty.
  std::function<StatusReport()> probe_snapshot;
  std::function<void()> sync_now;          // POST /sync; 503 when empty

  MetricsDetail metrics_detail = MetricsDetail::kStream;  // of /metrics (health.metrics_detail)
};

class HealthServer {
 public:
  static Result<std::unique_ptr<HealthServer>> start(HealthServerOptions options,
                                                     HealthHandlers handlers);
  virtual ~HealthServer() = default;
  virtual std::string url() const = 0;  // "http://127.0.0.1:9465"
  virtual void stop() = 0;
};

}  // namespace o365fwd
