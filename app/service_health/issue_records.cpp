#include "app/service_health/issue_records.h"

#include <set>
#include <utility>

#include "core/config/config.h"

namespace o365fwd {
namespace {

// JSON string escaping of a configured name (tenant names are [a-z0-9_-]; kept general).
void appendJsonString(std::string_view text, std::string& out) {
  out.push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static const char* kHex = "0123456789abcdef";
      out += "\\u00";
      out.push_back(kHex[(c >> 4) & 0xF]);
      out.push_back(kHex[c & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

Span appendTo(std::string& arena, std::string_view value) {
  Span span{static_cast<std::uint32_t>(arena.size()), static_cast<std::uint32_t>(value.size())};
  arena.append(value);
  return span;
}

}  // namespace

RecordKey issueKey(const std::string& tenant, const ServiceIssue& issue) {
  return RecordKey::of(tenant, issue.id, issue.last_modified);
}

std::vector<std::size_t> changedIssues(const std::vector<ServiceIssue>& issues,
                                       const std::map<std::string, std::string>& known) {
  std::vector<std::size_t> out;
  std::set<std::pair<std::string_view, std::string_view>> taken;
  for (std::size_t i = 0; i < issues.size(); ++i) {
    const ServiceIssue& issue = issues[i];
    auto it = known.find(issue.id);
    if (it != known.end() && it->second == issue.last_modified) continue;
    if (!taken.emplace(issue.id, issue.last_modified).second) continue;
    out.push_back(i);
  }
  return out;
}

BatchPtr buildIssueBatch(const ContentRef& content, const std::vector<ServiceIssue>& issues,
                         const std::vector<std::size_t>& indices) {
  auto batch = std::make_shared<RecordBatch>();
  batch->content = content;
  std::string prefix = "{\"o365fwd\":{\"tenant\":";
  appendJsonString(content.stream.tenant, prefix);
  prefix += ",\"contentType\":";
  appendJsonString(kServiceHealthContentType, prefix);
  prefix += "}";
  for (std::size_t i : indices) {
    const ServiceIssue& issue = issues[i];
    RecordMeta meta;
    const std::size_t start = batch->body.size();
    batch->body += prefix;
    // The parser keeps objects only, and an object with an `id` is not empty: "{...}".
    std::string_view rest = std::string_view(issue.raw).substr(1);
    if (!rest.empty() && rest.front() != '}') batch->body.push_back(',');
    batch->body.append(rest);
    meta.raw = Span{static_cast<std::uint32_t>(start),
                    static_cast<std::uint32_t>(batch->body.size() - start)};
    meta.id = appendTo(batch->arena, issue.id);
    meta.operation = appendTo(batch->arena, issue.last_modified);
    meta.record_type = appendTo(batch->arena, issue.classification);
    meta.workload = appendTo(batch->arena, issue.service);
    meta.creation_time = issue.last_modified_at;
    batch->records.push_back(meta);
  }
  return batch;
}

}  // namespace o365fwd
