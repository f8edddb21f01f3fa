#pragma once
// Microsoft Graph service announcements (service health) as the simulator serves them:
// GET /v1.0/admin/serviceAnnouncement/issues and /healthOverviews with a bearer token the
// simulator issued (any of its tenants' tokens; the tenant is the token's), paged with
// @odata.nextLink ($skiptoken), and POST /_sim/service_health to change a tenant's issues at run
// time: update an issue (new status, a post, lastModifiedDateTime moves on), resolve it, add one,
// or take the ServiceHealth.Read.All permission away (403 with Graph's error body). Each tenant
// starts with `issues_per_tenant` issues (docs/SIMULATOR.md "Service health"). Called on httplib's
// worker threads; thread-safe.
#include <httplib.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sim/sim_state.h"
#include "sim/tenant_directory.h"
#include "sim/auth/token_store.h"

namespace o365fwd::sim {

struct SimIssuePost {
  std::int64_t created_ms = 0;
  std::string text;
};

struct SimIssue {
  std::string id;
  std::string title;
  std::string service;
  std::string feature;
  std::string classification;  // incident | advisory
  std::string status;
  bool resolved = false;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;  // 0: none
  std::int64_t modified_ms = 0;
  std::vector<SimIssuePost> posts;
};

class GraphService {
 public:
  GraphService(const TenantDirectory& tenants, SimState& state, TokenStore& tokens,
               int issues_per_tenant, int page_size);
  void handle(const httplib::Request& req, httplib::Response& res, const std::string& what,
              const std::string& base);
  void admin(const httplib::Request& req, httplib::Response& res);

 private:
  struct TenantIssues {
    bool initialised = false;
    bool permission = true;
    std::vector<SimIssue> issues;
  };
  TenantIssues& issuesOf(size_t tenant);  // caller holds mu_
  std::string issueJson(const SimIssue& issue) const;

  const TenantDirectory& tenants_;
  SimState& state_;
  TokenStore& tokens_;
  const int issues_per_tenant_;
  int page_size_;
  std::mutex mu_;
  std::map<size_t, TenantIssues> by_tenant_;
};

}  // namespace o365fwd::sim
