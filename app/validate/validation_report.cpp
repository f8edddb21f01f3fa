#include "app/validate/validation_report.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/secrets/redact.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

constexpr size_t kMaxTargetWidth = 40;

std::string utcSeconds(WallTime t) {
  return formatApiTime(t) + "Z";
}

const char* label(CheckResult::Status status) {
  switch (status) {
    case CheckResult::kPass: return "PASS";
    case CheckResult::kFail: return "FAIL";
    case CheckResult::kWarn: return "WARN";
    case CheckResult::kSkip: return "SKIP";
  }
  return "FAIL";
}

void pad(std::string& out, const std::string& text, size_t width) {
  out += text;
  if (text.size() < width) out.append(width - text.size(), ' ');
}

std::string plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string genericSummary(const ValidationReport& report) {
  size_t failed = 0, warned = 0;
  for (const CheckResult& c : report.checks) {
    failed += c.status == CheckResult::kFail;
    warned += c.status == CheckResult::kWarn;
  }
  if (failed > 0)
    return std::to_string(failed) + " of " + plural(report.checks.size(), "check") + " failed";
  std::string out = "all " + plural(report.checks.size(), "check") + " passed";
  if (warned > 0) out += ", " + plural(warned, "warning");
  return out;
}

bool shownWhenBrief(const CheckResult& c) {
  return c.status == CheckResult::kFail || c.status == CheckResult::kWarn;
}

// "tenants: 997 passed, 2 with warnings, 1 failed (tenant12), 0 not checked": a tenant counts
// by its worst check; "not checked" when its checks were skipped for a host that did not answer.
std::string tenantsLine(const ValidationReport& report) {
  std::map<std::string, int> worst;  // 0 pass, 1 warn, 2 not checked, 3 fail
  std::vector<std::string> order;
  for (const CheckResult& c : report.checks) {
    if (c.tenant.empty()) continue;
    auto [it, added] = worst.try_emplace(c.tenant, 0);
    if (added) order.push_back(c.tenant);
    int rank = c.status == CheckResult::kFail   ? 3
               : c.code == "host_unreachable"   ? 2
               : c.status == CheckResult::kWarn ? 1
                                                : 0;
    it->second = std::max(it->second, rank);
  }
  if (order.empty()) return "";
  size_t counts[4] = {0, 0, 0, 0};
  std::string failed;
  size_t named = 0;
  for (const std::string& t : order) {
    ++counts[worst[t]];
    if (worst[t] == 3 && named++ < 10) failed += (failed.empty() ? "" : ", ") + t;
  }
  if (counts[3] > 10) failed += ", ...";
  std::string out = "tenants: " + std::to_string(counts[0]) + " passed, " +
                    std::to_string(counts[1]) + " with warnings, " + std::to_string(counts[3]) +
                    " failed";
  if (counts[3] > 0) out += " (" + failed + ")";
  if (counts[2] > 0) out += ", " + std::to_string(counts[2]) + " not checked (host unreachable)";
  return redactSecrets(out) + "\n";
}

}  // namespace

const char* toString(CheckResult::Status status) {
  switch (status) {
    case CheckResult::kPass: return "pass";
    case CheckResult::kFail: return "fail";
    case CheckResult::kWarn: return "warn";
    case CheckResult::kSkip: return "skip";
  }
  return "fail";
}

int ValidationReport::exitCode() const {
  int code = 0;
  for (const CheckResult& c : checks) {
    if (c.status != CheckResult::kFail) continue;
    if (c.configuration) return 2;
    code = 1;
  }
  return code;
}

std::size_t ValidationReport::tenantCount() const {
  std::set<std::string> tenants;
  for (const CheckResult& c : checks)
    if (!c.tenant.empty()) tenants.insert(c.tenant);
  return tenants.size();
}

std::string ValidationReport::renderText(bool brief) const {
  size_t name_width = 0, target_width = 0;
  for (const CheckResult& c : checks) {
    if (brief && !shownWhenBrief(c)) continue;
    name_width = std::max(name_width, c.name.size());
    target_width = std::max(target_width, std::min(c.target.size(), kMaxTargetWidth));
  }
  std::string out;
  std::map<std::pair<std::string, std::string>, size_t> similar;  // (name, code) of warnings
  size_t hidden = 0;
  for (const CheckResult& c : checks) {
    if (brief && !shownWhenBrief(c)) {
      ++hidden;
      continue;
    }
    if (brief && c.status == CheckResult::kWarn &&
        ++similar[{c.name, c.code}] > kMaxSimilarWarnings)
      continue;
    std::string line = label(c.status);
    line += "  ";
    pad(line, c.name, name_width + 2);
    if (target_width > 0) pad(line, c.target, target_width + 2);
    line += c.detail;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += redactSecrets(line) + "\n";
    for (const ConfigIssue& p : c.problems) out += "        " + redactSecrets(p.describe()) + "\n";
    if (!c.remedy.empty()) out += "      fix: " + redactSecrets(c.remedy) + "\n";
  }
  if (brief) {
    for (const auto& [key, n] : similar)
      if (n > kMaxSimilarWarnings)
        out += "WARN  " + std::to_string(n - kMaxSimilarWarnings) + " more " + key.first +
               " warnings" + (key.second.empty() ? "" : " (" + key.second + ")") +
               " like the ones above\n";
    if (hidden > 0)
      out +=
          plural(hidden, "check") + " passed or skipped, not shown (--verbose lists every check)\n";
    out += tenantsLine(*this);
  }
  out += (ok() ? "OK " : "FAILED ") + utcSeconds(finished_at) + ": " +
         redactSecrets(summary.empty() ? genericSummary(*this) : summary) + "\n";
  return out;
}

std::string ValidationReport::renderJson() const {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("ok");
  w.Bool(ok());
  w.Key("exit_code");
  w.Int(exitCode());
  w.Key("finished_at");
  w.String(utcSeconds(finished_at));
  w.Key("summary");
  w.String(redactSecrets(summary.empty() ? genericSummary(*this) : summary));
  w.Key("checks");
  w.StartArray();
  for (const CheckResult& c : checks) {
    w.StartObject();
    w.Key("name");
    w.String(c.name);
    w.Key("target");
    w.String(c.target);
    w.Key("status");
    w.String(toString(c.status));
    w.Key("detail");
    w.String(redactSecrets(c.detail));
    w.Key("remedy");
    w.String(redactSecrets(c.remedy));
    w.Key("duration_ms");
    w.Int64(c.duration.count());
    w.Key("code");
    w.String(c.code);
    w.Key("tenant");
    w.String(c.tenant);
    w.Key("problems");
    w.StartArray();
    for (const ConfigIssue& p : c.problems) {
      w.StartObject();
      w.Key("file");
      w.String(p.file);
      w.Key("path");
      w.String(p.path);
      w.Key("line");
      w.Int(p.line);
      w.Key("message");
      w.String(redactSecrets(p.message));
      w.Key("severity");
      w.String(p.warning ? "warning" : "error");
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

}  // namespace o365fwd
