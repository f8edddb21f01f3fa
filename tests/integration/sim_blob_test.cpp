// o365fwd-sim blob retrieval: '$' raw or %24, AF20050/51/52, gzip, the large blob, broken JSON
// bodies (forever and for the first K fetches) and contentUri pointing at a foreign host.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

rapidjson::Document json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  return doc;
}

std::string errorCode(const HttpResult& r) {
  auto doc = json(r.body);
  if (!doc.IsObject() || !doc.HasMember("error")) return "(none: " + r.body.substr(0, 200) + ")";
  return doc["error"]["code"].GetString();
}

struct Item {
  std::string id, uri, expiration;
};

std::vector<Item> listItems(const SimProcess& sim, const std::string& token,
                            const std::string& ct) {
  std::vector<Item> out;
  std::string next = sim.apiRoot() + "/subscriptions/content?contentType=" + ct;
  while (!next.empty()) {
    HttpResult r = sim.get(next, token);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) break;
    auto doc = json(r.body);
    for (const auto& i : doc.GetArray())
      out.push_back({i["contentId"].GetString(), i["contentUri"].GetString(),
                     i["contentExpiration"].GetString()});
    next = r.header("NextPageUri").value_or("");
  }
  return out;
}

std::string encodeDollars(std::string s) {
  for (size_t p = 0; (p = s.find('$', p)) != std::string::npos;) s.replace(p, 1, "%24");
  return s;
}

class SimBlobTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> args) {
    args.insert(args.end(), {"--subscriptions-enabled", "--content-types", "Audit.Exchange"});
    sim_ = SimProcess::start(args, dir_);
    ASSERT_NE(sim_, nullptr);
    token_ = sim_->token();
    ASSERT_FALSE(token_.empty());
  }
  TempDir dir_;
  std::unique_ptr<SimProcess> sim_;
  std::string token_;
};

TEST_F(SimBlobTest, BlobWithRawDollarOrPercent24) {
  start({"--blobs", "3", "--records-per-blob", "17"});
  auto items = listItems(*sim_, token_, "Audit.Exchange");
  ASSERT_EQ(items.size(), 3u);
  const Item& it = items[0];
  EXPECT_NE(it.uri.find('$'), std::string::npos) << "contentUri carries the raw $";
  EXPECT_EQ(it.uri, sim_->apiRoot() + "/audit/" + it.id);
  HttpResult raw = sim_->get(it.uri + "?PublisherIdentifier=" + sim_->tenant(0).tenant_id, token_);
  ASSERT_EQ(raw.status, 200) << raw.body;
  EXPECT_EQ(raw.header("Content-Type").value_or(""), "application/json; charset=utf-8");
  auto doc = json(raw.body);
  ASSERT_TRUE(doc.IsArray());
  EXPECT_EQ(doc.Size(), 17u);
  HttpResult encoded = sim_->get(encodeDollars(it.uri), token_);
  ASSERT_EQ(encoded.status, 200);
  EXPECT_EQ(encoded.body, raw.body) << "the same bytes on every fetch";
  auto keys = recordKeysFromJsonArray(raw.body);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->front().tenant, sim_->tenant(0).tenant_id);
}

TEST_F(SimBlobTest, MissingExpiredAndMalformedIds) {
  start({"--blobs", "40", "--expired-fraction", "0.3"});
  auto items = listItems(*sim_, token_, "Audit.Exchange");
  ASSERT_EQ(items.size(), 40u);
  size_t expired = 0;
  for (const auto& it : items) {
    HttpResult r = sim_->get(it.uri, token_);
    if (r.status == 200) continue;
    ++expired;
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(errorCode(r), "AF20051");
  }
  EXPECT_GT(expired, 3u);
  // A well-formed id that names no blob: change the last digit of both timestamp copies.
  std::string missing = items[0].uri;
  const size_t first = missing.find('$') - 1, second = missing.find('$', first + 2) - 1;
  missing[first] = missing[second] = missing[first] == '1' ? '2' : '1';
  HttpResult r = sim_->get(missing, token_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(errorCode(r), "AF20050");
  r = sim_->get(sim_->apiRoot() + "/audit/not-a-content-id", token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(errorCode(r), "AF20052");
}

TEST_F(SimBlobTest, GzipWhenAsked) {
  start({"--blobs", "2", "--records-per-blob", "200"});
  auto items = listItems(*sim_, token_, "Audit.Exchange");
  ASSERT_FALSE(items.empty());
  HttpResult plain = sim_->get(items[0].uri, token_);
  HttpRequestOptions req;
  req.url = items[0].uri;
  req.headers = {"Authorization: Bearer " + token_};
  req.accept_encoding = "gzip";
  HttpResult gz = httpRequest(req);
  ASSERT_EQ(gz.status, 200);
  EXPECT_EQ(gz.header("Content-Encoding").value_or(""), "gzip");
  EXPECT_LT(std::stoul(gz.header("Content-Length").value_or("0")), plain.body.size() / 3);
  EXPECT_EQ(gz.body, plain.body) << "curl decompressed the same JSON";
}

// --prebuild-bodies (benchmarks): the gzip bodies rendered at start decode to the very JSON the
// simulator renders on demand for a plain request; a blob served broken first still is.
TEST_F(SimBlobTest, PrebuiltGzipBodiesAreTheRenderedJson) {
  start({"--blobs", "5", "--records-per-blob", "50", "--invalid-json-blobs", "1",
         "--invalid-json-fetches", "1", "--prebuild-bodies"});
  auto items = listItems(*sim_, token_, "Audit.Exchange");
  ASSERT_EQ(items.size(), 5u);
  int broken = 0;
  for (const auto& it : items) {
    HttpRequestOptions req;
    req.url = it.uri;
    req.headers = {"Authorization: Bearer " + token_};
    req.accept_encoding = "gzip";
    HttpResult first = httpRequest(req);
    ASSERT_EQ(first.status, 200);
    EXPECT_EQ(first.header("Content-Encoding").value_or(""), "gzip");
    if (!recordKeysFromJsonArray(first.body).ok()) ++broken;
    HttpResult gz = httpRequest(req);
    HttpResult plain = sim_->get(it.uri, token_);
    ASSERT_EQ(gz.status, 200);
    ASSERT_EQ(plain.status, 200);
    EXPECT_EQ(gz.body, plain.body) << it.id;
    EXPECT_TRUE(recordKeysFromJsonArray(gz.body).ok()) << it.id;
  }
  EXPECT_EQ(broken, 1) << "the invalid-JSON blob is served broken on its first fetch";
}

TEST_F(SimBlobTest, LargeBlob) {
  start({"--blobs", "3", "--large-blob-mb", "12", "--span", "1h"});
  auto items = listItems(*sim_, token_, "Audit.Exchange");
  size_t largest = 0, records = 0;
  for (const auto& it : items) {
    HttpRequestOptions req;
    req.url = it.uri;
    req.headers = {"Authorization: Bearer " + token_};
    req.timeout = std::chrono::seconds(120);
    HttpResult r = httpRequest(req);
    ASSERT_EQ(r.status, 200) << r.error;
    if (r.body.size() > largest) {
      largest = r.body.size();
      auto keys = recordKeysFromJsonArray(r.body);
      ASSERT_TRUE(keys.ok());
      records = keys->size();
    }
  }
  EXPECT_GT(largest, 10u << 20);
  EXPECT_LT(largest, 15u << 20);
  EXPECT_GT(records, 5000u);
}

TEST_F(SimBlobTest, BrokenJsonForeverOrForTheFirstFetches) {
  start({"--blobs", "6", "--invalid-json-blobs", "2"});
  auto items = listItems(*sim_, token_, "Audit.Exchange");
  size_t broken = 0;
  for (int round = 0; round < 2; ++round) {
    for (const auto& it : items) {
      HttpResult r = sim_->get(it.uri, token_);
      ASSERT_EQ(r.status, 200);
      broken += json(r.body).HasParseError() ? 1 : 0;
    }
  }
  EXPECT_EQ(broken, 4u) << "2 blobs broken on every fetch";
  size_t dead = 0;
  for (const auto& e : sim_->ledger()) dead += e.fate == "dead_letter" ? 1 : 0;
  EXPECT_EQ(dead, 50u) << "2 blobs x 25 records cannot be delivered";
}

TEST_F(SimBlobTest, BrokenJsonRecoversAfterKFetches) {
  start({"--blobs", "6", "--invalid-json-blobs", "1", "--invalid-json-fetches", "2"});
  auto items = listItems(*sim_, token_, "Audit.Exchange");
  std::vector<size_t> broken_per_round;
  for (int round = 0; round < 3; ++round) {
    size_t broken = 0;
    for (const auto& it : items)
      broken += json(sim_->get(it.uri, token_).body).HasParseError() ? 1 : 0;
    broken_per_round.push_back(broken);
  }
  EXPECT_EQ(broken_per_round, (std::vector<size_t>{1, 1, 0}));
  for (const auto& e : sim_->ledger()) EXPECT_EQ(e.fate, "deliver");
}

TEST_F(SimBlobTest, ContentUriCanPointAtAForeignHost) {
  start({"--blobs", "2", "--content-uri-base", "http://127.0.0.2:9"});
  auto items = listItems(*sim_, token_, "Audit.Exchange");
  ASSERT_FALSE(items.empty());
  EXPECT_EQ(
      items[0].uri.rfind(
          "http://127.0.0.2:9/api/v1.0/" + sim_->tenant(0).tenant_id + "/activity/feed/audit/", 0),
      0u)
      << items[0].uri;
}

}  // namespace
}  // namespace o365fwd::testing
