#include "app/validate/validation_report.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>

#include "core/redact.h"
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

std::string ValidationReport::renderText() const {
  size_t name_width = 0, target_width = 0;
  for (const CheckResult& c : checks) {
    name_width = std::max(name_width, c.name.size());
    target_width = std::max(target_width, std::min(c.target.size(), kMaxTargetWidth));
  }
  std::string out;
  for (const CheckResult& c : checks) {
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
