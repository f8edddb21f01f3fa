// Record filters end to end: the real o365fwd against the simulator. A run with filters forwards
// exactly the records the filters admit (byte for byte) and counts the rest; after the filters
// are removed a second run re-sends nothing (filtered records were recorded as seen); `replay`
// re-collects them.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "core/time_format.h"
#include "tests/support/forwarder_harness.h"
#include "tests/support/http_client.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

std::string describe(const RunOutcome& r) {
  return "exit=" + (r.exit_code ? std::to_string(*r.exit_code) : std::string("timeout")) +
         "\nstdout:\n" + r.stdout_text + "\nstderr (tail):\n" +
         (r.stderr_text.size() > 4000 ? r.stderr_text.substr(r.stderr_text.size() - 4000)
                                      : r.stderr_text);
}

std::string field(const std::string& record, const char* name) {
  rapidjson::Document doc;
  doc.Parse(record.c_str());
  if (!doc.IsObject()) return "";
  auto it = doc.FindMember(name);
  if (it == doc.MemberEnd()) return "";
  if (it->value.IsString()) return it->value.GetString();
  if (it->value.IsInt64()) return std::to_string(it->value.GetInt64());
  return "";
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string domainOf(const std::string& record) {
  std::string user = field(record, "UserId");
  auto at = user.rfind('@');
  return at == std::string::npos ? "" : lower(user.substr(at + 1));
}

// The most frequent value of `f(record)` among `records` (ties: the smallest), skipping "".
template <typename F>
std::string mostCommon(const std::vector<std::string>& records, F f) {
  std::map<std::string, int> counts;
  for (const std::string& r : records)
    if (std::string v = f(r); !v.empty()) ++counts[v];
  std::string best;
  int n = 0;
  for (const auto& [v, c] : counts)
    if (c > n) best = v, n = c;
  return best;
}

// (tenant, Id, Operation): a duplicate may be served in another blob with other bytes, so runs
// are compared by record identity.
std::string keyOf(const std::string& record) {
  return field(record, "OrganizationId") + "/" + field(record, "Id") + "/" +
         field(record, "Operation");
}

std::vector<std::string> keysOf(const std::vector<std::string>& records) {
  std::vector<std::string> keys;
  for (const std::string& r : records) keys.push_back(keyOf(r));
  std::sort(keys.begin(), keys.end());
  return keys;
}

// The sum of the "filtered" column of the run summary's table (stdout).
std::string filteredInSummary(const std::string& stdout_text) {
  std::istringstream in(stdout_text.substr(stdout_text.find("Collection summary")));
  std::string line;
  std::getline(in, line);  // the title
  std::getline(in, line);  // the header
  if (line.find("filtered") == std::string::npos) return "no filtered column";
  std::uint64_t sum = 0;
  while (std::getline(in, line) && line.rfind("  ", 0) == 0) {
    std::istringstream cols(line);
    std::string tenant, content_type, state, forwarded, duplicates, filtered;
    cols >> tenant >> content_type >> state >> forwarded >> duplicates >> filtered;
    sum += std::stoull(filtered);
  }
  return std::to_string(sum);
}

TEST(RecordFilters, ForwardExactlyWhatTheyAdmitAndAFilterChangeResendsNothing) {
  TempDir sim_dir;
  auto sim = SimProcess::start({"--tenants", "2", "--blobs", "12", "--records-per-blob", "15",
                                "--span", "2h", "--duplicate-fraction", "0.2", "--content-types",
                                "Audit.Exchange,Audit.SharePoint,Audit.AzureActiveDirectory"},
                               sim_dir);
  ASSERT_TRUE(sim);

  // Everything, without filters: what the filters are measured against.
  TempDir all_dir;
  ForwarderHarness all(*sim, all_dir);
  RunOutcome base = all.runOnce();
  ASSERT_EQ(base.exit_code, 0) << describe(base);
  std::vector<std::string> every = all.outputLines();
  DeliveryCheck check = checkDelivery(sim->ledger(), all.delivered());
  ASSERT_TRUE(check.ok()) << check.summary();
  ASSERT_GT(every.size(), 100u);

  // One tenant's domain (written in upper case: domains compare without case), minus its most
  // common operation, without system accounts (UserType 4).
  const std::string domain = mostCommon(every, domainOf);
  ASSERT_FALSE(domain.empty());
  std::vector<std::string> of_domain;
  for (const std::string& r : every)
    if (domainOf(r) == domain) of_domain.push_back(r);
  const std::string noisy =
      mostCommon(of_domain, [](const std::string& r) { return field(r, "Operation"); });
  ForwarderOptions options;
  std::string upper_domain = domain;
  for (char& c : upper_domain) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  options.top_yaml = "filters:\n  domains: [" + upper_domain + "]\n  exclude:\n    Operation: [\"" +
                     noisy + "\"]\n    UserType: [System]\n";
  std::vector<std::string> admitted;
  for (const std::string& r : of_domain)
    if (field(r, "Operation") != noisy && field(r, "UserType") != "4") admitted.push_back(r);
  ASSERT_GT(admitted.size(), 0u);
  ASSERT_LT(admitted.size(), every.size());

  TempDir filtered_dir;
  ForwarderHarness filtered(*sim, filtered_dir, options);
  RunOutcome run = filtered.runOnce();
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  EXPECT_EQ(keysOf(filtered.outputLines()), keysOf(admitted))
      << "the forwarded records must be exactly the admitted ones, each once";
  const std::string expected_filtered = std::to_string(every.size() - admitted.size());
  EXPECT_EQ(filteredInSummary(run.stdout_text), expected_filtered) << describe(run);
  EXPECT_NE(run.stdout_text.find("filtered"), std::string::npos) << run.stdout_text;

  // The filters go: the records they dropped were recorded as seen, so nothing is sent again.
  {
    std::ifstream in(filtered.configPath());
    std::stringstream text;
    text << in.rdbuf();
    std::string yaml = text.str();
    yaml.erase(yaml.find("filters:\n"));
    std::ofstream(filtered.configPath()) << yaml;
  }
  RunOutcome again = filtered.runOnce();
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_EQ(filtered.outputLines().size(), admitted.size()) << describe(again);
  EXPECT_EQ(filteredInSummary(again.stdout_text), "0");

  // `replay` re-collects a window: now every record is there.
  auto now = std::chrono::system_clock::now();
  RunOutcome replay = filtered.runCommand(
      {"replay", "--from", formatApiTime(now - 3h), "--to", formatApiTime(now + 1min)}, 120s);
  ASSERT_EQ(replay.exit_code, 0) << describe(replay);
  std::vector<std::string> after = keysOf(filtered.outputLines());
  after.erase(std::unique(after.begin(), after.end()), after.end());
  EXPECT_EQ(after, keysOf(every));
}

TEST(RecordFilters, ValidateShowsTheirEffectOnASampleOfTheLastHour) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "6", "--records-per-blob", "20", "--span", "30m",
                                "--content-types", "Audit.Exchange,Audit.SharePoint"},
                               dir);
  ASSERT_TRUE(sim);
  ForwarderOptions options;
  options.top_yaml =
      "filters:\n  exclude:\n    Workload: [exchange]\n    Operation: [FileAcessed]\n";
  ForwarderHarness fwd(*sim, dir, options);
  // --fix starts the subscriptions, so the one-hour listing finds the blobs to sample.
  RunOutcome v = fwd.runCommand({"validate", "--fix"}, 120s);
  EXPECT_EQ(v.exit_code, 0) << describe(v);
  // The misspelt operation is a warning with a suggestion, not an error.
  EXPECT_NE(v.stdout_text.find("did you mean `FileAccessed`?"), std::string::npos) << v.stdout_text;
  const std::string marker = "would forward ";
  auto at = v.stdout_text.find(marker);
  ASSERT_NE(at, std::string::npos) << v.stdout_text;
  std::istringstream in(v.stdout_text.substr(at + marker.size()));
  std::string admitted, of, total;
  in >> admitted >> of >> total;
  EXPECT_EQ(of, "of");
  auto number = [](std::string t) {
    t.erase(std::remove(t.begin(), t.end(), ','), t.end());
    return std::stoull(t);
  };
  ASSERT_FALSE(admitted.empty());
  // Exchange records are dropped, SharePoint ones pass: some but not all would be forwarded.
  EXPECT_GT(number(admitted), 0u) << v.stdout_text;
  EXPECT_LT(number(admitted), number(total)) << v.stdout_text;
  // Validate forwards nothing.
  EXPECT_TRUE(fwd.outputLines().empty());
}

// Sum of a metric family's samples.
double metricSum(const std::string& text, const std::string& name) {
  double sum = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(name + "{", 0) == 0 || line.rfind(name + " ", 0) == 0)
      sum += std::stod(line.substr(line.rfind(' ') + 1));
  return sum;
}

// A daemon with filters: /status, /metrics, the page and `o365fwd status` show what was filtered.
TEST(RecordFilters, TheDaemonShowsFilteredRecordsInEveryView) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "6", "--records-per-blob", "20", "--content-types",
                                "Audit.Exchange,Audit.SharePoint"},
                               dir);
  ASSERT_TRUE(sim);
  std::uint64_t expected = 0;
  for (const LedgerEntry& e : sim->ledger()) expected += e.deliverable() ? 1 : 0;
  ASSERT_GT(expected, 0u);
  ForwarderOptions options;
  options.health_yaml = "  listen: 127.0.0.1:0\n";
  options.collection_yaml = "    poll_interval: 1h\n";
  options.top_yaml = "filters:\n  exclude:\n    Workload: [Exchange]\n";
  ForwarderHarness fwd(*sim, dir, options);
  auto daemon = fwd.startDaemon();
  const std::string url = waitForHealthUrl(*daemon, 30s);
  ASSERT_FALSE(url.empty()) << daemon->stderrText();

  // Every record is either forwarded or filtered, none twice.
  std::uint64_t forwarded = 0, filtered = 0;
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    rapidjson::Document doc;
    doc.Parse(httpRequest("GET", url + "/status").body.c_str());
    forwarded = filtered = 0;
    if (doc.IsObject() && doc.HasMember("streams"))
      for (const auto& s : doc["streams"].GetArray()) {
        forwarded += s["events_forwarded"].GetUint64();
        filtered += s["records_filtered"].GetUint64();
      }
    if (forwarded + filtered >= expected) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(forwarded + filtered, expected) << daemon->stderrText();
  EXPECT_GT(filtered, 0u);
  EXPECT_GT(forwarded, 0u);
  EXPECT_EQ(fwd.outputLines().size(), forwarded);
  for (const std::string& line : fwd.outputLines()) EXPECT_NE(field(line, "Workload"), "Exchange");

  const std::string metrics = httpRequest("GET", url + "/metrics").body;
  EXPECT_EQ(metricSum(metrics, "o365fwd_records_filtered_total"), static_cast<double>(filtered))
      << metrics;
  const std::string page = httpRequest("GET", url + "/").body;
  EXPECT_NE(page.find("<th>Filtered</th>"), std::string::npos);
  std::uint64_t on_page = 0;
  const std::string cell = "<td class=\"num filtered\">";
  for (auto at = page.find(cell); at != std::string::npos; at = page.find(cell, at + 1))
    on_page += std::stoull(page.substr(at + cell.size()));
  EXPECT_EQ(on_page, filtered);
  RunOutcome status = fwd.runCommand({"status"}, 30s);
  EXPECT_NE(status.stdout_text.find("FILTERED"), std::string::npos) << status.stdout_text;

  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(60s), 0);

  // A restart keeps the count (a persisted total like events_forwarded); this run filtered none.
  daemon = fwd.startDaemon();
  const std::string again = waitForHealthUrl(*daemon, 30s);
  ASSERT_FALSE(again.empty()) << daemon->stderrText();
  rapidjson::Document doc;
  doc.Parse(httpRequest("GET", again + "/status").body.c_str());
  ASSERT_TRUE(doc.IsObject() && doc.HasMember("streams"));
  std::uint64_t kept = 0, this_run = 0;
  for (const auto& s : doc["streams"].GetArray()) {
    kept += s["records_filtered"].GetUint64();
    this_run += s["records_filtered_run"].GetUint64();
  }
  EXPECT_EQ(kept, filtered);
  EXPECT_EQ(this_run, 0u);
  EXPECT_EQ(
      metricSum(httpRequest("GET", again + "/metrics").body, "o365fwd_records_filtered_total"),
      static_cast<double>(filtered));
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(60s), 0);
}

}  // namespace
}  // namespace o365fwd::testing
