#pragma once
// The health endpoint (DESIGN.md "Health endpoint"): GET /livez (/healthz), /readyz, /status,
// /metrics, / (the HTML status page) and POST /sync, served by cpp-httplib on four threads.
// Owns the listening socket and its thread; start() returns once the socket is bound (the port
// is known, so port 0 works), stop() (idempotent, also in the destructor) returns once the
// thread has ended. Handlers are called on the server's threads, concurrently.
// Access: when a token is set, every path but /livez, /healthz and /readyz needs it, as
// `Authorization: Bearer <token>` or as the password of HTTP Basic authentication (what a browser
// prompts for); answers carry no secret and are never cached.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/status/status_report.h"
#include "core/result.h"
#include "core/secret.h"

namespace o365fwd {

struct HealthServerOptions {
  std::string host = "127.0.0.1";
  int port = 9465;  // 0: any free port
  std::optional<Secret> token;
};

struct HealthHandlers {
  std::function<StatusReport()> snapshot;  // required
  std::function<void()> sync_now;          // POST /sync; 503 when empty
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
