#include "app/status/status_command.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/status/fleet_health.h"
#include "app/status/status_json.h"
#include "app/status/status_snapshotter.h"
#include "app/status/status_table.h"
#include "connector/http/curl_multi_transport.h"
#include "core/config/config_loader.h"
#include "core/host_port.h"
#include "core/logging.h"
#include "core/secrets/redact.h"
#include "core/secrets/secret_loader.h"
#include "core/version.h"
#include "pipeline/state/state_store.h"

namespace o365fwd {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitConfig = 2;

struct LiveAnswer {
  std::optional<StatusReport> report;  // the instance answered
  bool not_running = false;            // nothing listens there: fall back to the state database
  std::string problem;                 // why there is no report
};

std::string statusUrl(const HostPort& hp) {
  std::string host = hp.host;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(hp.port) + "/status";
}

// With port 0 the running daemon publishes the port it got in <state_dir>/health.url.
std::optional<std::string> publishedUrl(const Config& config) {
  std::ifstream in(std::filesystem::path(config.state_dir) / kHealthUrlFile);
  std::string url;
  if (!(in >> url) || url.rfind("http://", 0) != 0) return std::nullopt;
  auto hp = parseHostPort(url.substr(7), false);
  if (!hp) return std::nullopt;
  return statusUrl(*hp);
}

LiveAnswer askRunningInstance(const Config& config) {
  LiveAnswer answer;
  auto hp = parseHostPort(config.health.listen, true);
  if (config.health.listen.empty() || !hp) {
    answer.not_running = true;
    answer.problem = "the health endpoint is off (health.listen)";
    return answer;
  }
  HttpRequest request;
  if (hp->port != 0) {
    request.url = statusUrl(*hp);
  } else if (auto url = publishedUrl(config)) {
    request.url = *url;
  } else {
    answer.not_running = true;
    answer.problem = "no running instance published its health endpoint in " + config.state_dir +
                     "/" + kHealthUrlFile;
    return answer;
  }
  request.connect_timeout = std::chrono::seconds(3);
  request.timeout = std::chrono::seconds(10);
  request.max_response_bytes = 8 * 1024 * 1024;
  if (!config.health.token_file.empty()) {
    auto token = readSecretFile(config.health.token_file, "health token file");
    if (!token.ok()) {
      answer.problem = token.error().message;
      return answer;
    }
    request.bearer_token = token->secret.reveal();
  }
  CurlTransportOptions options;
  options.max_concurrent = 1;
  auto transport = CurlMultiTransport::create(options);
  if (!transport.ok()) {
    answer.problem = transport.error().message;
    return answer;
  }
  auto response = executeBlocking(**transport, request);
  (*transport)->shutdown();
  if (!response.ok()) {
    answer.not_running = response.error().kind == ErrorKind::kTransport;
    answer.problem = "no answer at " + request.url + ": " + response.error().message;
    return answer;
  }
  if (response->status == 401) {
    answer.problem = request.url +
                     " refused the token: put the token of the running instance's "
                     "health.token_file into this configuration's health.token_file";
    return answer;
  }
  if (response->status != 200) {
    answer.problem = request.url + " answered HTTP " + std::to_string(response->status) +
                     ": is another program listening on health.listen?";
    return answer;
  }
  auto report = statusFromJson(response->body);
  if (!report.ok()) {
    answer.problem = request.url + ": " + report.error().message;
    return answer;
  }
  answer.report = std::move(*report);
  return answer;
}

// The stopped instance's view: every configured stream with its persisted counters.
Result<StatusReport> fromStateDatabase(const Config& config, WallTime now) {
  auto counters = readStateCounters(config.state_dir);
  if (!counters.ok()) return counters.error();
  StatusReport report;
  report.version = kVersion;
  report.source = "state";
  report.generated_at = now;
  LagThresholds lag{config.collection.lag_warning, config.collection.lag_error};
  for (const TenantConfig& t : config.tenants)
    for (const std::string& ct : t.content_types) {
      StreamStatus s;
      s.stream = StreamKey{t.name, ct};
      for (const StreamCounters& c : *counters)
        if (c.stream == s.stream) applyStoredCounters(s, c);
      StreamReport r = streamReport(s, t.tenant_id, now, lag);
      r.state = "stopped";
      report.streams.push_back(std::move(r));
    }
  report.health = summarizeHealth(report);
  return report;
}

// With --tenant, that tenant's streams only (none: failed).
int exitCodeOf(const StatusReport& report, const std::string& tenant) {
  if (report.source != "live") return kExitFailed;
  bool found = false;
  for (const StreamReport& s : report.streams) {
    if (!tenant.empty() && s.tenant != tenant) continue;
    found = true;
    if (s.state == "error" || s.state == "disabled" || s.lag_level == LagLevel::kCritical)
      return kExitFailed;
  }
  return found || tenant.empty() ? kExitOk : kExitFailed;
}

int runStatus(const std::string& config_path, bool json, const StatusTableOptions& options) {
  LoadedConfig loaded = loadConfigFile(config_path);
  if (!loaded.valid()) {
    std::cerr << "o365fwd: the configuration " << config_path << " is invalid:\n";
    for (const ConfigIssue& issue : loaded.issues)
      if (!issue.warning) std::cerr << "  " << redactSecrets(issue.describe()) << "\n";
    return kExitConfig;
  }
  LogOptions log_options;
  log_options.level = "error";
  setupLogging(log_options);
  SystemClock clock;
  LiveAnswer live = askRunningInstance(loaded.config);
  std::optional<StatusReport> report = std::move(live.report);
  if (!report) {
    if (!live.not_running) {
      std::cerr << "o365fwd: " << redactSecrets(live.problem) << "\n";
      return kExitFailed;
    }
    if (loaded.config.cluster.enabled) {
      // Cluster mode keeps the collection state in <group>.state, not in a local database.
      std::cerr << "o365fwd: no running instance (" << redactSecrets(live.problem)
                << "); in cluster mode the collection state is in Kafka (group "
                << loaded.config.cluster.kafka.group
                << "): `o365fwd cluster status` shows the group's members and which tenants each "
                   "holds\n";
      return kExitFailed;
    }
    auto stored = fromStateDatabase(loaded.config, clock.wallNow());
    if (!stored.ok()) {
      std::cerr << "o365fwd: no running instance (" << redactSecrets(live.problem) << ") and "
                << redactSecrets(stored.error().message) << "\n";
      return kExitFailed;
    }
    if (!json) std::cout << "(" << redactSecrets(live.problem) << ")\n";
    report = std::move(*stored);
  }
  std::cout << (json ? statusToJson(*report, true) : renderStatusTable(*report, options));
  std::cout.flush();
  return exitCodeOf(*report, options.tenant);
}

}  // namespace

void registerStatusCommand(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto* cmd = app.add_subcommand("status",
                                 "Collection status of the running instance (from health.listen), "
                                 "or from the state database when it "
                                 "is not running. Exit 0 running and healthy, 1 a stream in error, "
                                 "lagging critically or not running, "
                                 "2 invalid configuration");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json,
                "Print the /status JSON document (stable field names, docs/STATUS.md)");
  auto table = std::make_shared<StatusTableOptions>();
  cmd->add_flag("--problems", table->problems,
                "List only the streams in error, lagging or disabled");
  cmd->add_option("--tenant", table->tenant, "List only this tenant's streams (its name)");
  cmd->add_flag("--all", table->all,
                "List every stream (by default, past 50 streams only the problems are listed)");
  cmd->callback([&global, &result, json, table] {
    result.exit_code = runStatus(global.config_path, *json, *table);
  });
}

}  // namespace o365fwd
