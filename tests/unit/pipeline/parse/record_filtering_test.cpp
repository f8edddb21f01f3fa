// Record filters on the public samples (read from ../shared/samples/o365, never copied): the
// records applyRecordFilter() keeps are exactly those an independent DOM evaluation of the rules
// admits, byte for byte and in order.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/filters/audit_names.h"
#include "pipeline/parse/blob_parser.h"
#include "pipeline/parse/record_batch.h"
#include "tests/support/test_paths.h"

namespace o365fwd {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The beats files are NDJSON, one record per line: all of them together as one blob.
std::vector<std::string> beatsRecords(const fs::path& dir) {
  std::vector<std::string> lines;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir / "beats"))
    if (e.path().extension() == ".log") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    std::istringstream in(readFile(f));
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string blobOf(const std::vector<std::string>& records) {
  std::string out = "[";
  for (std::size_t i = 0; i < records.size(); ++i) out += (i ? ",\n" : "") + records[i];
  return out + "]";
}

// The field as text the way an operator reads the record: a string, or a number's text.
std::string field(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd()) return "";
  if (it->value.IsString()) return it->value.GetString();
  if (it->value.IsInt64()) return std::to_string(it->value.GetInt64());
  return "";
}

std::string lower(std::string s) {
  return asciiLower(s);
}

// The rules evaluated independently of RecordFilter, on a DOM of the record.
bool expectedAdmit(const std::string& raw, const FilterConfig& f) {
  rapidjson::Document doc;
  doc.Parse(raw.c_str());
  std::string user = field(doc, "UserId");
  if (!f.allDomains()) {
    auto at = user.rfind('@');
    if (at == std::string::npos) return false;
    std::string domain = lower(user.substr(at + 1));
    if (std::find(f.domains.begin(), f.domains.end(), domain) == f.domains.end()) return false;
  }
  auto number = [&](const char* name, std::optional<int> (*names)(std::string_view)) {
    std::string v = field(doc, name);
    std::optional<int> n = parseSmallInt(v);
    return n ? n : names(v);
  };
  auto listed = [](const std::vector<std::string>& list, const std::string& v) {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& x) { return lower(x) == lower(v); });
  };
  auto has = [](const std::vector<int>& list, std::optional<int> v) {
    return v && std::find(list.begin(), list.end(), *v) != list.end();
  };
  const std::string op = field(doc, "Operation"), wl = field(doc, "Workload");
  const auto rt = number("RecordType", recordTypeNumber);
  const auto ut = number("UserType", userTypeNumber);
  const FilterLists& in = f.include;
  if (!in.operation.empty() && !listed(in.operation, op)) return false;
  if (!in.workload.empty() && !listed(in.workload, wl)) return false;
  if (!in.record_type.empty() && !has(in.record_type, rt)) return false;
  if (!in.user_type.empty() && !has(in.user_type, ut)) return false;
  const FilterLists& ex = f.exclude;
  if (listed(ex.operation, op) || listed(ex.workload, wl) || has(ex.record_type, rt) ||
      has(ex.user_type, ut))
    return false;
  return true;
}

class RecordFilteringSamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = o365fwd::testing::samplesDir();
    if (dir_.empty()) GTEST_SKIP() << "public O365 samples not found (set O365FWD_SAMPLES_DIR)";
    records_ = beatsRecords(dir_);
    ASSERT_GT(records_.size(), 50u);
  }

  // Parses all records as one blob, filters, and checks the kept records against the DOM rules.
  std::size_t expectFilterMatchesDom(const FilterConfig& config, const std::string& what) {
    auto batch = parseBlob(blobOf(records_), ContentRef{});
    EXPECT_TRUE(batch.ok());
    if (!batch.ok()) return 0;
    const std::string body_before = batch->body;
    RecordFilter filter(config);
    std::uint64_t dropped = applyRecordFilter(filter, *batch);
    std::vector<std::string> expected;
    for (const std::string& r : records_)
      if (expectedAdmit(r, config)) expected.push_back(r);
    EXPECT_EQ(batch->size(), expected.size()) << what;
    EXPECT_EQ(dropped, records_.size() - expected.size()) << what;
    for (std::size_t i = 0; i < std::min(batch->size(), expected.size()); ++i)
      EXPECT_EQ(batch->raw(i), expected[i]) << what << " kept record " << i;
    EXPECT_EQ(batch->body, body_before) << "filtering must not touch the bytes";
    return batch->size();
  }

  fs::path dir_;
  std::vector<std::string> records_;
};

TEST_F(RecordFilteringSamplesTest, DefaultKeepsEveryRecord) {
  EXPECT_EQ(expectFilterMatchesDom(FilterConfig{}, "default"), records_.size());
}

TEST_F(RecordFilteringSamplesTest, DomainsKeepOnlyListedAndNoAccountsWithoutAddress) {
  FilterConfig f;
  f.domains = {"testsiem.onmicrosoft.com"};
  std::size_t kept = expectFilterMatchesDom(f, "one domain");
  EXPECT_GT(kept, 10u);
  EXPECT_LT(kept, records_.size());
  f.domains = {"testsiem.onmicrosoft.com", "testsiem4.onmicrosoft.com", "sharepoint"};
  EXPECT_GT(expectFilterMatchesDom(f, "three domains"), kept);
  f.domains = {"*", "testsiem.onmicrosoft.com"};
  EXPECT_EQ(expectFilterMatchesDom(f, "star and a domain"), records_.size());
}

TEST_F(RecordFilteringSamplesTest, IncludeAndExcludePerField) {
  FilterConfig ops;
  ops.include.operation = {"fileaccessed", "MailItemsAccessed", "DlpRuleMatch"};
  EXPECT_GT(expectFilterMatchesDom(ops, "include Operation"), 0u);
  FilterConfig wl;
  wl.exclude.workload = {"OneDrive", "exchange"};
  EXPECT_GT(expectFilterMatchesDom(wl, "exclude Workload"), 0u);
  FilterConfig rt;
  rt.include.record_type = {6, 22, 25};  // numbers, and "RecordType": "25" strings in samples
  EXPECT_GT(expectFilterMatchesDom(rt, "include RecordType"), 0u);
  FilterConfig ut;
  ut.exclude.user_type = {4, 5};  // "UserType": "0" strings and numbers in samples
  EXPECT_GT(expectFilterMatchesDom(ut, "exclude UserType"), 0u);
  FilterConfig all;
  all.domains = {"testsiem.onmicrosoft.com", "testsiem4.onmicrosoft.com"};
  all.include.workload = {"SharePoint", "OneDrive", "Exchange", "AzureActiveDirectory"};
  all.exclude.operation = {"FileAccessed"};
  all.exclude.user_type = {4};
  expectFilterMatchesDom(all, "everything together");
}

}  // namespace
}  // namespace o365fwd
