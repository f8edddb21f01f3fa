#include "app/collection_service.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "app/runtime.h"
#include "app/run_summary.h"
#include "app/sd_notify.h"
#include "app/signal_watcher.h"
#include "core/config_loader.h"
#include "core/logging.h"
#include "core/time_format.h"
#include "pipeline/dead_letter.h"
#include "pipeline/state_store.h"
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
      return Error::permanent(ErrorKind::kConfig, "--tenant " + name + ": no tenant of that name in the configuration");
  for (const std::string& ct : request.content_types)
    if (!isKnownContentType(ct))
      return Error::permanent(ErrorKind::kConfig, "--content-type " + ct + ": not a content type (use one of "
                                                  "Audit.AzureActiveDirectory, Audit.Exchange, Audit.SharePoint, "
                                                  "Audit.General, DLP.All)");
  std::vector<StreamSpec> streams;
  for (const auto& t : runtime.tenants()) {
    if (!selected(request.tenants, t->config->name)) continue;
    for (const std::string& ct : t->config->content_types)
      if (selected(request.content_types, ct)) streams.push_back({StreamKey{t->config->name, ct}, t->source.get()});
  }
  if (streams.empty())
    return Error::permanent(ErrorKind::kConfig, "nothing to collect: the filters match no configured content type");
  return streams;
}

void seedStatus(StatusBoard& status, StateStore& store, const std::vector<StreamSpec>& streams) {
  auto counters = store.counters();
  if (!counters.ok()) return;
  for (const StreamCounters& c : *counters) {
    bool wanted = std::any_of(streams.begin(), streams.end(), [&](const StreamSpec& s) { return s.key == c.stream; });
    if (!wanted) continue;
    status.update(c.stream, [&](StreamStatus& s) {
      s.watermark = c.watermark;
      s.blobs_done = c.blobs_done;
      s.events_forwarded = c.events_forwarded;
      s.duplicates_dropped = c.duplicates_dropped;
      s.dead_lettered = c.dead_lettered;
      s.blobs_lost = c.blobs_lost;
      s.last_success = c.last_success;
    });
  }
}

}  // namespace

int runCollection(const CollectionRequest& request) {
  // Before any thread exists, so every thread inherits the blocked signal mask.
  blockSignals();
  LoadedConfig loaded = loadConfigFile(request.config_path);
  if (!loaded.valid()) {
    std::cerr << "o365fwd: the configuration " << request.config_path << " is invalid:\n";
    for (const ConfigIssue& issue : loaded.issues) std::cerr << "  " << issue.describe() << "\n";
    std::cerr << "Run `o365fwd validate -c " << request.config_path << "` for details.\n";
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
  if (::geteuid() == 0)
    log->warn("Running as root: state files become root-owned and the o365fwd service user cannot "
              "rewrite them later; run as the service user");

  SystemClock clock;
  Random random(Random::seedFromDevice());

  auto store = openSqliteStateStore(config.state_dir);
  if (!store.ok()) {
    log->error("Cannot open the state directory: {}", store.error().describe());
    return kExitFailed;
  }

  std::vector<std::unique_ptr<Sink>> sinks;
  std::vector<Sink*> sink_ptrs;
  for (const SinkConfig& sc : config.sinks) {
    auto sink = makeSink(sc, clock, random);
    if (!sink.ok()) {
      log->error("Cannot create sink {}: {}", sc.name, sink.error().describe());
      return kExitConfig;
    }
    if (Status s = (*sink)->start(); !s.ok())
      log->warn("Sink {} is not ready yet ({}); deliveries are retried until it is", sc.name, s.error().describe());
    sink_ptrs.push_back(sink->get());
    sinks.push_back(std::move(*sink));
  }

  auto runtime = Runtime::create(config, clock, random);
  if (!runtime.ok()) {
    log->error("Cannot start the connector: {}", runtime.error().describe());
    return kExitFailed;
  }
  auto streams = selectStreams(request, **runtime);
  if (!streams.ok()) {
    std::cerr << "o365fwd: " << streams.error().message << "\n";
    return kExitConfig;
  }

  StatusBoard status(clock);
  seedStatus(status, **store, *streams);
  DeadLetterWriter dead_letters(config.state_dir, clock);
  CollectorOptions options;
  options.collection = config.collection;
  options.mode = request.mode;
  options.replay_window = request.replay_window;
  Collector collector(options, *streams, sink_ptrs, **store, status, dead_letters, clock, random);

  std::stop_source stop;
  SignalWatcher signals(SignalHandlers{
      [&] {
        sdNotify("STOPPING=1");
        stop.request_stop();
      },
      [&] {
        (*runtime)->reloadCredentials();
        LoadedConfig again = loadConfigFile(request.config_path);
        if (again.valid()) setLogLevel(again.config.log.level);
      },
      [&] { collector.syncNow(); },
  });

  const char* mode = request.mode == CollectorMode::kDaemon ? "daemon"
                     : request.mode == CollectorMode::kOnce ? "once"
                                                             : "replay";
  log->info("Starting: mode={} tenants={} streams={} sinks={} state_dir={}", mode, config.tenants.size(),
            streams->size(), sinks.size(), config.state_dir);
  SteadyTime started = clock.steadyNow();
  sdNotify("READY=1");  // Type=notify: config, state lock, sinks and connector are initialised
  CollectorResult result = collector.run(stop.get_token());
  for (auto& sink : sinks) sink->stop();
  double seconds = std::chrono::duration<double>(clock.steadyNow() - started).count();

  RunSummary summary = summarize(status, sinks, seconds, result);
  if (request.mode == CollectorMode::kDaemon) {
    log->info("Stopped. {}", summary.oneLine());
  } else {
    std::cout << summary.render();
    std::cout.flush();
  }
  if (request.mode == CollectorMode::kDaemon) return kExitOk;
  return result.complete ? kExitOk : kExitFailed;
}

}  // namespace o365fwd
