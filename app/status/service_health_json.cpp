#include "app/status/service_health_json.h"

namespace o365fwd {
namespace {

using json_members::read::count;
using json_members::read::text;
using json_members::read::texts;
using json_members::read::when;

}  // namespace

std::string readServiceHealth(const rapidjson::Value& doc, StatusReport& report) {
  if (auto streams = doc.FindMember("streams"); streams != doc.MemberEnd() &&
                                                streams->value.IsArray() &&
                                                streams->value.Size() == report.streams.size()) {
    for (rapidjson::SizeType i = 0; i < streams->value.Size(); ++i)
      if (streams->value[i].IsObject())
        report.streams[i].service_issues = texts(streams->value[i], "service_issues");
  }
  auto it = doc.FindMember("service_health");
  if (it == doc.MemberEnd()) return {};
  if (!it->value.IsArray()) return "service_health is not an array";
  for (const auto& v : it->value.GetArray()) {
    if (!v.IsObject()) return "service_health holds a non-object";
    ServiceHealthReport h;
    h.tenant = text(v, "tenant");
    h.state = text(v, "state");
    h.last_poll = when(v, "last_poll");
    h.last_success = when(v, "last_success");
    if (auto e = v.FindMember("last_error"); e != v.MemberEnd() && e->value.IsObject()) {
      ErrorInfo info;
      info.at = when(e->value, "at").value_or(WallTime{});
      info.code = text(e->value, "code");
      info.message = text(e->value, "message");
      h.last_error = std::move(info);
    }
    h.issues_forwarded = count(v, "issues_forwarded");
    h.open_issues_total = count(v, "open_issues_total");
    if (auto issues = v.FindMember("open_issues");
        issues != v.MemberEnd() && issues->value.IsArray()) {
      for (const auto& o : issues->value.GetArray()) {
        if (!o.IsObject()) continue;
        ServiceIssueReport i;
        i.id = text(o, "id");
        i.title = text(o, "title");
        i.service = text(o, "service");
        i.feature = text(o, "feature");
        i.classification = text(o, "classification");
        i.status = text(o, "status");
        i.start = when(o, "start");
        i.last_modified = when(o, "last_modified");
        i.content_types = texts(o, "content_types");
        h.open_issues.push_back(std::move(i));
      }
    }
    h.degraded_services = texts(v, "degraded_services");
    report.service_health.push_back(std::move(h));
  }
  return {};
}

}  // namespace o365fwd
