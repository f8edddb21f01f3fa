#pragma once
// Runs the real `o365fwd` binary against a running o365fwd-sim for end-to-end tests: writes a
// configuration with every simulated tenant (secrets in 0600 files), a file sink and a state
// directory inside the test's TempDir; runs `run --once` to completion or starts the daemon; reads
// back what the file sink wrote. One owning thread.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/ledger.h"
#include "tests/support/process.h"
#include "tests/support/sim_process.h"
#include "tests/support/temp_dir.h"

namespace o365fwd::testing {

struct ForwarderOptions {
  std::string collection_yaml;      // extra lines under `collection:` (each "    key: value\n")
  std::string tenant_yaml;          // extra lines for every tenant ("    key: value\n")
  std::string sinks_yaml;           // replaces the default file sink (lines under `sinks:`)
  std::string top_yaml;             // extra top-level sections ("filters:\n  domains: [...]\n")
  bool use_domain = false;          // tenant_id: the simulated domain instead of the GUID
  bool use_certificate = false;     // certificate_file + private_key_file (needs sim --certificates)
  std::string api_url;              // default: the simulator's URL
  std::string login_url;            // default: the simulator's URL
  std::string log_level = "info";
  // The `health:` section's lines ("  listen: 127.0.0.1:0\n"); default: the endpoint is off.
  std::string health_yaml = "  listen: \"\"\n";
  // The `cluster:` section's lines ("  kafka:\n    brokers: ...\n"); empty: single node.
  std::string cluster_yaml;
};

struct RunOutcome {
  std::optional<int> exit_code;  // nullopt: timed out (killed)
  std::string stdout_text;
  std::string stderr_text;
  long peak_rss_kb = 0;
};

class ForwarderHarness {
 public:
  ForwarderHarness(const SimProcess& sim, const TempDir& dir, ForwarderOptions options = {});

  const std::filesystem::path& configPath() const { return config_path_; }
  std::filesystem::path outputDir() const { return dir_ / "out"; }
  std::filesystem::path stateDir() const { return dir_ / "state"; }

  // `o365fwd run --once`, waited for up to `timeout`.
  RunOutcome runOnce(std::chrono::seconds timeout = std::chrono::seconds(120),
                     const std::vector<std::string>& extra_args = {});
  // Any subcommand with -c <config>.
  RunOutcome runCommand(const std::vector<std::string>& args, std::chrono::seconds timeout);
  // `o365fwd run` (daemon); the caller stops it.
  std::unique_ptr<ChildProcess> startDaemon();

  // Every record line the file sink wrote (current and rotated files), in file order.
  std::vector<std::string> outputLines() const;
  std::vector<RecordKey> delivered() const;
  // Waits until the output holds at least `count` lines or `timeout` passed.
  bool waitForLines(std::size_t count, std::chrono::milliseconds timeout) const;

 private:
  std::filesystem::path dir_;
  std::filesystem::path config_path_;
};

// Counts how many times each key occurs beyond the first.
std::size_t duplicateCount(const std::vector<RecordKey>& delivered);

// The health URL a daemon logged last ("Health endpoint listening. url=http://..."); empty if none.
std::string healthUrlInLog(std::string_view log);
// Waits up to `timeout` for the daemon to log its health URL; empty on timeout.
std::string waitForHealthUrl(ChildProcess& daemon, std::chrono::seconds timeout);

}  // namespace o365fwd::testing
