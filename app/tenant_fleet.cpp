#include "app/tenant_fleet.h"

#include <algorithm>
#include <set>

#include "app/config_reload.h"
#include "cluster/tenant_partitioner.h"
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
  for (const auto& [name, t] : running_) running_names_.push_back(name);
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
    if (partitions_ > 0) {
      cluster_loaded_ = std::move(loaded);
      cluster_broken_ = std::move(broken_files);
      std::optional<SteadyTime> deadline = pending_ ? pending_->drain_deadline : std::nullopt;
      pending_ = Request{cluster_loaded_, cluster_broken_, deadline};
    } else {
      if (pending_) log()->info("A newer reload replaces one not applied yet");
      pending_ = Request{std::move(loaded), std::move(broken_files), std::nullopt};
    }
    ++requested_;
  }
  cv_.notify_all();
}

void TenantFleet::enableOwnership(int partitions, std::vector<TenantConfig> loaded) {
  std::lock_guard lock(mu_);
  partitions_ = partitions;
  cluster_loaded_ = std::move(loaded);
}

bool TenantFleet::reassign(std::set<int> owned, SteadyTime drain_deadline,
                           SteadyTime wait_deadline) {
  std::uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    owned_ = std::move(owned);
    SteadyTime deadline = drain_deadline;
    if (pending_ && pending_->drain_deadline)
      deadline = std::min(deadline, *pending_->drain_deadline);
    pending_ = Request{cluster_loaded_, cluster_broken_, deadline, "Rebalance"};
    seq = ++requested_;
  }
  cv_.notify_all();
  std::unique_lock lock(mu_);
  // Short slices against the injected clock: the deadline is the Clock's.
  while (applied_ < seq && thread_.joinable() && !thread_.get_stop_token().stop_requested() &&
         parts_.clock->steadyNow() < wait_deadline)
    cv_.wait_for(lock, std::chrono::milliseconds(100));
  return applied_ >= seq;
}

std::vector<std::string> TenantFleet::runningTenants() const {
  std::lock_guard lock(mu_);
  return running_names_;
}

std::vector<std::string> TenantFleet::drainingTenants() const {
  std::lock_guard lock(mu_);
  return lingering_names_;
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
    std::uint64_t seq = 0;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, stop, std::chrono::seconds(1), [&] { return pending_.has_value(); });
      if (pending_) {
        request = std::move(pending_);
        pending_.reset();
        seq = requested_;
      }
    }
    if (!lingering_.empty()) finishLingering(stop, /*wait=*/false);
    if (!request) continue;
    reconcile(*request, stop);
    {
      std::lock_guard lock(mu_);
      applied_ = std::max(applied_, seq);
    }
    cv_.notify_all();
  }
  cv_.notify_all();
}

void TenantFleet::finishLingering(std::stop_token stop, bool wait, const std::string& only) {
  for (auto it = lingering_.begin(); it != lingering_.end();) {
    const std::string name = *it;
    if (!only.empty() && name != only) {
      ++it;
      continue;
    }
    const SteadyTime deadline =
        parts_.clock->steadyNow() + (wait ? parts_.drain_timeout : std::chrono::milliseconds(0));
    if (!parts_.collector->removeTenant(name, deadline, stop)) {
      ++it;
      continue;
    }
    it = lingering_.erase(it);
    publishTenants();
    std::unique_ptr<TenantRuntime> gone = parts_.runtime->releaseTenant(name);
    log()->info("Tenant finished draining after its revocation. tenant={}", name);
  }
}

void TenantFleet::reconcile(const Request& request, std::stop_token stop) {
  const SteadyTime started = parts_.clock->steadyNow();
  std::vector<TenantConfig> running;
  for (const auto& [name, t] : running_) running.push_back(t);
  std::vector<TenantConfig> wanted = wantedTenants(request.loaded, request.broken_files, running);
  int partitions = 0;
  std::set<int> owned;
  {
    std::lock_guard lock(mu_);
    partitions = partitions_;
    owned = owned_;
  }
  if (partitions > 0)  // cluster mode: only the tenants of the partitions held
    std::erase_if(wanted, [&](const TenantConfig& t) {
      return owned.count(tenantPartition(t.name, partitions)) == 0;
    });
  TenantChanges changes = diffTenants(running, wanted);
  if (changes.empty()) {
    log()->info("{}: no tenant added, changed or removed. tenants={}", request.reason,
                running_.size());
    return;
  }
  log()->info("{}: applying tenant changes. added={} changed={} removed={}", request.reason,
              someNames(changes.added), someNames(changes.changed), someNames(changes.removed));
  // Retire every leaving tenant first so they drain together, then wait for each.
  std::vector<std::string> leaving = changes.removed;
  leaving.insert(leaving.end(), changes.changed.begin(), changes.changed.end());
  for (const std::string& name : leaving) parts_.collector->retireTenant(name);
  std::size_t removed = 0;
  for (const std::string& name : leaving) {
    // Stopping: the daemon drains everything anyway.
    if (!drainAndRelease(name, request.drain_deadline, stop)) return;
    ++removed;
  }
  std::map<std::string, const TenantConfig*> by_name;
  for (const TenantConfig& t : wanted) by_name.emplace(t.name, &t);
  std::size_t started_tenants = 0;
  std::vector<std::string> entering = changes.changed;
  entering.insert(entering.end(), changes.added.begin(), changes.added.end());
  for (const std::string& name : entering) {
    if (stop.stop_requested()) return;
    if (lingering_.count(name)) {  // revoked a moment ago, given back: finish its drain first
      while (lingering_.count(name) && !stop.stop_requested()) finishLingering(stop, true, name);
      if (stop.stop_requested()) return;
    }
    if (startTenant(*by_name.at(name))) ++started_tenants;
  }
  publishTenants();
  log()->info(
      "{} applied. tenants={} added={} changed={} removed={} started={} elapsed_ms={}",
      request.reason, running_.size(), changes.added.size(), changes.changed.size(),
      changes.removed.size(), started_tenants,
      std::chrono::duration_cast<std::chrono::milliseconds>(parts_.clock->steadyNow() - started)
          .count());
  (void)removed;
}

bool TenantFleet::drainAndRelease(const std::string& name, std::optional<SteadyTime> give_up,
                                  std::stop_token stop) {
  const SteadyTime started = parts_.clock->steadyNow();
  auto deadline = [&] {
    SteadyTime d = parts_.clock->steadyNow() + parts_.drain_timeout;
    return give_up ? std::min(d, *give_up) : d;
  };
  while (!parts_.collector->removeTenant(name, deadline(), stop)) {
    if (stop.stop_requested()) return false;
    if (give_up && parts_.clock->steadyNow() >= *give_up) {
      // A revocation cannot wait longer (max.poll.interval.ms): the new owner may forward what
      // is still in flight here again (at-least-once). The drain finishes in the background.
      log()->warn(
          "Tenant still draining at the end of its revocation; it goes on draining here and the "
          "new owner may forward its in-flight blobs again. tenant={} waited_s={}",
          name,
          std::chrono::duration_cast<std::chrono::seconds>(parts_.clock->steadyNow() - started)
              .count());
      lingering_.insert(name);
      running_.erase(name);
      if (parts_.service_health) parts_.service_health->removeTenant(name);
      publishTenants();
      return true;
    }
    log()->warn(
        "Tenant still draining: its in-flight blobs are delivered and committed before it "
        "goes. tenant={} waited_s={}",
        name,
        std::chrono::duration_cast<std::chrono::seconds>(parts_.clock->steadyNow() - started)
            .count());
  }
  release(name);
  log()->debug(
      "Tenant removed; its state stays in the store. tenant={} drain_ms={}", name,
      std::chrono::duration_cast<std::chrono::milliseconds>(parts_.clock->steadyNow() - started)
          .count());
  return true;
}

void TenantFleet::release(const std::string& name) {
  running_.erase(name);
  // Before its Graph client goes: no service health poll of it runs after this.
  if (parts_.service_health) parts_.service_health->removeTenant(name);
  publishTenants();  // the snapshotter lets go of its counters before they are destroyed
  std::unique_ptr<TenantRuntime> gone = parts_.runtime->releaseTenant(name);
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
  if (parts_.service_health && t->graph)
    parts_.service_health->addTenant(config.name, t->graph.get());
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
  std::vector<std::string> names;
  for (const auto& [name, t] : running_) names.push_back(name);
  std::lock_guard lock(mu_);
  running_names_ = std::move(names);
  lingering_names_.assign(lingering_.begin(), lingering_.end());
}

}  // namespace o365fwd
