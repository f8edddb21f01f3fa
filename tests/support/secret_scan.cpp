#include "tests/support/secret_scan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "core/secrets/sensitive_values.h"
#include "tests/support/forwarder_harness.h"
#include "tests/support/http_client.h"

namespace o365fwd::testing {
namespace {

constexpr size_t kMinLength = SensitiveValues::kMinLength;
constexpr size_t kChunk = 8u << 20;

struct State {
  std::mutex mu;
  std::vector<std::filesystem::path> value_files;
  std::map<std::string, std::string> values;  // value -> kind
  std::vector<std::filesystem::path> dirs;
  // Rebuilt when `values` changed: one index per kind.
  std::map<std::string, std::shared_ptr<const SensitiveIndex>> indexes;
  size_t indexed_count = static_cast<size_t>(-1);
  size_t longest = 0;
};

State& state() {
  static State* s = new State();
  return *s;
}

void addValueLocked(State& s, std::string_view kind, std::string_view value) {
  if (value.size() < kMinLength) return;
  s.values.emplace(std::string(value), std::string(kind));
}

void reloadLocked(State& s) {
  for (const auto& f : s.value_files) {
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line)) {
      auto space = line.find(' ');
      if (space != std::string::npos)
        addValueLocked(s, line.substr(0, space), std::string_view(line).substr(space + 1));
    }
  }
  if (s.indexed_count == s.values.size()) return;
  std::map<std::string, std::vector<std::string>> by_kind;
  s.longest = 0;
  for (const auto& [value, kind] : s.values) {
    by_kind[kind].push_back(value);
    // URL-encoded and JSON-escaped spellings are at most three times longer.
    s.longest = std::max(s.longest, value.size() * 3);
  }
  s.indexes.clear();
  for (auto& [kind, values] : by_kind) {
    // Reuse the production spellings (plain, URL-encoded, JSON-escaped).
    SensitiveValues spellings(values.size(), 0);
    for (const auto& v : values) spellings.add(v, SensitiveKind::kSecret);
    s.indexes[kind] = spellings.index();
  }
  s.indexed_count = s.values.size();
}

class Listener : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo&) override {
    SecretScan::instance().checkAllDirectories();
  }
};

// Installed when the first test-support object that uses the scan is linked in.
const bool kInstalled = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new Listener());
  return true;
}();

}  // namespace

SecretScan& SecretScan::instance() {
  (void)kInstalled;
  static SecretScan scan;
  return scan;
}

void SecretScan::addKnownValuesFile(const std::filesystem::path& path) {
  State& s = state();
  std::lock_guard lock(s.mu);
  s.value_files.push_back(path);
}

void SecretScan::addKnownValue(std::string_view kind, std::string_view value) {
  State& s = state();
  std::lock_guard lock(s.mu);
  addValueLocked(s, kind, value);
}

void SecretScan::addDirectory(const std::filesystem::path& dir) {
  State& s = state();
  std::lock_guard lock(s.mu);
  s.dirs.push_back(dir);
}

std::vector<SecretFinding> SecretScan::scanText(std::string_view where, std::string_view text) {
  std::map<std::string, std::shared_ptr<const SensitiveIndex>> indexes;
  {
    State& s = state();
    std::lock_guard lock(s.mu);
    reloadLocked(s);
    indexes = s.indexes;
  }
  std::vector<SecretFinding> out;
  for (const auto& [kind, index] : indexes) {
    std::vector<std::pair<size_t, size_t>> spans;
    index->findAll(text, spans);
    if (!spans.empty()) out.push_back({std::string(where), kind});
  }
  return out;
}

std::vector<SecretFinding> SecretScan::scanFile(const std::filesystem::path& file) {
  size_t overlap = 0;
  {
    State& s = state();
    std::lock_guard lock(s.mu);
    reloadLocked(s);
    overlap = s.longest;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  const std::string where = "file " + file.string();
  std::set<std::string> kinds;
  std::string buf, carry;
  buf.resize(kChunk);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    std::string text = carry + buf.substr(0, static_cast<size_t>(in.gcount()));
    if (text.empty()) break;
    for (auto& f : scanText(where, text)) kinds.insert(f.kind);
    carry = text.size() > overlap ? text.substr(text.size() - overlap) : text;
  }
  std::vector<SecretFinding> out;
  for (const auto& k : kinds) out.push_back({where, k});
  return out;
}

std::vector<SecretFinding> SecretScan::scanDirectory(const std::filesystem::path& dir) {
  std::vector<SecretFinding> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    for (auto& f : scanFile(it->path())) out.push_back(std::move(f));
  }
  return out;
}

void reportFindings(const std::vector<SecretFinding>& findings) {
  for (const auto& f : findings)
    ADD_FAILURE() << "secret scan: " << f.where << " holds a " << f.kind
                  << " (a configured secret or a value the simulator issued; value withheld)";
}

void SecretScan::checkText(std::string_view where, std::string_view text) {
  reportFindings(scanText(where, text));
}

void SecretScan::checkFile(const std::filesystem::path& file, std::string_view where) {
  auto findings = scanFile(file);
  for (auto& f : findings) f.where = std::string(where);
  reportFindings(findings);
}

void SecretScan::checkDirectoriesBelow(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> mine;
  {
    State& s = state();
    std::lock_guard lock(s.mu);
    const std::string prefix = root.string() + "/";
    auto below = [&](const std::filesystem::path& d) {
      return d == root || d.string().rfind(prefix, 0) == 0;
    };
    for (const auto& d : s.dirs)
      if (below(d)) mine.push_back(d);
    s.dirs.erase(std::remove_if(s.dirs.begin(), s.dirs.end(), below), s.dirs.end());
  }
  for (const auto& d : mine) reportFindings(scanDirectory(d));
}

void SecretScan::checkAllDirectories() {
  std::vector<std::filesystem::path> dirs;
  {
    State& s = state();
    std::lock_guard lock(s.mu);
    dirs = s.dirs;
  }
  std::error_code ec;
  for (const auto& d : dirs)
    if (std::filesystem::exists(d, ec)) reportFindings(scanDirectory(d));
}

void SecretScan::checkHealthEndpoints(std::string_view daemon_stderr) {
  const std::string url = healthUrlInLog(daemon_stderr);
  if (url.empty()) return;
  for (const char* path : {"/status", "/metrics", "/"}) {
    HttpResult r = httpRequest("GET", url + path, "", {}, std::chrono::seconds(3));
    if (r.status == 0) return;  // stopped or hung: its files are checked instead
    if (r.status == 200) checkText(std::string("GET ") + path + " of the daemon", r.body);
  }
}

void SecretScan::resetForTest() {
  State& s = state();
  std::lock_guard lock(s.mu);
  s.value_files.clear();
  s.values.clear();
  s.dirs.clear();
  s.indexes.clear();
  s.indexed_count = static_cast<size_t>(-1);
}

}  // namespace o365fwd::testing
