#include "app/tenant_fleet.h"

#include <algorithm>
#include <set>

#include "app/config_reload.h"
#include "core/logging.h"

namespace o365fwd {
namespace {

std::shared_ptr<spdlog::logger> log() {
  return getLogger("app.fleet");
}

// "a, b, c and 17 more": names in a log line stay bounded at 1,000 tenants.
std::string someNames(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 10;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kShown; ++i)
    out += (out.empty() ? "" : ",") + names[i];
  if (names.size() > kShown) out += " and " + std::to_string(names.size() - kShown) + " more";
  return out.empty() ? "-" : out;
}

}  // namespace

TenantChanges diffTenants(const std::vector<TenantConfig>& running,
                          const std::vector<TenantConfig>& wanted) {
  TenantChanges changes;
  std::map<std::string, const TenantConfig*> before;
  for (const TenantConfig& t : running) before.emplace(t.name, &t);
  std::set<std::string> seen;
  for (const TenantConfig& t : wanted) {
    if (!seen.insert(t.name).second) continue;
    auto it = before.find(t.name);
    if (it == before.end())
      changes.added.push_back(t.name);
    else if (!sameTenantSettings(*it->second, t))
      changes.changed.push_back(t.name);
  }
  for (const TenantConfig& t : running)
    if (!seen.count(t.name)) changes.removed.push_back(t.name);
  return changes;
}

std::vector<TenantConfig> wantedTenants(const std::vector<TenantConfig>& loaded,
                                        const std::vector<std::string>& broken_files,
                                        const std::vector<TenantConfig>& running) {
  std::vector<TenantConfig> wanted = loaded;
  std::set<std::string> names;
  for (const TenantConfig& t : loaded) names.insert(t.name);
  for (const TenantConfig& t : running) {
    bool kept = !t.source_file.empty() && std::find(broken_files.begin(), broken_files.end(),
                                                    t.source_file) != broken_files.end();
    if (kept && names.insert(t.name).second) wanted.push_back(t);
  }
  return wanted;
}

TenantFleet::TenantFleet(TenantFleetParts parts, std::vector<TenantConfig> running)
    : parts_(parts) {
  for (TenantConfig& t : running) running_.emplace(t.name, std::move(t));
}

TenantFleet::~TenantFleet() {
  stop();
}

void TenantFleet::start() {
  thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
}

void TenantFleet::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  cv_.notify_all();
  thread_.join();
}

void TenantFleet::apply(std::vector<TenantConfig> loaded, std::vector<std::string> broken_files) {
  {
    std::lock_guard lock(mu_);
    if (pending_) log()->info("A newer reload replaces one not applied yet");
    pending_ = Request{std::move(loaded), std::move(broken_files)};
  }
  cv_.notify_all();
}

void TenantFleet::setConfigProblems(std::vector<std::string> problems) {
  std::lock_guard lock(mu_);
  problems_ = std::move(problems);
}

std::vector<std::string> TenantFleet::configProblems() const {
  std::lock_guard lock(mu_);
  return problems_;
}

void TenantFleet::loop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    std::optional<Request> request;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, stop, std::chrono::seconds(1), [&] { return pending_.has_value(); });
      if (!pending_) continue;
      request = std::move(pending_);
      pending_.reset();
    }
    reconcile(*request, stop);
  }
}

void TenantFleet::reconcile(const Request& request, std::stop_token stop) {
  const SteadyTime started = parts_.clock->steadyNow();
  std::vector<TenantConfig> running;
  for (const auto& [name, t] : running_) running.push_back(t);
  std::vector<TenantConfig> wanted = wantedTenants(request.loaded, request.broken_files, running);
  TenantChanges changes = diffTenants(running, wanted);
  if (changes.empty()) {
    log()->info("Reload: no tenant added, changed or removed. tenants={}", running_.size());
    return;
  }
  log()->info("Reload: applying tenant changes. added={} changed={} removed={}",
              someNames(changes.added), someNames(changes.changed), someNames(changes.removed));
  // Retire every leaving tenant first so they drain together, then wait for each.
  std::vector<std::string> leaving = changes.removed;
  leaving.insert(leaving.end(), changes.changed.begin(), changes.changed.end());
  for (const std::string& name : leaving) parts_.collector->retireTenant(name);
  std::size_t removed = 0;
  for (const std::string& name : leaving) {
    if (!drainAndRelease(name, stop)) return;  // stopping: the daemon drains everything anyway
    ++removed;
  }
  std::map<std::string, const TenantConfig*> by_name;
  for (const TenantConfig& t : wanted) by_name.emplace(t.name, &t);
  std::size_t started_tenants = 0;
  std::vector<std::string> entering = changes.changed;
  entering.insert(entering.end(), changes.added.begin(), changes.added.end());
  for (const std::string& name : entering) {
    if (stop.stop_requested()) return;
    if (startTenant(*by_name.at(name))) ++started_tenants;
  }
  publishTenants();
  log()->info(
      "Reload applied. tenants={} added={} changed={} removed={} started={} elapsed_ms={}",
      running_.size(), changes.added.size(), changes.changed.size(), changes.removed.size(),
      started_tenants,
      std::chrono::duration_cast<std::chrono::milliseconds>(parts_.clock->steadyNow() - started)
          .count());
  (void)removed;
}

bool TenantFleet::drainAndRelease(const std::string& name, std::stop_token stop) {
  const SteadyTime started = parts_.clock->steadyNow();
  while (!parts_.collector->removeTenant(name, parts_.clock->steadyNow() + parts_.drain_timeout,
                                         stop)) {
    if (stop.stop_requested()) return false;
    log()->warn(
        "Tenant still draining: its in-flight blobs are delivered and committed before it "
        "goes. tenant={} waited_s={}",
        name,
        std::chrono::duration_cast<std::chrono::seconds>(parts_.clock->steadyNow() - started)
            .count());
  }
  running_.erase(name);
  // Before its Graph client goes: no service health poll of it runs after this.
  if (parts_.service_health) parts_.service_health->removeTenant(name);
  publishTenants();  // the snapshotter lets go of its counters before they are destroyed
  std::unique_ptr<TenantRuntime> gone = parts_.runtime->releaseTenant(name);
  log()->debug(
      "Tenant removed; its state stays in the store. tenant={} drain_ms={}", name,
      std::chrono::duration_cast<std::chrono::milliseconds>(parts_.clock->steadyNow() - started)
          .count());
  return true;
}

bool TenantFleet::startTenant(const TenantConfig& config) {
  TenantRuntime* t = parts_.runtime->adoptTenant(parts_.runtime->buildTenant(config));
  std::vector<StreamSpec> specs;
  auto filter = makeRecordFilter(config.filters);
  for (const std::string& ct : config.content_types)
    specs.push_back({StreamKey{config.name, ct}, t->source.get(), filter});
  // Counters of a tenant collected before (removed, now back) come from the store.
  if (auto counters = parts_.store->counters(); counters.ok())
    for (const StreamCounters& c : *counters)
      if (c.stream.tenant == config.name &&
          std::count(config.content_types.begin(), config.content_types.end(),
                     c.stream.content_type)) {
        parts_.status->addStream(c.stream);
        parts_.status->update(c.stream, [&](StreamStatus& s) { applyStoredCounters(s, c); });
      }
  running_[config.name] = config;
  publishTenants();
  if (parts_.service_health && t->graph) parts_.service_health->addTenant(config.name, t->graph.get());
  if (Status s = parts_.collector->addStreams(std::move(specs)); !s.ok()) {
    log()->error("Cannot start the tenant's streams. tenant={} error={}", config.name,
                 s.error().describe());
    return false;
  }
  log()->debug("Tenant started. tenant={} streams={}", config.name, config.content_types.size());
  return true;
}

void TenantFleet::publishTenants() {
  std::map<std::string, std::string> ids;
  std::vector<std::pair<std::string, const ApiStats*>> api;
  for (const auto& [name, t] : running_) {
    ids[name] = t.tenant_id;
    if (TenantRuntime* rt = parts_.runtime->tenant(name)) api.emplace_back(name, rt->stats.get());
  }
  parts_.snapshotter->setTenants(std::move(ids), std::move(api));
}

}  // namespace o365fwd
