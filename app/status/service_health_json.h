#pragma once
// The service health part of the status document (/status, `o365fwd status --json`): written by
// statusToJson, read back by statusFromJson. Members (docs/STATUS.md "Service health"):
// "service_health": [{tenant, state, last_poll, last_success, last_error, issues_forwarded,
// open_issues_total, open_issues: [{id, title, service, feature, classification, status, start,
// last_modified, content_types: [...]}], degraded_services: [...]}], and per stream
// "service_issues": [ids]. Pure; any thread.
#include <rapidjson/document.h>

#include <string>

#include "app/status/json_members.h"
#include "app/status/status_report.h"

namespace o365fwd {

template <typename W>
void writeStreamServiceIssues(W& w, const StreamReport& s) {
  json_members::strings(w, "service_issues", s.service_issues);
}

template <typename W>
void writeServiceHealth(W& w, const StatusReport& r) {
  using namespace json_members;
  w.Key("service_health");
  w.StartArray();
  for (const ServiceHealthReport& h : r.service_health) {
    w.StartObject();
    string(w, "tenant", h.tenant);
    string(w, "state", h.state);
    optionalTime(w, "last_poll", h.last_poll);
    optionalTime(w, "last_success", h.last_success);
    lastError(w, h.last_error);
    count(w, "issues_forwarded", h.issues_forwarded);
    count(w, "open_issues_total", h.open_issues_total);
    w.Key("open_issues");
    w.StartArray();
    for (const ServiceIssueReport& i : h.open_issues) {
      w.StartObject();
      string(w, "id", i.id);
      string(w, "title", i.title);
      string(w, "service", i.service);
      string(w, "feature", i.feature);
      string(w, "classification", i.classification);
      string(w, "status", i.status);
      optionalTime(w, "start", i.start);
      optionalTime(w, "last_modified", i.last_modified);
      strings(w, "content_types", i.content_types);
      w.EndObject();
    }
    w.EndArray();
    strings(w, "degraded_services", h.degraded_services);
    w.EndObject();
  }
  w.EndArray();
}

// Reads "service_health" and each stream's "service_issues" (absent in documents of older
// versions: nothing). Returns the first problem, empty when none.
std::string readServiceHealth(const rapidjson::Value& doc, StatusReport& report);

}  // namespace o365fwd
