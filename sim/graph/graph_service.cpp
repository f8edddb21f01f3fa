#include "sim/graph/graph_service.h"

#include <rapidjson/document.h>

#include "core/time_format.h"
#include "sim/api_service.h"
#include "sim/json_text.h"

namespace o365fwd::sim {
namespace {

struct IssueTemplate {
  const char* prefix;
  const char* service;
  const char* feature;
  const char* classification;
  const char* status;
  const char* title;
  bool resolved;
};

// The first issues of every tenant: an open Exchange incident, an open SharePoint advisory, a
// resolved Entra incident, then more of the same shapes.
constexpr IssueTemplate kTemplates[] = {
    {"EX", "Exchange Online", "E-Mail and calendar access", "incident", "serviceDegradation",
     "Users may be unable to access their mailboxes", false},
    {"SP", "SharePoint Online", "Sites", "advisory", "investigating",
     "Some users may see delays when loading SharePoint sites", false},
    {"ID", "Microsoft Entra", "Sign-In", "incident", "serviceRestored",
     "Users may have been unable to sign in", true},
    {"TM", "Microsoft Teams", "Teams Components", "advisory", "serviceDegradation",
     "Some users may not see presence updates", false},
};

std::string isoMs(std::int64_t ms) {
  return formatIsoMillis(WallTime(std::chrono::milliseconds(ms)));
}

void graphError(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const std::string& now) {
  res.status = status;
  res.set_content("{\"error\":{\"code\":" + jsonString(code) + ",\"message\":" +
                      jsonString(message) + ",\"innerError\":{\"date\":" + jsonString(now) +
                      ",\"request-id\":\"00000000-0000-0000-0000-000000000000\"}}}",
                  kJsonType);
}

}  // namespace

GraphService::GraphService(const TenantDirectory& tenants, SimState& state, TokenStore& tokens,
                           int issues_per_tenant, int page_size)
    : tenants_(tenants),
      state_(state),
      tokens_(tokens),
      issues_per_tenant_(issues_per_tenant),
      page_size_(page_size > 0 ? page_size : 2) {}

GraphService::TenantIssues& GraphService::issuesOf(size_t tenant) {
  TenantIssues& t = by_tenant_[tenant];
  if (t.initialised) return t;
  t.initialised = true;
  const std::int64_t now = state_.nowMs();
  for (int i = 0; i < issues_per_tenant_; ++i) {
    const IssueTemplate& k = kTemplates[i % std::size(kTemplates)];
    SimIssue issue;
    issue.id = std::string(k.prefix) + std::to_string(100000 + i);
    issue.title = k.title;
    issue.service = k.service;
    issue.feature = k.feature;
    issue.classification = k.classification;
    issue.status = k.status;
    issue.resolved = k.resolved;
    issue.start_ms = now - 3'600'000 * (i + 2);
    issue.modified_ms = now - 600'000 * (i + 1);
    if (issue.resolved) issue.end_ms = issue.modified_ms;
    issue.posts.push_back({issue.start_ms, "<p>Title: " + issue.title +
                                               "</p><p>We're reviewing "
                                               "service monitoring telemetry.</p>"});
    issue.posts.push_back({issue.modified_ms, "<p>Current status: " + issue.status + "</p>"});
    t.issues.push_back(std::move(issue));
  }
  return t;
}

std::string GraphService::issueJson(const SimIssue& i) const {
  std::string out = "{\"startDateTime\":" + jsonString(isoMs(i.start_ms)) +
                    ",\"endDateTime\":" + (i.end_ms ? jsonString(isoMs(i.end_ms)) : "null") +
                    ",\"lastModifiedDateTime\":" + jsonString(isoMs(i.modified_ms)) +
                    ",\"title\":" + jsonString(i.title) + ",\"id\":" + jsonString(i.id) +
                    ",\"impactDescription\":" + jsonString("Users may be affected: " + i.title) +
                    ",\"classification\":" + jsonString(i.classification) +
                    ",\"origin\":\"microsoft\",\"status\":" + jsonString(i.status) +
                    ",\"service\":" + jsonString(i.service) +
                    ",\"feature\":" + jsonString(i.feature) +
                    ",\"featureGroup\":" + jsonString(i.feature) +
                    ",\"isResolved\":" + (i.resolved ? "true" : "false") +
                    ",\"highImpact\":null,\"details\":[],\"posts\":[";
  for (std::size_t p = 0; p < i.posts.size(); ++p) {
    if (p) out += ',';
    out += "{\"createdDateTime\":" + jsonString(isoMs(i.posts[p].created_ms)) +
           ",\"postType\":\"regular\",\"description\":{\"contentType\":\"html\",\"content\":" +
           jsonString(i.posts[p].text) + "}}";
  }
  return out + "]}";
}

void GraphService::handle(const httplib::Request& req, httplib::Response& res,
                          const std::string& what, const std::string& base) {
  const std::string now = isoMs(state_.nowMs());
  const std::string auth = req.get_header_value("Authorization");
  std::optional<IssuedToken> token;
  if (auth.rfind("Bearer ", 0) == 0) token = tokens_.find(auth.substr(7), state_.nowSeconds());
  if (!token) {
    graphError(res, 401, "InvalidAuthenticationToken", "Access token is empty or invalid.", now);
    return;
  }
  std::lock_guard lock(mu_);
  TenantIssues& t = issuesOf(token->tenant);
  if (!t.permission) {
    graphError(res, 403, "UnknownError",
               "Missing role permissions on the request. API requires one of "
               "'ServiceHealth.Read.All'. Roles on the request 'ActivityFeed.Read'.",
               now);
    return;
  }
  std::string body = "{\"@odata.context\":" +
                     jsonString(base + "/v1.0/$metadata#admin/serviceAnnouncement/" + what) +
                     ",\"value\":[";
  if (what == "healthOverviews") {
    std::map<std::string, std::string> services = {{"Exchange Online", "serviceOperational"},
                                                   {"SharePoint Online", "serviceOperational"},
                                                   {"Microsoft Entra", "serviceOperational"},
                                                   {"Microsoft Teams", "serviceOperational"}};
    for (const SimIssue& i : t.issues)
      if (!i.resolved) services[i.service] = i.status;
    bool first = true;
    for (const auto& [service, status] : services) {
      body += std::string(first ? "" : ",") + "{\"service\":" + jsonString(service) +
              ",\"status\":" + jsonString(status) +
              ",\"id\":" + jsonString(service.substr(0, service.find(' '))) + "}";
      first = false;
    }
    res.set_content(body + "]}", kJsonType);
    return;
  }
  std::size_t skip = 0;
  if (req.has_param("$skiptoken"))
    skip = std::strtoul(req.get_param_value("$skiptoken").c_str(), nullptr, 10);
  const std::size_t end = std::min(t.issues.size(), skip + static_cast<std::size_t>(page_size_));
  for (std::size_t i = skip; i < end; ++i) body += (i > skip ? "," : "") + issueJson(t.issues[i]);
  body += "]";
  if (end < t.issues.size())
    body += ",\"@odata.nextLink\":" +
            jsonString(base +
                       "/v1.0/admin/serviceAnnouncement/issues?$skiptoken=" + std::to_string(end));
  res.set_content(body + "}", kJsonType);
}

// POST /_sim/service_health {"tenant": sel, "permission": bool, "page_size": n,
//   "update": {"id": "EX100000", "status": "...", "resolved": bool, "post": "text"},
//   "add": {"id", "service", "classification", "status", "title", "feature"}}
void GraphService::admin(const httplib::Request& req, httplib::Response& res) {
  rapidjson::Document doc;
  doc.Parse(req.body.data(), req.body.size());
  auto bad = [&res](const std::string& why) {
    res.status = 400;
    res.set_content("{\"error\":" + jsonString(why) + "}", kJsonType);
  };
  if (doc.HasParseError() || !doc.IsObject()) return bad("the body must be a JSON object");
  std::vector<size_t> selected;
  auto sel = doc.FindMember("tenant");
  for (size_t i = 0; i < tenants_.size(); ++i) {
    const TenantConfig& c = tenants_.at(i).config;
    if (sel == doc.MemberEnd() ||
        (sel->value.IsString() &&
         (c.name == sel->value.GetString() || c.tenant_id == sel->value.GetString() ||
          c.domain == sel->value.GetString())))
      selected.push_back(i);
  }
  if (selected.empty()) return bad("no tenant matches");
  std::lock_guard lock(mu_);
  const std::int64_t now = state_.nowMs();
  if (auto p = doc.FindMember("page_size"); p != doc.MemberEnd()) {
    if (!p->value.IsInt() || p->value.GetInt() < 1) return bad("page_size must be positive");
    page_size_ = p->value.GetInt();
  }
  for (size_t tenant : selected) {
    TenantIssues& t = issuesOf(tenant);
    if (auto p = doc.FindMember("permission"); p != doc.MemberEnd()) {
      if (!p->value.IsBool()) return bad("permission must be true or false");
      t.permission = p->value.GetBool();
    }
    if (auto u = doc.FindMember("update"); u != doc.MemberEnd()) {
      if (!u->value.IsObject() || !u->value.HasMember("id") || !u->value["id"].IsString())
        return bad("update must be an object with an id");
      std::string id = u->value["id"].GetString();
      SimIssue* issue = nullptr;
      for (SimIssue& i : t.issues)
        if (i.id == id) issue = &i;
      if (!issue) return bad("no issue " + id);
      issue->modified_ms = std::max(now, issue->modified_ms + 1000);
      if (u->value.HasMember("status") && u->value["status"].IsString())
        issue->status = u->value["status"].GetString();
      if (u->value.HasMember("resolved") && u->value["resolved"].IsBool()) {
        issue->resolved = u->value["resolved"].GetBool();
        issue->end_ms = issue->resolved ? issue->modified_ms : 0;
      }
      std::string post = "<p>Current status: " + issue->status + "</p>";
      if (u->value.HasMember("post") && u->value["post"].IsString())
        post = u->value["post"].GetString();
      issue->posts.push_back({issue->modified_ms, post});
    }
    if (auto a = doc.FindMember("add"); a != doc.MemberEnd()) {
      if (!a->value.IsObject()) return bad("add must be an object");
      SimIssue issue;
      auto field = [&](const char* key, std::string def) {
        auto m = a->value.FindMember(key);
        return m != a->value.MemberEnd() && m->value.IsString() ? std::string(m->value.GetString())
                                                                : def;
      };
      issue.id = field("id", "MO" + std::to_string(200000 + t.issues.size()));
      issue.service = field("service", "Microsoft 365 suite");
      issue.feature = field("feature", "Portal");
      issue.classification = field("classification", "incident");
      issue.status = field("status", "investigating");
      issue.title = field("title", "A new issue");
      issue.start_ms = now;
      issue.modified_ms = now;
      issue.posts.push_back({now, "<p>Title: " + issue.title + "</p>"});
      t.issues.push_back(std::move(issue));
    }
  }
  std::string out = "{\"tenants\":[";
  for (std::size_t k = 0; k < selected.size(); ++k) {
    TenantIssues& t = issuesOf(selected[k]);
    out += std::string(k ? "," : "") +
           "{\"tenant\":" + jsonString(tenants_.at(selected[k]).config.name) +
           ",\"permission\":" + (t.permission ? "true" : "false") + ",\"issues\":[";
    for (std::size_t i = 0; i < t.issues.size(); ++i)
      out += (i ? "," : "") + issueJson(t.issues[i]);
    out += "]}";
  }
  res.set_content(out + "]}", kJsonType);
}

}  // namespace o365fwd::sim
