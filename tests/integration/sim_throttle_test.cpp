// o365fwd-sim throttling (AF429 in a 403 or a 429, the small shared budget without
// PublisherIdentifier, Retry-After) and transient 500/503/408 faults.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <set>

#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

rapidjson::Document json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  return doc;
}

class SimThrottleTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> args) {
    sim_ = SimProcess::start(args, dir_);
    ASSERT_NE(sim_, nullptr);
    for (size_t i = 0; i < sim_->tenantCount(); ++i) {
      tokens_.push_back(sim_->token(i));
      ASSERT_FALSE(tokens_.back().empty());
    }
  }
  HttpResult list(size_t tenant, bool with_publisher) const {
    std::string url = sim_->apiRoot(tenant) + "/subscriptions/list";
    if (with_publisher) url += "?PublisherIdentifier=" + sim_->tenant(tenant).tenant_id;
    return sim_->get(url, tokens_[tenant]);
  }
  TempDir dir_;
  std::unique_ptr<SimProcess> sim_;
  std::vector<std::string> tokens_;
};

TEST_F(SimThrottleTest, PerTenantBudgetAnswersAf429In403) {
  start({"--tenants", "2", "--throttle-per-minute", "5", "--shared-throttle-per-minute", "1000"});
  for (int i = 0; i < 5; ++i) ASSERT_EQ(list(0, true).status, 200) << i;
  HttpResult r = list(0, true);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body,
            "{\"error\":{\"code\":\"AF429\",\"message\":\"Too many requests. "
            "Method=ListSubscriptions, PublisherId=" +
                sim_->tenant(0).tenant_id + "\"}}");
  EXPECT_FALSE(r.header("Retry-After").has_value());
  EXPECT_EQ(list(1, true).status, 200) << "the other tenant has its own budget";
  auto stats = json(sim_->stats());
  EXPECT_EQ(stats["throttled"].GetUint64(), 1u);
}

TEST_F(SimThrottleTest, Status429AndRetryAfterKnobs) {
  start({"--throttle-per-minute", "2", "--throttle-status", "429", "--retry-after", "7"});
  list(0, true);
  list(0, true);
  HttpResult r = list(0, true);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("Retry-After").value_or(""), "7");
  auto doc = json(r.body);
  EXPECT_STREQ(doc["error"]["code"].GetString(), "AF429");
  ASSERT_EQ(sim_->admin("POST", "/_sim/config",
                        R"({"throttle_status":403,"retry_after":0,"throttle_per_minute":1000})")
                .status,
            200);
  EXPECT_EQ(list(0, true).status, 403) << "the bucket refills at the new rate, it is not reset";
}

TEST_F(SimThrottleTest, RequestsWithoutPublisherIdentifierShareASmallerBudget) {
  start({"--throttle-per-minute", "1000", "--shared-throttle-per-minute", "3",
         "--subscriptions-enabled", "--blobs", "2"});
  for (int i = 0; i < 3; ++i) ASSERT_EQ(list(0, false).status, 200) << i;
  HttpResult listing = sim_->get(
      sim_->apiRoot() + "/subscriptions/content?contentType=Audit.Exchange&PublisherIdentifier=p",
      tokens_[0]);
  ASSERT_EQ(listing.status, 200) << "with PublisherIdentifier the tenant budget applies";
  std::string uri = json(listing.body)[0]["contentUri"].GetString();
  HttpResult r = sim_->get(uri, tokens_[0]);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(
      r.body,
      R"({"error":{"code":"AF429","message":"Too many requests. Method=GetBlob, PublisherId=00000000-0000-0000-0000-000000000000"}})");
  // The parameter name is matched case-insensitively (beats sends publisherIdentifier).
  EXPECT_EQ(sim_->get(uri + "?publisheridentifier=" + sim_->tenant(0).tenant_id, tokens_[0]).status,
            200);
  auto stats = json(sim_->stats());
  EXPECT_EQ(stats["requests_without_publisher_identifier"].GetUint64(), 4u);
}

TEST_F(SimThrottleTest, TransientErrors) {
  start({"--transient-error-rate", "1.0", "--throttle-per-minute", "100000"});
  std::set<long> statuses;
  for (int i = 0; i < 40; ++i) {
    HttpResult r = list(0, true);
    statuses.insert(r.status);
    if (r.status == 500) {
      EXPECT_STREQ(json(r.body)["error"]["code"].GetString(), "AF50000");
    }
  }
  EXPECT_EQ(statuses, (std::set<long>{408, 500, 503}));
  EXPECT_EQ(json(sim_->stats())["transient_errors"].GetUint64(), 40u);
  ASSERT_EQ(sim_->admin("POST", "/_sim/config", R"({"transient_error_rate":0.25})").status, 200);
  int failed = 0;
  for (int i = 0; i < 200; ++i) failed += list(0, true).status != 200 ? 1 : 0;
  EXPECT_GT(failed, 20);
  EXPECT_LT(failed, 90);
  // Token endpoints are never faulted.
  EXPECT_FALSE(sim_->token().empty());
}

}  // namespace
}  // namespace o365fwd::testing
