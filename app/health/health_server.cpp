// The only file that includes cpp-httplib in the forwarder (the simulator has its own server).
#include "app/health/health_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "app/status/metrics_text.h"
#include "app/status/status_json.h"
#include "app/status/status_page.h"
#include "app/status/status_snapshotter.h"
#include "core/crypto.h"
#include "core/logging.h"

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

class HttplibHealthServer final : public HealthServer {
 public:
  HttplibHealthServer(HealthServerOptions options, HealthHandlers handlers)
      : options_(std::move(options)), handlers_(std::move(handlers)) {}
  ~HttplibHealthServer() override { stop(); }

  Status bindAndRun() {
    routes();
    int port = options_.port == 0
                   ? server_.bind_to_any_port(options_.host)
                   : (server_.bind_to_port(options_.host, options_.port) ? options_.port : -1);
    if (port <= 0)
      return Error::permanent(ErrorKind::kConfig,
                              "health.listen: cannot listen on " + options_.host + ":" +
                                  std::to_string(options_.port) + ": " + std::strerror(errno) +
                                  "; another process (a second o365fwd?) holds the port — "
                                  "stop it or choose another health.listen port");
    port_ = port;
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      listen_returned_.store(true);
    });
    return okStatus();
  }

  std::string url() const override {
    bool v6 = options_.host.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + options_.host + "]" : options_.host) + ":" +
           std::to_string(port_);
  }

  void stop() override {
    if (!thread_.joinable()) return;
    // httplib 0.11 loses a stop() that arrives before listen_after_bind() is running: repeat it
    // until the listen loop has returned.
    while (!listen_returned_.load()) {
      server_.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    thread_.join();
  }

 private:
  bool authorized(const httplib::Request& req) const {
    if (!options_.token) return true;
    const std::string& expected = options_.token->reveal();
    std::string header = req.get_header_value("Authorization");
    if (header.rfind("Bearer ", 0) == 0) return sameBytes(header.substr(7), expected);
    if (header.rfind("Basic ", 0) == 0) {
      auto decoded = crypto::base64UrlDecode(header.substr(6));
      if (!decoded.ok()) return false;
      auto colon = decoded->find(':');
      return colon != std::string::npos && sameBytes(decoded->substr(colon + 1), expected);
    }
    return false;
  }

  // Wraps a handler with the access check and the headers every answer carries.
  httplib::Server::Handler guarded(bool needs_token, httplib::Server::Handler handler) {
    return [this, needs_token, handler = std::move(handler)](const httplib::Request& req,
                                                             httplib::Response& res) {
      res.set_header("Cache-Control", "no-store");
      res.set_header("X-Content-Type-Options", "nosniff");
      if (needs_token && !authorized(req)) {
        res.status = 401;
        res.set_header("WWW-Authenticate", "Basic realm=\"o365fwd\", charset=\"UTF-8\"");
        res.set_content(
            "a token is required: send Authorization: Bearer <the content of health.token_file>\n",
            kText);
        return;
      }
      handler(req, res);
    };
  }

  void routes() {
    server_.new_task_queue = [] { return new httplib::ThreadPool(4); };
    server_.set_payload_max_length(4096);
    // httplib's default adds SO_REUSEPORT, which would let a second instance share the port
    // silently; SO_REUSEADDR alone still allows a restart while old connections linger.
    server_.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server_.set_read_timeout(5, 0);
    server_.set_write_timeout(10, 0);
    server_.set_keep_alive_max_count(100);
    server_.set_keep_alive_timeout(2);  // an idle browser connection holds a thread at most 2 s

    // Alive = the collector's, the status board's and every sink's locks can be taken (the
    // snapshot takes each briefly). A deadlocked daemon makes the probe hang, which probes
    // (systemd, Kubernetes, monitoring) count as a failure; a slow API or sink does not.
    auto live = guarded(false, [this](const httplib::Request&, httplib::Response& res) {
      (void)handlers_.snapshot();
      res.set_content("ok\n", kText);
    });
    server_.Get("/livez", live);
    server_.Get("/healthz", live);
    server_.Get("/readyz", guarded(false, [this](const httplib::Request&, httplib::Response& res) {
                  StatusReport r = handlers_.snapshot();
                  res.status = r.ready ? 200 : 503;
                  res.set_content(readiness(r), kText);
                }));
    server_.Get(
        "/status", guarded(true, [this](const httplib::Request& req, httplib::Response& res) {
          res.set_content(statusToJson(handlers_.snapshot(), req.has_param("pretty")), kJson);
        }));
    server_.Get("/metrics", guarded(true, [this](const httplib::Request&, httplib::Response& res) {
                  res.set_content(renderMetrics(handlers_.snapshot()), kMetricsContentType);
                }));
    server_.Get("/", guarded(true, [this](const httplib::Request&, httplib::Response& res) {
                  res.set_header(
                      "Content-Security-Policy",
                      "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                      "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'");
                  res.set_header("X-Frame-Options", "DENY");
                  res.set_content(renderStatusPage(handlers_.snapshot()),
                                  "text/html; charset=utf-8");
                }));
    // POST /sync is answered before httplib reads a body: `curl -X POST .../sync` sends neither
    // Content-Length nor a body, which httplib 0.11 would refuse with 400. The request has no
    // body worth reading, so the connection is closed after the answer.
    auto sync = guarded(true, [this](const httplib::Request&, httplib::Response& res) {
      if (!handlers_.sync_now) {
        res.status = 503;
        res.set_content("{\"sync\":\"unavailable\"}\n", kJson);
        return;
      }
      handlers_.sync_now();
      getLogger("app.health")
          ->info("Sync requested over the health endpoint; every idle stream polls now");
      res.status = 202;
      res.set_content("{\"sync\":\"started\"}\n", kJson);
    });
    server_.set_pre_routing_handler([sync](const httplib::Request& req, httplib::Response& res) {
      if (req.method != "POST" || req.path != "/sync")
        return httplib::Server::HandlerResponse::Unhandled;
      sync(req, res);
      res.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    });
    server_.Get("/sync", guarded(true, [](const httplib::Request&, httplib::Response& res) {
                  res.status = 405;
                  res.set_header("Allow", "POST");
                  res.set_content("use POST /sync to start a poll now\n", kText);
                }));
  }

  static std::string readiness(const StatusReport& r) {
    if (r.ready) return "ready\n";
    std::string out = "not ready:\n";
    for (const std::string& reason : notReadyReasons(r)) out += "  " + reason + "\n";
    return out;
  }

  HealthServerOptions options_;
  HealthHandlers handlers_;
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> listen_returned_{false};
  int port_ = 0;
};

}  // namespace

Result<std::unique_ptr<HealthServer>> HealthServer::start(HealthServerOptions options,
                                                          HealthHandlers handlers) {
  auto server = std::make_unique<HttplibHealthServer>(std::move(options), std::move(handlers));
  if (Status s = server->bindAndRun(); !s.ok()) return s.error();
  return std::unique_ptr<HealthServer>(std::move(server));
}

}  // namespace o365fwd
