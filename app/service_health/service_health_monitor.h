#pragma once
// Microsoft 365 service health for the tenants with `service_health: true`: every poll_interval
// (5 minutes) each tenant's Graph service announcements are listed (issues with paging, then
// healthOverviews) within the tenant's request budget; each new or changed issue (by id +
// lastModifiedDateTime) is forwarded to every sink as one ServiceHealth.Issue record and
// committed to the state store like audit records, so a restart does not send it again. The open
// issues and the last error (a missing ServiceHealth.Read.All permission with its remedy) are
// kept for the status views.
//
// Threads: owns `workers` threads (one per 150 tenants at start, 1 to 8) that poll the due
// tenants in turn; addTenant/removeTenant/report are called from any thread. Promises: a removed
// tenant's GraphClient is not used after removeTenant() returned; at most one poll per tenant
// runs at a time; a batch a sink did not take is sent again (to that sink only) before anything
// newer of the tenant, and the keys are committed only once every sink has it.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "app/service_health/issue_delivery.h"
#include "app/status/status_report.h"
#include "connector/graph/graph_client.h"
#include "core/clock.h"
#include "core/random.h"
#include "pipeline/state/state_store.h"

namespace o365fwd {

struct ServiceHealthOptions {
  std::chrono::milliseconds poll_interval{std::chrono::minutes(5)};
  std::chrono::milliseconds retry_interval{std::chrono::seconds(30)};  // after a failed delivery
  std::chrono::milliseconds delivery_timeout{std::chrono::minutes(2)};
  std::chrono::milliseconds startup_spread{std::chrono::seconds(5)};
  // Keys of issues still listed are committed again this often, so an issue listed longer than
  // the de-duplication window is not sent again when its key would age out.
  std::chrono::milliseconds key_refresh{std::chrono::hours(24)};
  std::chrono::milliseconds dedup_window{std::chrono::hours(24 * 7)};
  std::size_t workers = 1;
  std::size_t max_open_shown = 50;
  // Called once, on a worker, when every tenant added before start() has finished its first poll
  // (successful or not; removed tenants count as done): by then every issue batch that was in
  // flight when the last process ended has been sent again (the file sink's recovery waits for it).
  std::function<void()> every_tenant_polled;
};

class ServiceHealthMonitor {
 public:
  ServiceHealthMonitor(ServiceHealthOptions options, IssueDelivery& delivery, StateStore& store,
                       Clock& clock, Random& random);
  ~ServiceHealthMonitor();
  ServiceHealthMonitor(const ServiceHealthMonitor&) = delete;
  ServiceHealthMonitor& operator=(const ServiceHealthMonitor&) = delete;

  void start();
  void stop();
  // A tenant to poll (its first poll within the start-up spread). Replaces one of the same name.
  void addTenant(const std::string& name, GraphClient* graph);
  // Waits until no poll of the tenant runs, then forgets it.
  void removeTenant(const std::string& name);
  // Polls every tenant now (SIGUSR1 / POST /sync).
  void pollNow();
  std::vector<ServiceHealthReport> report() const;

  // One poll of one tenant, on the calling thread (tests; the workers call it).
  void pollTenant(const std::string& name, std::stop_token stop);

 private:
  struct Tenant {
    std::string name;
    GraphClient* graph = nullptr;
    SteadyTime next_due{};
    bool busy = false;
    bool removed = false;
    std::stop_source cancel;  // removeTenant() ends a running poll early
    // What was forwarded (or found forwarded in the store): issue id -> lastModifiedDateTime.
    std::map<std::string, std::string> known;
    std::optional<WallTime> last_key_refresh;
    // A batch not yet in every sink (sent again first), and its keys.
    BatchPtr pending;
    std::vector<bool> delivered;
    std::vector<RecordKey> pending_keys;
    std::map<std::string, std::string> pending_known;
    ServiceHealthReport status;
    std::string logged_problem;  // the last problem logged, so a repeat is not logged again
  };

  void workerLoop(std::stop_token stop);
  std::shared_ptr<Tenant> nextDue(std::stop_token stop);
  void poll(Tenant& t, std::stop_token stop);
  bool flushPending(Tenant& t, std::stop_token stop);
  void noteError(Tenant& t, const Error& error);
  void noteOk(Tenant& t);
  // A poll of `name` ended (or the tenant was removed): the first-poll bookkeeping.
  void notePolled(const std::string& name);

  ServiceHealthOptions options_;
  IssueDelivery& delivery_;
  StateStore& store_;
  Clock& clock_;
  Random& random_;
  std::uint64_t batch_sequence_ = 0;  // guarded by mu_

  mutable std::mutex mu_;
  std::condition_variable_any idle_cv_;  // a poll ended (removeTenant waits for it)
  std::map<std::string, std::shared_ptr<Tenant>> tenants_;
  std::vector<std::jthread> workers_;
  // Tenants added before start() that have not finished a poll yet (guarded by mu_).
  std::set<std::string> first_poll_pending_;
  bool started_ = false;           // start() was called (guarded by mu_)
  bool first_polls_done_ = false;  // every_tenant_polled was called (guarded by mu_)
};

}  // namespace o365fwd
