#pragma once
// SecretScan: the integration suite's check that no secret or token reaches any output.
//
// Every integration executable links this (through o365fwd_test_support); it installs a gtest
// listener. The support code registers what to protect and what to look at:
// - known values: each simulator's --issued-tokens-out file (every app secret it knows, every
//   client secret and assertion it received, every access token it issued; SimProcess adds it)
//   and every secret ForwarderHarness writes;
// - where to look: stdout and stderr of every `o365fwd` child (ChildProcess, scanned before its
//   files are removed), the health endpoints (/status, /metrics, the page) of a daemon that logged
//   its URL (fetched while it still runs), and each ForwarderHarness state and output directory
//   (every file, scanned when its TempDir goes and at the end of each test).
// A finding fails the current test naming the place and the kind of value, never the value.
// Values shorter than 8 characters are not tracked. Thread-safe; process-wide by design (it must
// outlive every test object).
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace o365fwd::testing {

struct SecretFinding {
  std::string where;  // "file /tmp/.../state/x.db", "stderr of o365fwd run", "GET /status"
  std::string kind;   // "secret", "token", "assertion"
};

class SecretScan {
 public:
  static SecretScan& instance();

  // A "<kind> <value>" per line file that grows while the simulator runs.
  void addKnownValuesFile(const std::filesystem::path& path);
  void addKnownValue(std::string_view kind, std::string_view value);
  // Every file below `dir` is scanned when its TempDir is removed and after each test.
  void addDirectory(const std::filesystem::path& dir);

  // Scans, returns findings (also used by the scanner's own unit test).
  std::vector<SecretFinding> scanText(std::string_view where, std::string_view text);
  std::vector<SecretFinding> scanFile(const std::filesystem::path& file);
  std::vector<SecretFinding> scanDirectory(const std::filesystem::path& dir);

  // Scan hooks: each reports findings as a gtest failure of the running test.
  void checkText(std::string_view where, std::string_view text);
  void checkFile(const std::filesystem::path& file, std::string_view where);
  // Scans and forgets every registered directory below `root` (TempDir's destructor).
  void checkDirectoriesBelow(const std::filesystem::path& root);
  // Scans every registered directory that still exists (end of each test).
  void checkAllDirectories();
  // GET /status, /metrics and / of a daemon whose stderr logged "Health endpoint listening.
  // url=..." (ChildProcess calls this before it stops an o365fwd daemon).
  void checkHealthEndpoints(std::string_view daemon_stderr);

  // Unit tests only: forget every known value and directory.
  void resetForTest();
};

// Reports findings as one gtest failure each.
void reportFindings(const std::vector<SecretFinding>& findings);

}  // namespace o365fwd::testing
