#pragma once
// The simulator's HTTP server: owns the tenant directory, the data set, the run-time state,
// token store, throttle, stats, body cache and the httplib server with every route (token
// endpoints, Management API, /_sim admin). Adds a Date header from the simulator clock to
// every response and records each request in the stats and the optional request log.
// Lifecycle: create() -> bind() -> run() (blocks on the calling thread) ; stop() from any
// other thread makes run() return.
#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "sim/api_service.h"
#include "sim/auth/credential_echo.h"
#include "sim/auth/token_service.h"
#include "sim/auth/token_store.h"
#include "sim/body_cache.h"
#include "sim/data_set.h"
#include "sim/graph/graph_service.h"
#include "sim/request_log.h"
#include "sim/scenario.h"
#include "sim/sim_state.h"
#include "sim/stats.h"
#include "sim/tenant_directory.h"
#include "sim/throttle.h"
#include "sim/window_rules.h"

namespace o365fwd::sim {

class SimServer {
 public:
  // Loads certificates and lays out every stream (anchored at the simulator's "now").
  static Result<std::unique_ptr<SimServer>> create(SimConfig config, Clock& clock, Random& random,
                                                   int threads);
  ~SimServer();

  Status openRequestLog(const std::string& path) { return request_log_.open(path); }
  // --issued-tokens-out: every secret, token and assertion seen (sim/auth/credential_echo.h).
  Status openIssuedTokens(const std::string& path) { return credential_echo_.open(path, config_); }
  // Pins every ordinary blob's gzip body in the cache (ApiService::prebuildGzipBodies); before
  // run(). Returns the bytes pinned.
  std::uint64_t prebuildGzipBodies(int threads) { return api_->prebuildGzipBodies(threads); }
  // Binds host:port (port 0 = any free port); the chosen port is port().
  Status bind(const std::string& host, int port);
  int port() const { return port_; }
  std::string baseUrl() const { return "http://" + host_ + ":" + std::to_string(port_); }
  void run();
  // Makes run() return; safe to call repeatedly, and before run() has started.
  void stop();
  bool finished() const { return finished_.load(); }

  const SimConfig& config() const { return config_; }
  const DataSet& data() const { return *data_; }
  // Writes the ledger NDJSON to a file.
  Status writeLedger(const std::string& path) const;

 private:
  SimServer(SimConfig config, Clock& clock, Random& random, TenantDirectory tenants);
  void routes(int threads);
  void adminRoutes();
  std::string routeOf(const httplib::Request& req) const;
  void delayAnswer();  // faults.latency_ms, on the HTTP worker thread

  Clock& clock_;

  SimConfig config_;
  Random& random_;
  TenantDirectory tenants_;
  SimState state_;
  std::unique_ptr<DataSet> data_;
  TokenStore tokens_;
  Throttle throttle_;
  Stats stats_;
  BodyCache cache_;
  PageTokens pages_;
  RequestLog request_log_;
  CredentialEcho credential_echo_;
  std::unique_ptr<TokenService> token_service_;
  std::unique_ptr<ApiService> api_;
  std::unique_ptr<GraphService> graph_;
  httplib::Server server_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> finished_{false};
};

}  // namespace o365fwd::sim
