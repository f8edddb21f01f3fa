#include "sim/sim_server.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/time_format.h"
#include "sim/det_hash.h"
#include "sim/json_text.h"

namespace o365fwd::sim {

Result<std::unique_ptr<SimServer>> SimServer::create(SimConfig config, Clock& clock, Random& random,
                                                     int threads) {
  auto tenants = TenantDirectory::load(config.tenants);
  if (!tenants.ok()) return tenants.error();
  std::unique_ptr<SimServer> s(
      new SimServer(std::move(config), clock, random, std::move(tenants.value())));
  s->routes(threads);
  return s;
}

SimServer::SimServer(SimConfig config, Clock& clock, Random& random, TenantDirectory tenants)
    : clock_(clock),
      config_(std::move(config)),
      random_(random),
      tenants_(std::move(tenants)),
      state_(config_, clock),
      throttle_(clock, config_.tenants.size()),
      cache_(config_.cache_bytes),
      pages_(hashCombine(config_.seed, 0x9a6e70c3ull)) {
  data_ = std::make_unique<DataSet>(config_.tenants, config_.seed, state_.nowMs());
  token_service_ = std::make_unique<TokenService>(tenants_, state_, tokens_, stats_, random_);
  api_ = std::make_unique<ApiService>(
      ApiDeps{tenants_, *data_, state_, tokens_, throttle_, stats_, random_, cache_, pages_},
      baseUrl());
  graph_ = std::make_unique<GraphService>(tenants_, state_, tokens_, config_.service_health_issues,
                                          config_.graph_page_size);
}

SimServer::~SimServer() {
  stop();
}

std::string SimServer::routeOf(const httplib::Request& req) const {
  const std::string& p = req.path;
  if (p.rfind("/_sim/", 0) == 0) return "admin";
  if (p.rfind("/v1.0/admin/serviceAnnouncement/", 0) == 0) return "graph";
  if (p.size() > 13 && p.compare(p.size() - 13, 13, "/oauth2/token") == 0) return "token_v1";
  if (p.size() > 18 && p.compare(p.size() - 18, 18, "/oauth2/v2.0/token") == 0) return "token_v2";
  auto feed = p.find("/activity/feed/");
  if (p.rfind("/api/", 0) == 0 && feed != std::string::npos)
    return ApiService::routeName(p.substr(feed + 15));
  return "other";
}

void SimServer::delayAnswer() {
  const int ms = state_.global().faults.latency_ms;
  if (ms > 0) clock_.sleepFor(std::chrono::milliseconds(ms), std::stop_token());
}

void SimServer::routes(int threads) {
  server_.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  // cpp-httplib writes a response's headers and its body (content providers: in pieces) with
  // separate send()s and leaves Nagle's algorithm on: a piece that follows an unacknowledged one
  // waited for the client's delayed ACK (up to 40 ms on loopback), so a blob took ~25 ms on
  // average and 16 concurrent downloads capped a fleet's start-up at ~600 blobs a second —
  // the simulator's limit, not the forwarder's. Microsoft's front ends show no such stall.
  server_.set_tcp_nodelay(true);
  server_.set_keep_alive_max_count(10000);
  server_.set_read_timeout(30, 0);
  server_.set_write_timeout(120, 0);
  server_.set_payload_max_length(1 << 20);

  auto token = [this](bool v2) {
    return [this, v2](const httplib::Request& req, httplib::Response& res) {
      delayAnswer();
      TokenRequest t;
      t.tenant_segment = req.matches[1].str();
      t.v2 = v2;
      t.body = req.body;
      const std::string base = requestBase(req, baseUrl());
      t.endpoint_url = base + req.path;
      t.api_base = base;
      t.authorization = req.get_header_value("Authorization");
      HttpReply r = token_service_->handle(t);
      res.status = r.status;
      for (const auto& [k, v] : r.headers) res.set_header(k, v);
      res.set_content(r.body, kJsonType);
    };
  };
  server_.Post(R"(/([^/]+)/oauth2/token)", token(false));
  server_.Post(R"(/([^/]+)/oauth2/v2\.0/token)", token(true));

  auto api = [this](const httplib::Request& req, httplib::Response& res) {
    delayAnswer();
    api_->handle(req, res, req.matches[1].str(), req.matches[2].str(), req.matches[3].str());
  };
  const char* kApi = R"(/api/(v1\.0|v1)/([^/]+)/activity/feed/(.+))";
  server_.Get(kApi, api);
  server_.Post(kApi, api);
  server_.Get(R"(/v1\.0/admin/serviceAnnouncement/(issues|healthOverviews))",
              [this](const httplib::Request& req, httplib::Response& res) {
                delayAnswer();
                graph_->handle(req, res, req.matches[1].str(), requestBase(req, baseUrl()));
              });
  adminRoutes();

  // Runs once the status is final and before anything is sent, so a client that has its
  // response can rely on the stats and the request log already holding its request.
  server_.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Date", formatHttpDate(state_.now()));
    credential_echo_.afterRoute(routeOf(req), state_.global().faults.echo_credentials, req, res);
    stats_.request(routeOf(req), res.status);
    if (request_log_.enabled()) {
      auto q = req.target.find('?');
      request_log_.write(
          req.method, req.path, q == std::string::npos ? "" : req.target.substr(q + 1), res.status,
          req.has_header("Authorization"), publisherIdentifier(req).value_or(""), state_.nowMs());
    }
  });
}

void SimServer::adminRoutes() {
  server_.Get("/_sim/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", kJsonType);
  });
  server_.Post("/_sim/service_health", [this](const httplib::Request& req, httplib::Response& res) {
    graph_->admin(req, res);
  });
  server_.Get("/_sim/stats", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(stats_.toJson(), kJsonType);
  });
  server_.Get("/_sim/config", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(state_.describe(config_.tenants), kJsonType);
  });
  server_.Post("/_sim/config", [this](const httplib::Request& req, httplib::Response& res) {
    bool expire = false;
    Status s = state_.applyUpdate(req.body, config_.tenants, &expire);
    if (!s.ok()) {
      res.status = 400;
      res.set_content("{\"error\":" + jsonString(s.error().message) + "}", kJsonType);
      return;
    }
    if (expire) tokens_.expireAll(state_.nowSeconds());
    res.set_content(state_.describe(config_.tenants), kJsonType);
  });
  server_.Get("/_sim/ledger", [this](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider(
        "application/x-ndjson", [this](size_t, httplib::DataSink& sink) {
          data_->writeLedger(
              [&](std::string_view chunk) { return sink.write(chunk.data(), chunk.size()); });
          sink.done();
          return true;
        });
  });
}

Status SimServer::bind(const std::string& host, int port) {
  host_ = host;
  int bound =
      port == 0 ? server_.bind_to_any_port(host) : (server_.bind_to_port(host, port) ? port : -1);
  if (bound <= 0)
    return Error::permanent(ErrorKind::kIo, "cannot listen on " + host + ":" +
                                                std::to_string(port) + ": " + std::strerror(errno) +
                                                "; choose another --listen address or port");
  port_ = bound;
  // Now that the address is known, it is the base for requests without a Host header.
  api_ = std::make_unique<ApiService>(
      ApiDeps{tenants_, *data_, state_, tokens_, throttle_, stats_, random_, cache_, pages_},
      baseUrl());
  return okStatus();
}

void SimServer::run() {
  if (!stop_requested_.load()) server_.listen_after_bind();
  finished_.store(true);
}

void SimServer::stop() {
  stop_requested_.store(true);
  if (server_.is_running()) server_.stop();
}

Status SimServer::writeLedger(const std::string& path) const {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr)
    return Error::permanent(ErrorKind::kIo,
                            "cannot write ledger " + path + ": " + std::strerror(errno));
  bool ok = data_->writeLedger([&](std::string_view chunk) {
    return std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size();
  });
  ok = std::fclose(f) == 0 && ok;
  if (!ok) return Error::permanent(ErrorKind::kIo, "cannot write ledger " + path + ": disk full?");
  return okStatus();
}

}  // namespace o365fwd::sim
