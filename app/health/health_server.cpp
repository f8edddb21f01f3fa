// The only file that includes libmicrohttpd. Its event loop (one polling thread, epoll) reads
// every connection without blocking; ConnectionGuard closes the ones that send no request in
// time or are the oldest idle past the cap; while a connection is suspended
// (MHD_suspend_connection), ProbeBatcher answers probes from one shared snapshot and RenderPool
// renders the slow views, then each resumes its connection with the answer.
#include "app/health/health_server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <thread>

#include "app/health/connection_guard.h"
#include "app/health/health_routes.h"
#include "app/health/probe_batcher.h"
#include "app/health/render_pool.h"
#include "core/logging.h"

namespace o365fwd {
namespace {

using namespace std::chrono_literals;

// A connection's request in flight: the view its render thread is producing.
struct PendingView {
  HealthDecision decision;
  std::atomic<bool> ready{false};
  bool suspended = true;  // counted in suspended_ until its resumed call (or its end)
  HealthAnswer answer;
};

// An answer's body while libmicrohttpd sends it.
struct SentBody {
  std::string text;
  std::atomic<std::size_t>* alive;
};

// Bound to `host:port` without SO_REUSEPORT: a second instance fails here, clearly.
Result<int> listenOn(const std::string& host, int port) {
  auto fail = [&](const std::string& why) {
    return Error::permanent(ErrorKind::kConfig,
                            "health.listen: cannot listen on " + host + ":" + std::to_string(port) +
                                ": " + why +
                                "; another process (a second o365fwd?) holds the port — stop it "
                                "or choose another health.listen port");
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    return fail(::gai_strerror(rc));
  std::string why = "no address";
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    // SO_REUSEADDR alone still allows a restart while old connections linger.
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 511) != 0) {
      why = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return fail(why);
  return fd;
}

int boundPort(int fd, int* family) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return -1;
  *family = addr.ss_family;
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

// The cap leaves room for the daemon's own descriptors under a low RLIMIT_NOFILE.
std::size_t connectionCap(std::size_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return wanted;
  const std::size_t room = limit.rlim_cur > 256 ? (limit.rlim_cur - 128) / 2 : 64;
  if (wanted <= room) return wanted;
  getLogger("app.health")
      ->info("Health endpoint connection cap lowered to fit the open-file limit. cap={} nofile={}",
             room, static_cast<unsigned long long>(limit.rlim_cur));
  return room;
}

class MhdHealthServer final : public HealthServer {
 public:
  MhdHealthServer(HealthServerOptions options, HealthHandlers handlers)
      : options_(std::move(options)),
        cap_(connectionCap(options_.max_connections)),
        routes_(options_.token, handlers),
        prober_(handlers.probe_snapshot ? handlers.probe_snapshot : handlers.snapshot, cap_ + 64),
        guard_(clock_, cap_, options_.header_timeout, [](int fd) { ::shutdown(fd, SHUT_RDWR); }),
        pool_(options_.render_threads, options_.render_queue) {}
  ~MhdHealthServer() override { stop(); }

  Status start() {
    auto fd = listenOn(options_.host, options_.port);
    if (!fd.ok()) return fd.error();
    int family = AF_INET;
    port_ = boundPort(*fd, &family);
    unsigned int flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
        (MHD_is_feature_supported(MHD_FEATURE_EPOLL) ? MHD_USE_EPOLL : MHD_USE_POLL);
    if (family == AF_INET6) flags |= MHD_USE_IPv6;
    // MHD's own cap is a backstop above ours: ours closes the oldest idle connection instead of
    // refusing the new one (a probe), and needs a moment to see it gone.
    const auto hard_cap = static_cast<unsigned int>(cap_ + 64);
    daemon_ = MHD_start_daemon(
        flags, 0, nullptr, nullptr, &MhdHealthServer::onAccess, this, MHD_OPTION_LISTEN_SOCKET, *fd,
        MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned int>(options_.idle_timeout.count()),
        MHD_OPTION_CONNECTION_LIMIT, hard_cap, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        static_cast<size_t>(16 * 1024), MHD_OPTION_NOTIFY_COMPLETED, &MhdHealthServer::onCompleted,
        this, MHD_OPTION_NOTIFY_CONNECTION, &MhdHealthServer::onConnection, this,
        MHD_OPTION_EXTERNAL_LOGGER, &MhdHealthServer::onLog, this, MHD_OPTION_END);
    if (!daemon_) {
      ::close(*fd);
      return Error::permanent(ErrorKind::kConfig, "health.listen: libmicrohttpd could not serve " +
                                                      options_.host + ":" + std::to_string(port_));
    }
    reaper_ = std::jthread([this](std::stop_token stop) { reap(stop); });
    return okStatus();
  }

  std::string url() const override {
    bool v6 = options_.host.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + options_.host + "]" : options_.host) + ":" +
           std::to_string(port_);
  }

  void stop() override {
    if (!daemon_) return;
    // Every accepted probe and render is answered and resumes its connection; later ones 503.
    prober_.stop();
    pool_.stop();
    // MHD must not be stopped with a suspended connection: let the resumed ones be answered.
    for (int i = 0; i < 400 && suspended_.load() > 0; ++i) std::this_thread::sleep_for(5ms);
    reaper_.request_stop();
    if (reaper_.joinable()) reaper_.join();
    MHD_stop_daemon(daemon_);
    daemon_ = nullptr;
  }

 private:
  static ConnectionGuard::Id idOf(MHD_Connection* connection) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? reinterpret_cast<ConnectionGuard::Id>(info->socket_context) : 0;
  }

  static HealthRequest readRequest(MHD_Connection* connection, const char* url,
                                   const char* method) {
    HealthRequest req;
    req.method = method;
    req.path = url;
    MHD_get_connection_values(
        connection, MHD_GET_ARGUMENT_KIND,
        [](void* cls, MHD_ValueKind, const char* key, const char* value) {
          auto* r = static_cast<HealthRequest*>(cls);
          const std::string v = value ? std::string(value).substr(0, 200) : std::string();
          if (std::strcmp(key, "pretty") == 0) r->pretty = true;
          if (std::strcmp(key, "q") == 0) r->page_query.q = v;
          if (std::strcmp(key, "state") == 0) r->page_query.state = v;
          if (std::strcmp(key, "page") == 0) {
            char* end = nullptr;
            unsigned long n = std::strtoul(v.c_str(), &end, 10);
            r->page_query.page = end != v.c_str() && n > 0 ? n : 1;
          }
          return MHD_YES;
        },
        &req);
    if (const char* v = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_ACCEPT_ENCODING))
      req.accept_encoding = v;
    if (const char* v =
            MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION))
      req.authorization = v;
    if (const char* v = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_CONTENT_LENGTH)) {
      char* end = nullptr;
      unsigned long long n = std::strtoull(v, &end, 10);
      req.content_length = end != v ? n : ~0ULL;  // unparsable: too large
    }
    req.chunked = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                              MHD_HTTP_HEADER_TRANSFER_ENCODING) != nullptr;
    return req;
  }

  // Answers not yet sent are counted (answer_bytes_) until libmicrohttpd frees them.
  MHD_Result reply(MHD_Connection* connection, HealthAnswer&& answer) {
    auto* body = new SentBody{std::move(answer.body), &answer_bytes_};
    body->alive->fetch_add(body->text.size());
    MHD_Response* response = MHD_create_response_from_buffer_with_free_callback_cls(
        body->text.size(), body->text.data(),
        [](void* cls) {
          auto* sent = static_cast<SentBody*>(cls);
          sent->alive->fetch_sub(sent->text.size());
          delete sent;
        },
        body);
    if (!response) {
      body->alive->fetch_sub(body->text.size());
      delete body;
      return MHD_NO;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, answer.content_type.c_str());
    for (const auto& [name, value] : answer.headers)
      MHD_add_response_header(response, name.c_str(), value.c_str());
    if (answer.close) MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
    MHD_Result queued =
        MHD_queue_response(connection, static_cast<unsigned int>(answer.status), response);
    MHD_destroy_response(response);
    return queued;
  }

  // Called once the request header is complete (upload_data null), then again after a resume.
  // The decision is made from the header alone: a body is never read.
  static MHD_Result onAccess(void* cls, MHD_Connection* connection, const char* url,
                             const char* method, const char*, const char*, size_t* upload_data_size,
                             void** request) {
    auto* self = static_cast<MhdHealthServer*>(cls);
    if (*request) {
      auto* pending = static_cast<PendingView*>(*request);
      *upload_data_size = 0;
      if (!pending->ready.load()) return MHD_YES;
      pending->suspended = false;
      self->suspended_.fetch_sub(1);
      return self->reply(connection, std::move(pending->answer));
    }
    self->guard_.requestStarted(idOf(connection));
    HealthDecision decision = self->routes_.decide(readRequest(connection, url, method));
    if (decision.answer) return self->reply(connection, std::move(*decision.answer));
    // Slow readers of large answers hold them in memory: past the budget, views wait (503).
    if (!isProbe(decision.view) && self->answer_bytes_.load() > self->options_.max_answer_bytes)
      return self->reply(connection, HealthRoutes::busy("answers being sent fill the budget"));
    auto* pending = new PendingView;
    pending->decision = std::move(decision);
    auto resume = [connection, pending](HealthAnswer answer) {
      pending->answer = std::move(answer);
      pending->ready.store(true);
      MHD_resume_connection(connection);  // `pending` belongs to the polling thread again
    };
    auto suspend = [&] {
      *request = pending;
      self->suspended_.fetch_add(1);
      MHD_suspend_connection(connection);
    };
    const bool accepted = isProbe(pending->decision.view)
                              ? self->prober_.submit(
                                    [self, pending, resume](const StatusReport& report) {
                                      resume(self->routes_.render(pending->decision.view, false, report));
                                    },
                                    suspend)
                              : self->pool_.submit(
                                    [self, pending, resume] {
                                      resume(self->routes_.render(pending->decision));
                                    },
                                    suspend);
    if (accepted) return MHD_YES;
    delete pending;
    return self->reply(connection, HealthRoutes::busy("the health endpoint is busy"));
  }

  static void onCompleted(void* cls, MHD_Connection* connection, void** request,
                          MHD_RequestTerminationCode) {
    auto* self = static_cast<MhdHealthServer*>(cls);
    auto* pending = static_cast<PendingView*>(*request);
    if (pending && pending->suspended) self->suspended_.fetch_sub(1);  // ended before its answer
    delete pending;
    *request = nullptr;
    self->guard_.requestFinished(idOf(connection));
  }

  // MHD reports CLOSED before it closes the descriptor, so the guard never shuts a reused one.
  static void onConnection(void* cls, MHD_Connection* connection, void** socket_context,
                           MHD_ConnectionNotificationCode code) {
    auto* self = static_cast<MhdHealthServer*>(cls);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      const MHD_ConnectionInfo* info =
          MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
      ConnectionGuard::Id id = self->guard_.opened(info ? info->connect_fd : -1);
      *socket_context = reinterpret_cast<void*>(id);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
      self->guard_.closed(reinterpret_cast<ConnectionGuard::Id>(*socket_context));
    }
  }

  static void onLog(void*, const char* format, va_list args) {
    char line[512];
    std::vsnprintf(line, sizeof line, format, args);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    getLogger("app.health")->debug("libmicrohttpd: {}", text);
  }

  // Enforces the header deadline and says, at most once a minute, how many connections the
  // endpoint closed (an attack is visible without a line per connection).
  void reap(std::stop_token stop) {
    ConnectionGuard::Counts reported;
    SteadyTime next_report = clock_.steadyNow() + 60s;
    while (!stop.stop_requested()) {
      std::optional<SteadyTime> next = guard_.sweep();
      SteadyTime now = clock_.steadyNow();
      if (now >= next_report) {
        ConnectionGuard::Counts c = guard_.counts();
        if (c.evicted != reported.evicted || c.header_timeouts != reported.header_timeouts)
          getLogger("app.health")
              ->warn(
                  "Health endpoint closed connections that sent no request in time or were the "
                  "oldest idle past the cap. header_timeouts={} evicted={} open={}",
                  c.header_timeouts - reported.header_timeouts, c.evicted - reported.evicted,
                  c.open);
        reported = c;
        next_report = now + 60s;
      }
      SteadyTime wake = now + 250ms;
      if (next && *next < wake) wake = *next;
      clock_.sleepUntil(wake, stop);
    }
  }

  HealthServerOptions options_;
  SystemClock clock_;
  std::size_t cap_;
  HealthRoutes routes_;
  ProbeBatcher prober_;
  ConnectionGuard guard_;
  RenderPool pool_;
  MHD_Daemon* daemon_ = nullptr;
  std::jthread reaper_;
  std::atomic<int> suspended_{0};
  std::atomic<std::size_t> answer_bytes_{0};
  int port_ = 0;
};

}  // namespace

Result<std::unique_ptr<HealthServer>> HealthServer::start(HealthServerOptions options,
                                                          HealthHandlers handlers) {
  auto server = std::make_unique<MhdHealthServer>(std::move(options), std::move(handlers));
  if (Status s = server->start(); !s.ok()) return s.error();
  return std::unique_ptr<HealthServer>(std::move(server));
}

}  // namespace o365fwd
