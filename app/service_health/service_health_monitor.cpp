#include "app/service_health/service_health_monitor.h"

#include <algorithm>

#include "app/service_health/issue_records.h"
#include "connector/graph/service_workloads.h"
#include "core/config/config.h"
#include "core/logging.h"
#include "core/secrets/redact.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

constexpr std::chrono::milliseconds kIdleTick{500};
constexpr std::size_t kMaxMessage = 600;

std::shared_ptr<spdlog::logger> log() {
  return getLogger("app.service_health");
}

bool openFirst(const ServiceIssueReport& a, const ServiceIssueReport& b) {
  const bool ai = a.classification == "incident", bi = b.classification == "incident";
  if (ai != bi) return ai;
  if (a.last_modified != b.last_modified) return a.last_modified > b.last_modified;
  return a.id < b.id;
}

}  // namespace

ServiceHealthMonitor::ServiceHealthMonitor(ServiceHealthOptions options, IssueDelivery& delivery,
                                           StateStore& store, Clock& clock, Random& random)
    : options_(std::move(options)),
      delivery_(delivery),
      store_(store),
      clock_(clock),
      random_(random) {}

ServiceHealthMonitor::~ServiceHealthMonitor() {
  stop();
}

void ServiceHealthMonitor::start() {
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, t] : tenants_) first_poll_pending_.insert(name);
    started_ = true;
  }
  notePolled("");  // no tenant at all: done at once
  const std::size_t n = std::clamp<std::size_t>(options_.workers, 1, 8);
  for (std::size_t i = 0; i < n; ++i)
    workers_.emplace_back([this](std::stop_token stop) { workerLoop(stop); });
}

void ServiceHealthMonitor::stop() {
  {
    std::lock_guard lock(mu_);
    for (auto& [name, t] : tenants_) t->cancel.request_stop();
  }
  for (auto& w : workers_) w.request_stop();
  workers_.clear();  // joins
}

void ServiceHealthMonitor::addTenant(const std::string& name, GraphClient* graph) {
  removeTenant(name);
  auto t = std::make_shared<Tenant>();
  t->name = name;
  t->graph = graph;
  t->status.tenant = name;
  const double spread = static_cast<double>(options_.startup_spread.count());
  std::lock_guard lock(mu_);
  t->next_due = clock_.steadyNow() +
                std::chrono::milliseconds(static_cast<std::int64_t>(random_.uniform() * spread));
  tenants_[name] = std::move(t);
}

void ServiceHealthMonitor::removeTenant(const std::string& name) {
  std::unique_lock lock(mu_);
  auto it = tenants_.find(name);
  if (it == tenants_.end()) return;
  std::shared_ptr<Tenant> t = it->second;
  t->removed = true;
  t->cancel.request_stop();
  tenants_.erase(it);
  // The poll ends at its next request (the cancel aborts transfers and waits).
  while (t->busy) idle_cv_.wait_for(lock, kIdleTick);
  lock.unlock();
  notePolled(name);
}

void ServiceHealthMonitor::notePolled(const std::string& name) {
  {
    std::lock_guard lock(mu_);
    first_poll_pending_.erase(name);
    if (!started_ || first_polls_done_ || !first_poll_pending_.empty()) return;
    first_polls_done_ = true;
  }
  if (options_.every_tenant_polled) options_.every_tenant_polled();
}

void ServiceHealthMonitor::pollNow() {
  std::lock_guard lock(mu_);
  for (auto& [name, t] : tenants_) t->next_due = clock_.steadyNow();
}

std::shared_ptr<ServiceHealthMonitor::Tenant> ServiceHealthMonitor::nextDue(std::stop_token stop) {
  while (!stop.stop_requested()) {
    {
      std::lock_guard lock(mu_);
      std::shared_ptr<Tenant> best;
      for (auto& [name, t] : tenants_)
        if (!t->busy && (!best || t->next_due < best->next_due)) best = t;
      const SteadyTime now = clock_.steadyNow();
      if (best && best->next_due <= now) {
        best->busy = true;
        return best;
      }
    }
    clock_.sleepFor(kIdleTick, stop);
  }
  return nullptr;
}

void ServiceHealthMonitor::workerLoop(std::stop_token stop) {
  while (auto t = nextDue(stop)) {
    poll(*t, stop);
    {
      std::lock_guard lock(mu_);
      t->busy = false;
      idle_cv_.notify_all();
    }
    if (!stop.stop_requested()) notePolled(t->name);
  }
}

void ServiceHealthMonitor::pollTenant(const std::string& name, std::stop_token stop) {
  std::shared_ptr<Tenant> t;
  {
    std::lock_guard lock(mu_);
    auto it = tenants_.find(name);
    if (it == tenants_.end() || it->second->busy) return;
    t = it->second;
    t->busy = true;
  }
  poll(*t, stop);
  {
    std::lock_guard lock(mu_);
    t->busy = false;
    idle_cv_.notify_all();
  }
  if (!stop.stop_requested()) notePolled(name);
}

void ServiceHealthMonitor::noteError(Tenant& t, const Error& error) {
  std::string message = redactSecrets(error.message);
  if (message.size() > kMaxMessage) message = message.substr(0, kMaxMessage) + "...";
  const std::string problem = error.code + ":" + message;
  const bool first = problem != t.logged_problem;
  t.logged_problem = problem;
  if (first && error.kind != ErrorKind::kCancelled) {
    if (error.kind == ErrorKind::kPermission || !error.retryable)
      log()->error(
          "Service health cannot be read; collection of audit records is not affected. "
          "tenant={} error={}",
          t.name, redactSecrets(error.describe()));
    else
      log()->warn("Service health poll failed; retried at the next poll. tenant={} error={}",
                  t.name, redactSecrets(error.describe()));
  }
  std::lock_guard lock(mu_);
  t.status.state = "error";
  t.status.last_error = ErrorInfo{clock_.wallNow(), error.code, message};
}

void ServiceHealthMonitor::noteOk(Tenant& t) {
  if (!t.logged_problem.empty()) log()->info("Service health is read again. tenant={}", t.name);
  t.logged_problem.clear();
  std::lock_guard lock(mu_);
  t.status.state = "ok";
  t.status.last_error.reset();
  t.status.last_success = clock_.wallNow();
}

bool ServiceHealthMonitor::flushPending(Tenant& t, std::stop_token stop) {
  if (!t.pending) return true;
  std::string problem;
  std::uint64_t rejected = 0;
  if (!delivery_.deliver(t.pending, t.delivered, problem, rejected, options_.delivery_timeout,
                         stop)) {
    if (!stop.stop_requested())
      noteError(t, Error::retryableError(ErrorKind::kSink,
                                         "service health records wait for the sinks: " + problem,
                                         "sink"));
    return false;
  }
  if (Status s = delivery_.commit(t.pending->content, t.pending_keys, t.pending->size() - rejected);
      !s.ok()) {
    noteError(t, s.error());
    return false;
  }
  for (auto& [id, modified] : t.pending_known) t.known[id] = modified;
  {
    std::lock_guard lock(mu_);
    t.status.issues_forwarded += t.pending->size();
  }
  if (t.pending->size() > 0)
    log()->info("Service health issues forwarded. tenant={} records={}", t.name, t.pending->size());
  t.pending.reset();
  t.pending_keys.clear();
  t.pending_known.clear();
  t.last_key_refresh = clock_.wallNow();
  return true;
}

void ServiceHealthMonitor::poll(Tenant& t, std::stop_token worker_stop) {
  std::stop_callback forward(worker_stop, [&t] { t.cancel.request_stop(); });
  std::stop_token stop = t.cancel.get_token();
  {
    std::lock_guard lock(mu_);
    t.status.last_poll = clock_.wallNow();
    t.next_due = clock_.steadyNow() + options_.poll_interval;
  }
  // What a sink has not taken yet goes first, so versions of an issue arrive in order.
  if (!flushPending(t, stop)) {
    std::lock_guard lock(mu_);
    t.next_due = clock_.steadyNow() + options_.retry_interval;
    return;
  }
  auto listing = t.graph->listIssues(stop);
  if (!listing.ok()) {
    noteError(t, listing.error());
    return;
  }
  if (listing->bad_items > 0)
    log()->warn(
        "Microsoft Graph listed service issues that cannot be used; they are skipped. "
        "tenant={} bad_items={} first={}",
        t.name, listing->bad_items,
        listing->problems.empty() ? "" : redactSecrets(listing->problems.front()));
  std::vector<ServiceIssue>& issues = listing->issues;

  // Open issues for the status views, shown before the new versions are forwarded: a view that
  // counts an issue's resolution as forwarded never still lists it as open.
  std::vector<ServiceIssueReport> open;
  for (const ServiceIssue& issue : issues) {
    if (issue.is_resolved) continue;
    ServiceIssueReport r;
    r.id = issue.id;
    r.title = issue.title;
    r.service = issue.service;
    r.feature = issue.feature;
    r.classification = issue.classification;
    r.status = issue.status;
    r.start = issue.start;
    r.last_modified = issue.last_modified_at;
    r.content_types = contentTypesAffectedBy(issue.service);
    open.push_back(std::move(r));
  }
  std::sort(open.begin(), open.end(), openFirst);
  const std::uint64_t open_total = open.size();
  if (open.size() > options_.max_open_shown) open.resize(options_.max_open_shown);

  {
    std::lock_guard lock(mu_);
    t.status.open_issues = std::move(open);
    t.status.open_issues_total = open_total;
  }

  // New or changed against memory, then against the store (after a restart memory is empty).
  std::vector<std::size_t> changed = changedIssues(issues, t.known);
  std::vector<RecordKey> keys;
  for (std::size_t i : changed) keys.push_back(issueKey(t.name, issues[i]));
  std::vector<std::size_t> fresh;
  if (!keys.empty()) {
    auto seen = store_.keysSeen(keys);
    if (!seen.ok()) {
      noteError(t, seen.error());
      return;
    }
    for (std::size_t k = 0; k < changed.size(); ++k) {
      if ((*seen)[k])
        t.known[issues[changed[k]].id] = issues[changed[k]].last_modified;
      else
        fresh.push_back(changed[k]);
    }
  }

  const WallTime now = clock_.wallNow();
  const bool refresh_due = !t.last_key_refresh || now - *t.last_key_refresh >= options_.key_refresh;
  if (!fresh.empty() || (refresh_due && !issues.empty())) {
    ContentRef content;
    content.stream = StreamKey{t.name, kServiceHealthContentType};
    {
      std::lock_guard lock(mu_);
      content.content_id =
          "servicehealth-" + formatIsoMillis(now) + "-" + std::to_string(++batch_sequence_);
    }
    content.created = now;
    content.expiration = now + options_.dedup_window;
    t.pending = buildIssueBatch(content, issues, fresh);
    t.delivered.assign(delivery_.sinkCount(), false);
    // Every listed issue's key: the new ones become seen, the others stay seen (key_refresh).
    for (const ServiceIssue& issue : issues) t.pending_keys.push_back(issueKey(t.name, issue));
    for (std::size_t i : fresh) t.pending_known[issues[i].id] = issues[i].last_modified;
    if (fresh.empty()) t.delivered.assign(delivery_.sinkCount(), true);  // keys only
    if (!flushPending(t, stop)) {
      std::lock_guard lock(mu_);
      t.next_due = clock_.steadyNow() + options_.retry_interval;
      return;
    }
  }

  std::vector<std::string> degraded;
  auto overviews = t.graph->healthOverviews(stop);
  if (overviews.ok()) {
    for (const ServiceOverview& o : overviews->services)
      if (o.status != "serviceOperational" && degraded.size() < 50)
        degraded.push_back(o.service + ": " + o.status);
  } else if (overviews.error().kind != ErrorKind::kCancelled) {
    log()->debug("healthOverviews failed tenant={} error={}", t.name,
                 redactSecrets(overviews.error().describe()));
  }
  {
    std::lock_guard lock(mu_);
    t.status.degraded_services = std::move(degraded);
  }
  noteOk(t);
}

std::vector<ServiceHealthReport> ServiceHealthMonitor::report() const {
  std::lock_guard lock(mu_);
  std::vector<ServiceHealthReport> out;
  out.reserve(tenants_.size());
  for (const auto& [name, t] : tenants_) out.push_back(t->status);
  return out;
}

}  // namespace o365fwd
