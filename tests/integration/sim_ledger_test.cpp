// o365fwd-sim ledger completeness: fetching every blob of every stream yields exactly the
// ledger's deliverable (tenant, Id, Operation) set; determinism by seed; the request log;
// a clean exit on SIGTERM.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <map>
#include <set>

#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

constexpr const char* kTypes[] = {"Audit.AzureActiveDirectory", "Audit.Exchange",
                                  "Audit.SharePoint", "Audit.General", "DLP.All"};

rapidjson::Document json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  return doc;
}

struct Harvest {
  std::vector<RecordKey> records;  // every record of every readable blob, with repeats
  size_t blobs = 0, expired = 0, broken = 0;
};

// What a perfect forwarder sees: every listed blob of every stream, fetched once.
Harvest harvest(const SimProcess& sim) {
  Harvest h;
  for (size_t t = 0; t < sim.tenantCount(); ++t) {
    std::string token = sim.token(t);
    const std::string pub = "&PublisherIdentifier=" + sim.tenant(t).tenant_id;
    for (const char* ct : kTypes) {
      std::string next = sim.apiRoot(t) + "/subscriptions/content?contentType=" + ct + pub;
      while (!next.empty()) {
        HttpResult page = sim.get(next, token);
        EXPECT_EQ(page.status, 200) << page.body;
        if (page.status != 200) break;
        auto doc = json(page.body);
        for (const auto& item : doc.GetArray()) {
          ++h.blobs;
          HttpResult blob = sim.get(std::string(item["contentUri"].GetString()) +
                                        "?PublisherIdentifier=" + sim.tenant(t).tenant_id,
                                    token);
          if (blob.status == 400 && blob.body.find("AF20051") != std::string::npos) {
            ++h.expired;
            continue;
          }
          EXPECT_EQ(blob.status, 200) << blob.body;
          auto keys = recordKeysFromJsonArray(blob.body);
          if (!keys.ok()) {
            ++h.broken;
            continue;
          }
          h.records.insert(h.records.end(), keys->begin(), keys->end());
        }
        next = page.header("NextPageUri").value_or("");
      }
    }
  }
  return h;
}

std::vector<RecordKey> unique(const std::vector<RecordKey>& keys) {
  std::set<RecordKey> s(keys.begin(), keys.end());
  return {s.begin(), s.end()};
}

const std::vector<std::string> kKnobs = {"--tenants",
                                         "2",
                                         "--blobs",
                                         "12",
                                         "--records-per-blob",
                                         "15",
                                         "--duplicate-fraction",
                                         "0.1",
                                         "--expired-fraction",
                                         "0.15",
                                         "--invalid-json-blobs",
                                         "1",
                                         "--backfill-fraction",
                                         "0.2",
                                         "--subscriptions-enabled",
                                         "--throttle-per-minute",
                                         "100000",
                                         "--seed",
                                         "5"};

TEST(SimLedgerTest, EveryDeliverableRecordExactlyOnceAndNothingElse) {
  TempDir dir;
  auto sim = SimProcess::start(kKnobs, dir);
  ASSERT_NE(sim, nullptr);
  auto ledger = sim->ledger();
  ASSERT_FALSE(ledger.empty());
  Harvest h = harvest(*sim);
  EXPECT_EQ(h.blobs, 2u * 5 * 12);
  EXPECT_GT(h.expired, 0u);
  EXPECT_EQ(h.broken, 10u) << "one broken blob per stream";
  DeliveryCheck check = checkDelivery(ledger, unique(h.records));
  EXPECT_TRUE(check.ok()) << check.summary();
  EXPECT_EQ(check.expected, check.delivered);
  // Duplicates exist in the raw stream, and only as repeats of ledger entries.
  EXPECT_GT(h.records.size(), unique(h.records).size());
  std::map<std::string, size_t> fates;
  for (const auto& e : ledger) ++fates[e.fate];
  EXPECT_GT(fates["expired"], 0u);
  EXPECT_GT(fates["dead_letter"], 0u);
  // GET /_sim/ledger is the same document as the file.
  EXPECT_EQ(sim->admin("GET", "/_sim/ledger").body, readFile(sim->ledgerPath()));
  auto stats = json(sim->stats());
  EXPECT_EQ(stats["blobs_served"].GetUint64(), h.blobs - h.expired);
  EXPECT_EQ(stats["broken_blobs_served"].GetUint64(), 10u);
}

TEST(SimLedgerTest, WithoutTheDuplicateKnobEveryRecordIsServedOnce) {
  TempDir dir;
  auto sim = SimProcess::start({"--tenants", "1", "--blobs", "10", "--records-per-blob", "30",
                                "--subscriptions-enabled", "--throttle-per-minute", "100000"},
                               dir);
  ASSERT_NE(sim, nullptr);
  Harvest h = harvest(*sim);
  EXPECT_EQ(h.records.size(), unique(h.records).size());
  EXPECT_EQ(h.records.size(), 5u * 10 * 30);
  DeliveryCheck check = checkDelivery(sim->ledger(), h.records);
  EXPECT_TRUE(check.ok()) << check.summary();
  // A wrong delivery is caught: one missing, one duplicated, one foreign.
  auto wrong = h.records;
  wrong.pop_back();
  wrong.push_back(wrong.front());
  wrong.push_back(RecordKey{"t", "x", "y"});
  DeliveryCheck bad = checkDelivery(sim->ledger(), wrong);
  EXPECT_EQ(bad.missing.size(), 1u);
  EXPECT_EQ(bad.duplicated.size(), 1u);
  EXPECT_EQ(bad.unexpected.size(), 1u);
  EXPECT_FALSE(bad.ok());
}

TEST(SimLedgerTest, TheSeedDeterminesEverything) {
  TempDir dir;
  auto a = SimProcess::start(kKnobs, dir);
  auto b = SimProcess::start(kKnobs, dir);
  std::vector<std::string> other = kKnobs;
  other.back() = "6";
  auto c = SimProcess::start(other, dir);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(readFile(a->ledgerPath()), readFile(b->ledgerPath()));
  EXPECT_NE(readFile(a->ledgerPath()), readFile(c->ledgerPath()));
  EXPECT_EQ(a->tenant(1).client_secret, b->tenant(1).client_secret);
  EXPECT_NE(a->tenant(1).tenant_id, c->tenant(1).tenant_id);
}

TEST(SimLedgerTest, RequestLogAndCleanShutdown) {
  TempDir dir;
  auto sim = SimProcess::start({"--subscriptions-enabled", "--blobs", "2"}, dir);
  ASSERT_NE(sim, nullptr);
  std::string token = sim->token();
  const SimTenant t = sim->tenant(0);
  sim->get(
      sim->apiRoot() +
          "/subscriptions/content?contentType=Audit.Exchange&PublisherIdentifier=" + t.tenant_id,
      token);
  sim->get(sim->apiRoot() + "/subscriptions/list", token);
  ASSERT_EQ(sim->stop(), 0) << "SIGTERM ends the simulator cleanly";
  std::string log = readFile(sim->requestLogPath());
  EXPECT_EQ(log.find(token.substr(token.size() - 20)), std::string::npos)
      << "the token never appears";
  EXPECT_EQ(log.find(t.client_secret), std::string::npos) << "the secret never appears";
  EXPECT_EQ(log.find(urlEncode(t.client_secret)), std::string::npos);
  std::vector<rapidjson::Document> lines;
  size_t pos = 0;
  while (pos < log.size()) {
    size_t end = log.find('\n', pos);
    lines.emplace_back();
    lines.back().Parse(log.substr(pos, end - pos).c_str());
    ASSERT_FALSE(lines.back().HasParseError());
    pos = end + 1;
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_STREQ(lines[0]["path"].GetString(), ("/" + t.tenant_id + "/oauth2/v2.0/token").c_str());
  EXPECT_FALSE(lines[0]["has_authorization"].GetBool());
  EXPECT_STREQ(lines[1]["method"].GetString(), "GET");
  EXPECT_EQ(lines[1]["status"].GetInt(), 200);
  EXPECT_TRUE(lines[1]["has_authorization"].GetBool());
  EXPECT_EQ(lines[1]["publisher_identifier"].GetString(), t.tenant_id);
  EXPECT_NE(std::string(lines[1]["query"].GetString()).find("contentType=Audit.Exchange"),
            std::string::npos);
  EXPECT_STREQ(lines[2]["publisher_identifier"].GetString(), "");
}

}  // namespace
}  // namespace o365fwd::testing
