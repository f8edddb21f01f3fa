#pragma once
// The result of `o365fwd validate`: an ordered list of checks, each PASS/FAIL/WARN/SKIP with the
// problems found, rendered as a text table for people or as JSON for SIEM consoles (field names
// documented in docs/VALIDATE.md and kept stable). Each validation stage appends its checks;
// nothing here knows which stages exist. Single-threaded: built and rendered by the validate
// command. Rendering runs every message through redactSecrets() as a safety net; stages must
// not put secrets in checks in the first place.
#include <chrono>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config/config_loader.h"

namespace o365fwd {

struct CheckResult {
  enum Status { kPass, kFail, kWarn, kSkip };

  std::string name;    // the kind of check: "configuration", "credential", later "token", ...
  std::string target;  // what was checked: "" or the config file, a tenant or a sink name
  Status status = kPass;
  std::string detail;  // one line: what was found ("client secret from file /etc/o365fwd/x")
  std::string remedy;  // what to do when it failed or warned; may be empty
  std::vector<ConfigIssue> problems;  // each problem found, errors and warnings
  std::chrono::milliseconds duration{0};
  // A failure here means the configuration is invalid (exit 2) rather than that an environment
  // or connectivity check failed (exit 1).
  bool configuration = false;

  // Machine-readable reason for a warn, fail or skip ("not_started", "list_unavailable",
  // "no_enabled_subscription", an API code such as "AF10001"); "" when there is none.
  std::string code;

  std::string tenant;  // the tenant the check is about; "" for hosts, sinks, the configuration
};

const char* toString(CheckResult::Status status);  // "pass" | "fail" | "warn" | "skip"

struct ValidationReport {
  std::vector<CheckResult> checks;
  WallTime finished_at;
  // The end of the final line: "configuration valid, 2 tenants, 1 sink". Empty: a generic
  // summary from the check counts.
  std::string summary;

  // 0: every check passed, warned or was skipped; 2: a configuration check failed; 1: another
  // check failed.
  int exitCode() const;
  bool ok() const { return exitCode() == 0; }
  // One line per check, problems indented beneath, "fix:" lines, then
  // "OK 2026-11-23T18:24:07Z: <summary>" or "FAILED <time>: <summary>".
  // `brief` (a fleet): only FAIL and WARN lines (beyond kMaxSimilarWarnings warnings of one check
  // and code, one line counting the rest), one line counting the checks not shown, and one
  // line of tenants by outcome before the last line.
  std::string renderText(bool brief = false) const;
  static constexpr std::size_t kMaxSimilarWarnings = 5;
  // Distinct tenants the checks are about.
  std::size_t tenantCount() const;
  // {"ok","exit_code","finished_at","summary","checks":[{"name","target","status","detail",
  //  "remedy","duration_ms","code","tenant","problems":[{"file","path","line","message","severity"}]}]}
  std::string renderJson() const;
};

}  // namespace o365fwd
