#include "tests/support/forwarder_harness.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "tests/support/secret_scan.h"
#include "tests/support/test_paths.h"

namespace o365fwd::testing {

ForwarderHarness::ForwarderHarness(const SimProcess& sim, const TempDir& dir,
                                   ForwarderOptions options)
    : dir_(dir.path()), config_path_(dir.path() / "connector.yaml") {
  std::string api = options.api_url.empty() ? sim.url() : options.api_url;
  SecretScan::instance().addDirectory(stateDir());
  SecretScan::instance().addDirectory(outputDir());
  std::ostringstream yaml;
  yaml << "tenants:\n";
  for (std::size_t i = 0; i < sim.tenantCount(); ++i) {
    SimTenant t = sim.tenant(i);
    yaml << "  - name: " << t.name << "\n";
    yaml << "    tenant_id: " << (options.use_domain ? t.domain : t.tenant_id) << "\n";
    yaml << "    client_id: " << t.client_id << "\n";
    if (options.use_certificate) {
      yaml << "    certificate_file: " << t.certificate_file << "\n";
      yaml << "    private_key_file: " << t.private_key_file << "\n";
    } else {
      std::filesystem::path secret = dir_ / (t.name + ".secret");
      std::ofstream(secret) << t.client_secret << "\n";
      SecretScan::instance().addKnownValue("secret", t.client_secret);
      ::chmod(secret.c_str(), 0600);
      yaml << "    client_secret_file: " << secret.string() << "\n";
    }
    yaml << "    login_url: " << (options.login_url.empty() ? sim.url() : options.login_url)
         << "\n";
    yaml << "    api_url: " << api << "\n";
    yaml << options.tenant_yaml;
  }
  yaml << "collection:\n";
  if (options.collection_yaml.find("poll_interval:") == std::string::npos)
    yaml << "    poll_interval: 2s\n";
  yaml << options.collection_yaml;
  yaml << "state_dir: " << stateDir().string() << "\n";
  yaml << "sinks:\n";
  if (options.sinks_yaml.empty())
    yaml << "  - type: file\n    path: " << (outputDir() / "audit.ndjson").string() << "\n";
  else
    yaml << options.sinks_yaml;
  yaml << "health:\n" << options.health_yaml;
  yaml << "log:\n  level: " << options.log_level << "\n";
  yaml << options.top_yaml;
  if (!options.cluster_yaml.empty()) yaml << "cluster:\n" << options.cluster_yaml;
  std::ofstream(config_path_) << yaml.str();
}

RunOutcome ForwarderHarness::runCommand(const std::vector<std::string>& args,
                                        std::chrono::seconds timeout) {
  std::vector<std::string> argv{forwarderBinary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("-c");
  argv.push_back(config_path_.string());
  ChildProcess child;
  RunOutcome outcome;
  Status started = child.start(argv);
  EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
  if (!started.ok()) return outcome;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto rss = peakRssKb(child.pid()))
      outcome.peak_rss_kb = std::max(outcome.peak_rss_kb, *rss);
    if (auto code = child.wait(std::chrono::milliseconds(50))) {
      outcome.exit_code = code;
      break;
    }
  }
  if (!outcome.exit_code) child.kill();
  outcome.stdout_text = child.stdoutText();
  outcome.stderr_text = child.stderrText();
  return outcome;
}

RunOutcome ForwarderHarness::runOnce(std::chrono::seconds timeout,
                                     const std::vector<std::string>& extra_args) {
  std::vector<std::string> args{"run", "--once"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return runCommand(args, timeout);
}

std::unique_ptr<ChildProcess> ForwarderHarness::startDaemon() {
  auto child = std::make_unique<ChildProcess>();
  Status started = child->start({forwarderBinary().string(), "run", "-c", config_path_.string()});
  EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
  return child;
}

std::vector<std::string> ForwarderHarness::outputLines() const {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(outputDir(), ec))
    if (entry.path().filename().string().rfind("audit.ndjson", 0) == 0)
      files.push_back(entry.path());
  // Oldest rotation first: audit.ndjson.N ... audit.ndjson.1, then audit.ndjson.
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    auto rank = [](const std::filesystem::path& p) {
      std::string ext = p.filename().string().substr(std::string("audit.ndjson").size());
      return ext.empty() ? 0 : std::stoi(ext.substr(1));
    };
    return rank(a) > rank(b);
  });
  // Complete lines only: while the daemon runs, the last line of the current file may be in the
  // middle of its write (a group of records goes out in one writev, not atomically for a reader).
  std::vector<std::string> lines;
  for (const auto& f : files) {
    const std::string text = readFile(f);
    std::size_t begin = 0;
    for (std::size_t nl; (nl = text.find('\n', begin)) != std::string::npos; begin = nl + 1)
      if (nl > begin) lines.push_back(text.substr(begin, nl - begin));
  }
  return lines;
}

std::vector<RecordKey> ForwarderHarness::delivered() const {
  std::string text;
  for (const std::string& line : outputLines()) text += line + "\n";
  auto keys = recordKeysFromNdjson(text);
  EXPECT_TRUE(keys.ok()) << (keys.ok() ? "" : keys.error().message);
  return keys.ok() ? *keys : std::vector<RecordKey>{};
}

bool ForwarderHarness::waitForLines(std::size_t count, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (outputLines().size() >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::size_t duplicateCount(const std::vector<RecordKey>& delivered) {
  std::map<RecordKey, int> seen;
  std::size_t dups = 0;
  for (const RecordKey& k : delivered)
    if (++seen[k] > 1) ++dups;
  return dups;
}

std::string healthUrlInLog(std::string_view log) {
  constexpr std::string_view kMarker = "Health endpoint listening. url=";
  auto at = log.rfind(kMarker);
  if (at == std::string_view::npos) return {};
  std::string_view rest = log.substr(at + kMarker.size());
  std::string url(rest.substr(0, rest.find_first_of(" \r\n\"")));
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string waitForHealthUrl(ChildProcess& daemon, std::chrono::seconds timeout) {
  if (!daemon.waitForStderr("Health endpoint listening. url=", timeout)) return {};
  return healthUrlInLog(daemon.stderrText());
}

}  // namespace o365fwd::testing
