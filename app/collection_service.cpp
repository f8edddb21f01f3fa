#include "app/collection_service.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/cluster/cluster_service.h"
#include "app/config_reload.h"
#include "app/credentials/credential_expiry.h"
#include "app/health/health_server.h"
#include "app/health/sd_notify.h"
#include "app/health/watchdog.h"
#include "app/run_summary.h"
#include "app/runtime.h"
#include "app/service_health/issue_delivery.h"
#include "app/service_health/listing_gate.h"
#include "app/service_health/service_health_monitor.h"
#include "app/signal_watcher.h"
#include "app/status/progress_reporter.h"
#include "app/status/status_command.h"
#include "app/status/status_snapshotter.h"
#include "app/tenant_fleet.h"
#include "cluster/cluster_options.h"
#include "cluster/state/cluster_state_store.h"
#include "cluster/txn/staged_kafka_sink.h"
#include "core/config/config_loader.h"
#include "core/host_port.h"
#include "core/logging.h"
#include "core/secrets/redact.h"
#include "core/secrets/secret_loader.h"
#include "core/time_format.h"
#include "pipeline/delivery/dead_letter.h"
#include "pipeline/state/state_store.h"
#include "sinks/sink_factory.h"

namespace o365fwd {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitConfig = 2;

bool selected(const std::vector<std::string>& filter, const std::string& value) {
  return filter.empty() || std::find(filter.begin(), filter.end(), value) != filter.end();
}

// Streams of the configuration, narrowed by the request's filters. Unknown names are errors.
Result<std::vector<StreamSpec>> selectStreams(const CollectionRequest& request, Runtime& runtime) {
  for (const std::string& name : request.tenants)
    if (!runtime.tenant(name))
      return Error::permanent(ErrorKind::kConfig,
                              "--tenant " + name + ": no tenant of that name in the configuration");
  for (const std::string& ct : request.content_types)
    if (!isKnownContentType(ct))
      return Error::permanent(ErrorKind::kConfig,
                              "--content-type " + ct +
                                  ": not a content type (use one of "
                                  "Audit.AzureActiveDirectory, Audit.Exchange, Audit.SharePoint, "
                                  "Audit.General, DLP.All)");
  std::vector<StreamSpec> streams;
  for (const auto& t : runtime.tenants()) {
    if (!selected(request.tenants, t->config->name)) continue;
    auto filter = makeRecordFilter(t->config->filters);
    for (const std::string& ct : t->config->content_types)
      if (selected(request.content_types, ct))
        streams.push_back({StreamKey{t->config->name, ct}, t->source.get(), filter});
  }
  if (streams.empty())
    return Error::permanent(ErrorKind::kConfig,
                            "nothing to collect: the filters match no configured content type");
  return streams;
}

void seedStatus(StatusBoard& status, StateStore& store, const std::vector<StreamSpec>& streams) {
  auto counters = store.counters();
  if (!counters.ok()) return;
  for (const StreamCounters& c : *counters) {
    bool wanted = std::any_of(streams.begin(), streams.end(),
                              [&](const StreamSpec& s) { return s.key == c.stream; });
    if (!wanted) continue;
    status.update(c.stream, [&](StreamStatus& s) { applyStoredCounters(s, c); });
  }
}

StatusSources statusSources(const Config& config, const StatusBoard& status,
                            const std::vector<Sink*>& sinks, const Runtime& runtime,
                            const Collector& collector) {
  StatusSources sources;
  sources.board = &status;
  for (const Sink* s : sinks) sources.sinks.push_back(s);
  for (const TenantConfig& t : config.tenants) sources.tenant_ids[t.name] = t.tenant_id;
  for (const auto& t : runtime.tenants()) sources.api.emplace_back(t->config->name, t->stats.get());
  sources.collector = &collector;
  sources.lag = {config.collection.lag_warning, config.collection.lag_error};
  return sources;
}

Result<std::unique_ptr<HealthServer>> startHealthServer(const HealthConfig& health,
                                                        StatusSnapshotter& snapshotter,
                                                        Collector& collector,
                                                        ServiceHealthMonitor* service_health) {
  auto hp = parseHostPort(health.listen, /*allow_any_port=*/true);
  if (!hp)
    return Error::permanent(ErrorKind::kConfig,
                            "health.listen " + health.listen + " is not host:port");
  HealthServerOptions options;
  options.host = hp->host;
  options.port = hp->port;
  if (!health.token_file.empty()) {
    auto token = readSecretFile(health.token_file, "health token file");
    if (!token.ok()) return token.error();
    options.token = std::move(token->secret);
  }
  HealthHandlers handlers;
  handlers.snapshot = [&snapshotter] { return snapshotter.snapshot(); };
  handlers.probe_snapshot = [&snapshotter] { return snapshotter.probeSnapshot(); };
  handlers.sync_now = [&collector, service_health] {
    collector.syncNow();
    if (service_health) service_health->pollNow();
  };
  handlers.metrics_detail = health.metrics_detail;
  return HealthServer::start(std::move(options), std::move(handlers));
}

// <state_dir>/health.url names the running endpoint for `o365fwd status` when health.listen lets
// the system pick the port; empty `url` removes it.
void publishHealthUrl(const std::string& state_dir, const std::string& url) {
  const std::filesystem::path file = std::filesystem::path(state_dir) / kHealthUrlFile;
  std::error_code ec;
  if (url.empty()) {
    std::filesystem::remove(file, ec);
    return;
  }
  const std::filesystem::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << url << "\n";
    if (!out) return;
  }
  std::filesystem::rename(tmp, file, ec);
}

// The errors of a configuration, one line each, for the log and /status (config_problems).
std::vector<std::string> configErrors(const LoadedConfig& loaded) {
  constexpr std::size_t kMaxProblems = 100;
  std::vector<std::string> out;
  for (const ConfigIssue& issue : loaded.issues) {
    if (issue.warning) continue;
    if (out.size() == kMaxProblems) {
      out.push_back("... and more; run `o365fwd validate` for all of them");
      break;
    }
    out.push_back(redactSecrets(issue.describe()));
  }
  return out;
}

void logBrokenTenantFiles(const LoadedConfig& loaded, const char* consequence) {
  auto log = getLogger("app");
  for (const std::string& file : loaded.brokenTenantFiles()) {
    std::string problems;
    for (const ConfigIssue& issue : loaded.issues)
      if (!issue.warning && issue.file == file) problems += "\n  " + issue.describe();
    log->error(
        "Tenant file {} is invalid; {}. Fix it, check it with `o365fwd validate "
        "--tenants-file {}`, and reload:{}",
        file, consequence, file, problems);
  }
}

// SIGHUP: secrets and certificates are re-read at the next token refresh, the log level applies
// at once and (daemon) tenants are added, changed and removed live by the TenantFleet; every
// other change is named, with the restart it needs. An invalid main file changes nothing else
// and says why; a broken tenants_dir file changes nothing for the tenants it holds.
void reloadConfiguration(const std::string& path, const Config& running, Runtime& runtime,
                         TenantFleet* fleet, ClusterService* cluster,
                         CredentialExpiryWatch& credential_expiry, Clock& clock) {
  auto log = getLogger("app");
  // Secret files are named by the running configuration: rotating one never depends on the rest
  // of the file being valid.
  runtime.reloadCredentials();
  LoadedConfig again = loadConfigFile(path);
  if (!(fleet ? again.validExceptTenantFiles() : again.valid())) {
    std::string problems;
    for (const ConfigIssue& issue : again.issues)
      if (!issue.warning) problems += "\n  " + issue.describe();
    log->error(
        "Reload: the configuration {} is invalid, so nothing but the secret and certificate "
        "files is re-read and the running configuration stays in effect. Fix the file, check it "
        "with `o365fwd validate`, and reload again:{}",
        path, problems);
    if (fleet) fleet->setConfigProblems(configErrors(again));
    credential_expiry.reread();
    credential_expiry.logDue(clock.wallNow());
    return;
  }
  credential_expiry.refresh(again.config.tenants, again.config.credentials);
  credential_expiry.logDue(clock.wallNow());
  setLogLevel(again.config.log.level);
  std::vector<std::string> pending = changesNeedingRestart(running, again.config);
  if (fleet) {
    logBrokenTenantFiles(again, "the tenants it holds stay as they run (or are not added)");
    fleet->setConfigProblems(configErrors(again));
    // Tenants are applied live: only the other sections need a restart.
    pending.erase(std::remove_if(pending.begin(), pending.end(),
                                 [](const std::string& p) { return p.rfind("tenants[", 0) == 0; }),
                  pending.end());
    fleet->apply(again.config.tenants, again.brokenTenantFiles());
    // Cluster mode: the fleet keeps only the tenants of the partitions held here.
    if (cluster) cluster->setTenants(again.config.tenants);
  }
  std::string names;
  for (const std::string& p : pending) names += (names.empty() ? "" : ", ") + p;
  log->info(
      "Reloaded: client secrets and certificates are re-read at the next token refresh; "
      "log.level={}{}",
      again.config.log.level,
      fleet ? "; tenant changes are applied in the background (app.fleet)" : "");
  if (!pending.empty())
    log->warn(
        "Changed settings that a reload cannot apply: {}. They take effect after "
        "`systemctl restart o365fwd` (collection resumes from the saved state)",
        names);
}

std::string hostName() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) return "unknown";
  return host;
}

ProgressOutput progressOutput() {
  ProgressOutput out;
  out.line = [](const std::string& text) {
    std::fputs(redactSecrets(text).c_str(), stderr);
    std::fflush(stderr);
  };
  out.log = [log = getLogger("app.progress")](LagEvent::Severity severity,
                                              const std::string& message) {
    switch (severity) {
      case LagEvent::Severity::kInfo: log->info("{}", message); break;
      case LagEvent::Severity::kWarn: log->warn("{}", message); break;
      case LagEvent::Severity::kError: log->error("{}", message); break;
    }
  };
  return out;
}

}  // namespace

int runCollection(const CollectionRequest& request) {
  // Before any thread exists, so every thread inherits the blocked signal mask.
  blockSignals();
  LoadedConfig loaded = loadConfigFile(request.config_path);
  // A broken tenants_dir file leaves its tenants out (reported, in /status too); the rest runs.
  if (!loaded.validExceptTenantFiles() || loaded.config.tenants.empty()) {
    std::cerr << "o365fwd: the configuration " << request.config_path << " is invalid:\n";
    for (const ConfigIssue& issue : loaded.issues)
      std::cerr << "  " << redactSecrets(issue.describe()) << "\n";
    std::cerr << "Run `o365fwd validate -c " << request.config_path << "` for details.\n";
    return kExitConfig;
  }
  const bool cluster_mode = loaded.config.cluster.enabled;
  if (cluster_mode && (request.mode != CollectorMode::kDaemon || !request.tenants.empty() ||
                       !request.content_types.empty())) {
    // A one-off run would collect every tenant, also those other instances of the group hold.
    std::cerr << "o365fwd: " << request.config_path
              << " has a `cluster:` block: `run --once` and `replay` do not join the group and "
                 "would collect tenants other instances hold; run them with a copy of the "
                 "configuration without `cluster:` (docs/CLUSTER.md)\n";
    return kExitConfig;
  }
  const Config& config = loaded.config;
  LogOptions log_options;
  log_options.level = config.log.level;
  log_options.format = config.log.format == "json" ? LogFormat::kJson : LogFormat::kText;
  setupLogging(log_options);
  auto log = getLogger("app");
  for (const ConfigIssue& issue : loaded.issues)
    if (issue.warning) log->warn("Configuration: {}", issue.describe());
  logBrokenTenantFiles(loaded, "its tenants are not collected");
  if (::geteuid() == 0)
    log->warn(
        "Running as root: state files become root-owned and the o365fwd service user cannot "
        "rewrite them later; run as the service user");

  SystemClock clock;
  Random random(Random::seedFromDevice());

  // Cluster mode: the state lives in <group>.state and follows the tenants (cluster/state/); the
  // partitions' state is loaded when the group assigns them (app/cluster/).
  const std::string client_id = cluster_mode ? clusterClientId(hostName(), ::getpid()) : "";
  ClusterStateStore* cluster_store = nullptr;
  Result<std::unique_ptr<StateStore>> store = [&]() -> Result<std::unique_ptr<StateStore>> {
    if (!cluster_mode) return openSqliteStateStore(config.state_dir);
    // Exactly-once into the Kafka sinks on the cluster's brokers (docs/CLUSTER.md).
    KafkaStateStoreOptions store_options;
    for (const SinkConfig& sc : config.sinks)
      if (exactlyOnceSink(config, sc) && !store_options.exactly_once) {
        store_options.exactly_once = true;
        store_options.compression = sc.kafka.compression;
      }
    auto opened = openKafkaStateStore(config.cluster.kafka, client_id, clock, config.state_dir,
                                      store_options);
    if (!opened.ok()) return opened.error();
    cluster_store = opened->get();
    return std::unique_ptr<StateStore>(std::move(*opened));
  }();
  if (!store.ok()) {
    log->error("Cannot open the state directory: {}", store.error().describe());
    return kExitFailed;
  }

  std::vector<std::unique_ptr<Sink>> sinks;
  std::vector<Sink*> sink_ptrs;
  // What each sink stored with the last commit: the file sink recovers what it wrote after it.
  auto positions = (*store)->sinkPositions();
  if (!positions.ok())
    log->warn("Cannot read the sinks' stored positions; nothing is recovered: {}",
              positions.error().describe());
  for (const SinkConfig& sc : config.sinks) {
    RecordStage* stage = cluster_store ? cluster_store->recordStage() : nullptr;
    auto sink = stage && exactlyOnceSink(config, sc)
                    ? Result<std::unique_ptr<Sink>>(
                          std::unique_ptr<Sink>(new StagedKafkaSink(sc.name, sc.kafka, *stage)))
                    : makeSink(sc, clock, random);
    if (!sink.ok()) {
      log->error("Cannot create sink {}: {}", sc.name, sink.error().describe());
      return kExitConfig;
    }
    std::optional<std::string> position;
    if (positions.ok())
      for (const SinkPosition& p : *positions)
        if (p.sink == sc.name) position = p.position;
    // Not for replay: it writes every record of its window again, by design, so records found
    // after the last commit must not stand in for them.
    if (positions.ok() && request.mode != CollectorMode::kReplay)
      (*sink)->recoverFrom(position, config.collection.max_inflight_bytes);
    if (Status s = (*sink)->start(); !s.ok())
      log->warn("Sink {} is not ready yet ({}); deliveries are retried until it is", sc.name,
                s.error().describe());
    sink_ptrs.push_back(sink->get());
    sinks.push_back(std::move(*sink));
  }

  // Cluster mode: no tenant is built before the group assigns its partition (app/cluster/).
  auto runtime = Runtime::create(config, clock, random, /*build_tenants=*/!cluster_mode);
  if (!runtime.ok()) {
    log->error("Cannot start the connector: {}", runtime.error().describe());
    return kExitFailed;
  }
  auto streams = cluster_mode ? Result<std::vector<StreamSpec>>(std::vector<StreamSpec>{})
                              : selectStreams(request, **runtime);
  if (!streams.ok()) {
    std::cerr << "o365fwd: " << redactSecrets(streams.error().message) << "\n";
    return kExitConfig;
  }

  StatusBoard status(clock);
  seedStatus(status, **store, *streams);
  DeadLetterWriter dead_letters(config.state_dir, clock);
  CollectorOptions options;
  options.collection = config.collection;
  options.mode = request.mode;
  options.replay_window = request.replay_window;
  // Microsoft 365 service health: tenants with service_health: true (the daemon: every 5 minutes,
  // also tenants a SIGHUP adds later; run --once: one poll of each, waited for before the exit;
  // not replay). The file sink's recovered tail is released once the audit streams and service
  // health have both sent again what was in flight (docs/STATE.md "Sink positions").
  const bool with_service_health =
      request.mode == CollectorMode::kDaemon || request.mode == CollectorMode::kOnce;
  std::atomic<bool> health_polled{false};
  ListingGate listing_gate(sink_ptrs, with_service_health ? 2 : 1);
  options.every_stream_listed = [&listing_gate] { listing_gate.arrive(); };
  Collector collector(options, *streams, sink_ptrs, **store, status, dead_letters, clock, random);
  IssueDelivery issue_delivery(sink_ptrs, **store, &dead_letters, clock);
  std::unique_ptr<ServiceHealthMonitor> service_health;
  if (with_service_health) {
    std::size_t with_health = 0;
    for (const auto& t : (*runtime)->tenants()) with_health += t->graph ? 1 : 0;
    ServiceHealthOptions health_options;
    health_options.every_tenant_polled = [&listing_gate, &health_polled] {
      health_polled = true;
      listing_gate.arrive();
    };
    health_options.dedup_window = config.collection.dedup_window;
    health_options.startup_spread = config.collection.startup_spread;
    // The daemon spreads the first Graph polls of a fleet at 10 tenants a second (3 Graph
    // requests and a token each), at most over one poll interval: 1,000 tenants in the audit
    // start-up spread sent 336 Graph requests in one second, and again every 5 minutes.
    if (request.mode == CollectorMode::kDaemon)
      health_options.startup_spread = std::max<std::chrono::milliseconds>(
          config.collection.startup_spread,
          std::min<std::chrono::milliseconds>(
              std::chrono::milliseconds(100) * static_cast<std::int64_t>(with_health),
              health_options.poll_interval));
    health_options.workers = with_health / 150 + 1;
    service_health = std::make_unique<ServiceHealthMonitor>(health_options, issue_delivery, **store,
                                                            clock, random);
    for (const auto& t : (*runtime)->tenants())
      if (t->graph && selected(request.tenants, t->config->name))
        service_health->addTenant(t->config->name, t->graph.get());
  }
  StatusHistory history;  // the status page's charts: one point a minute, six hours
  // Daemon: tenants are added, changed and removed live on SIGHUP (app/tenant_fleet.h).
  std::unique_ptr<TenantFleet> fleet;
  std::unique_ptr<ClusterService> cluster;  // after fleet: destroyed before it
  StatusSources status_sources = statusSources(config, status, sink_ptrs, **runtime, collector);
  if (cluster_mode) {
    status_sources.tenant_ids.clear();  // the fleet publishes the tenants held here
    status_sources.cluster = [&cluster]() -> std::optional<ClusterReport> {
      if (!cluster) return std::nullopt;
      return cluster->report();
    };
  }
  status_sources.history = &history;
  std::vector<std::string> start_problems = configErrors(loaded);
  status_sources.config_problems = [&fleet, &start_problems] {
    return fleet ? fleet->configProblems() : start_problems;
  };
  if (service_health)
    status_sources.service_health = [&service_health] { return service_health->report(); };
  // Credential expiry: certificates read now and on SIGHUP, logged at once and then daily.
  CredentialExpiryWatch credential_expiry(clock);
  credential_expiry.refresh(config.tenants, config.credentials);
  credential_expiry.logDue(clock.wallNow());
  status_sources.credentials = [&credential_expiry](WallTime now) {
    return credential_expiry.reports(now);
  };
  status_sources.request_rates = [rt = runtime->get()] {
    std::vector<RequestRateReport> out;
    for (const auto& [tenant, s] : rt->requestRates())
      out.push_back({tenant, static_cast<std::uint64_t>(s.per_minute),
                     static_cast<std::uint64_t>(s.start), static_cast<std::uint64_t>(s.ceiling),
                     s.raises, s.cuts});
    return out;
  };
  StatusSnapshotter snapshotter(std::move(status_sources), clock);
  HistorySampler history_sampler(
      history, [&snapshotter] { return snapshotter.snapshot(); }, std::chrono::minutes(1), clock);
  if (request.mode == CollectorMode::kDaemon && request.tenants.empty() &&
      request.content_types.empty()) {
    TenantFleetParts parts;
    parts.runtime = runtime->get();
    parts.collector = &collector;
    parts.store = store->get();
    parts.status = &status;
    parts.snapshotter = &snapshotter;
    parts.clock = &clock;
    parts.drain_timeout = config.collection.drain_timeout;
    parts.service_health = service_health.get();
    std::vector<TenantConfig> started_tenants;
    for (const auto& t : (*runtime)->tenants()) started_tenants.push_back(*t->config);
    fleet = std::make_unique<TenantFleet>(parts, std::move(started_tenants));
    fleet->setConfigProblems(start_problems);
    if (cluster_mode) fleet->enableOwnership(config.cluster.kafka.partitions, config.tenants);
    fleet->start();
  }
  if (cluster_mode) {
    ClusterServiceParts parts;
    parts.config = config.cluster.kafka;
    parts.client_id = client_id;
    parts.tenants = config.tenants;
    parts.fleet = fleet.get();
    parts.clock = &clock;
    parts.drain_timeout = config.collection.drain_timeout;
    parts.state_store = "kafka";
    parts.load_partitions = [cluster_store, &clock](const std::vector<int>& partitions,
                                                    SteadyTime deadline) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock.steadyNow());
      return cluster_store->loadPartitions(
          std::vector<std::int32_t>(partitions.begin(), partitions.end()),
          std::max(left, std::chrono::milliseconds(1000)));
    };
    parts.exactly_once = [cluster_store] { return cluster_store->exactlyOnceStats(); };
    parts.release_partitions = [cluster_store](const std::vector<int>& partitions) {
      cluster_store->releasePartitions(
          std::vector<std::int32_t>(partitions.begin(), partitions.end()));
    };
    auto created = ClusterService::create(std::move(parts));
    if (!created.ok()) {
      log->error("Cannot join the cluster: {}", redactSecrets(created.error().describe()));
      return kExitConfig;
    }
    cluster = std::move(*created);
  }

  // The health endpoint belongs to the service; `run --once` and `replay` show progress instead
  // (and must not collide with a running service's port).
  std::unique_ptr<HealthServer> health;
  if (request.mode == CollectorMode::kDaemon && !config.health.listen.empty()) {
    auto started = startHealthServer(config.health, snapshotter, collector, service_health.get());
    if (!started.ok()) {
      log->error("Cannot start the health endpoint: {}", started.error().message);
      return kExitFailed;
    }
    health = std::move(*started);
    log->info("Health endpoint listening. url={}", health->url());
    publishHealthUrl(config.state_dir, health->url());
  }
  ProgressOptions progress_options;
  progress_options.terminal =
      request.mode != CollectorMode::kDaemon && ::isatty(STDERR_FILENO) == 1;
  progress_options.log_interval =
      request.mode == CollectorMode::kDaemon ? std::chrono::minutes(5) : std::chrono::seconds(30);
  ProgressReporter progress([&snapshotter] { return snapshotter.snapshot(); }, progress_options,
                            progressOutput(), clock);

  std::stop_source stop;
  std::jthread stopper;  // cluster mode: leaves the group, then stops the collector
  SignalWatcher signals(SignalHandlers{
      [&] {
        sdNotify("STOPPING=1");
        snapshotter.markShuttingDown();
        if (cluster && !stopper.joinable()) {
          // Leave the group first: the revocation drains and commits every tenant held here,
          // and the others take over as soon as the coordinator hears of it.
          stopper = std::jthread([&] {
            const auto deadline =
                clock.steadyNow() + config.collection.drain_timeout + std::chrono::seconds(10);
            if (!cluster->leave(deadline))
              log->warn("Leaving the cluster group did not finish in time; stopping anyway");
            stop.request_stop();
          });
          return;
        }
        stop.request_stop();
      },
      [&] {
        reloadConfiguration(request.config_path, config, **runtime, fleet.get(), cluster.get(),
                            credential_expiry, clock);
      },
      [&] {
        collector.syncNow();
        if (service_health) service_health->pollNow();
      },
  });

  const char* mode = request.mode == CollectorMode::kDaemon ? "daemon"
                     : request.mode == CollectorMode::kOnce ? "once"
                                                            : "replay";
  log->info("Starting: mode={} tenants={} streams={} sinks={} state_dir={}", mode,
            config.tenants.size(), streams->size(), sinks.size(), config.state_dir);
  SteadyTime started = clock.steadyNow();
  sdNotify("READY=1");  // Type=notify: config, state lock, sinks and connector are initialised
  std::unique_ptr<Watchdog> watchdog;
  if (auto interval =
          watchdogInterval(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"), ::getpid())) {
    watchdog = std::make_unique<Watchdog>(
        *interval, [&snapshotter] { (void)snapshotter.snapshot(); },
        [](const std::string& state) { return sdNotify(state); }, clock);
    log->info("systemd watchdog on: pinging every {} ms while the collector is responsive",
              std::chrono::duration_cast<std::chrono::milliseconds>(*interval / 2).count());
  }
  progress.start();
  if (request.mode == CollectorMode::kDaemon) credential_expiry.start();
  if (health) history_sampler.start();
  if (watchdog) watchdog->start();
  if (service_health) service_health->start();
  if (cluster) {
    if (Status s = cluster->start(); !s.ok()) {
      log->error("Cannot join the cluster group: {}", redactSecrets(s.error().describe()));
      stop.request_stop();
    }
  }
  CollectorResult result = collector.run(stop.get_token());
  if (service_health && request.mode == CollectorMode::kOnce) {
    // run --once: each tenant's one service-health poll (spread over startup_spread) ends first.
    const SteadyTime deadline = clock.steadyNow() + config.collection.drain_timeout;
    while (!health_polled && !stop.stop_requested() && clock.steadyNow() < deadline)
      clock.sleepFor(std::chrono::milliseconds(100), stop.get_token());
    std::uint64_t forwarded = 0, failed = 0;
    const std::vector<ServiceHealthReport> reports = service_health->report();
    for (const ServiceHealthReport& h : reports) {
      forwarded += h.issues_forwarded;
      failed += h.state == "error" ? 1 : 0;
    }
    if (!reports.empty())
      log->info("Service health polled once. tenants={} issues_forwarded={} tenants_failed={}{}",
                reports.size(), forwarded, failed,
                health_polled ? "" : " (not every tenant was polled before drain_timeout)");
  }
  if (stopper.joinable()) stopper.join();
  if (cluster) cluster->stop();
  if (fleet) fleet->stop();
  if (service_health) service_health->stop();
  if (watchdog) watchdog->stop();
  history_sampler.stop();
  credential_expiry.stop();
  progress.stop();
  snapshotter.markShuttingDown();
  for (auto& sink : sinks) sink->stop();
  if (health) {
    health->stop();
    publishHealthUrl(config.state_dir, "");
  }
  double seconds = std::chrono::duration<double>(clock.steadyNow() - started).count();

  RunSummary summary = summarize(status, sinks, seconds, result);
  summary.dead_letter_dir = dead_letters.directory().string();
  if (request.mode == CollectorMode::kDaemon) {
    log->info("Stopped. {}", summary.oneLine());
  } else {
    std::cout << summary.render();
    std::cout.flush();
  }
  if (request.mode == CollectorMode::kDaemon) return kExitOk;
  return summary.exitStatus();
}

}  // namespace o365fwd
