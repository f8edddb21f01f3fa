#include "sim/throttle.h"

#include <gtest/gtest.h>

#include "sim/auth/token_store.h"

namespace o365fwd::sim {
namespace {

TEST(ThrottleTest, PerTenantBucketsRefillAndTheSharedPoolIsSeparate) {
  FakeClock clock;
  Throttle t(clock, 2);
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(t.allow(0, true, 60, 5)) << i;
  EXPECT_FALSE(t.allow(0, true, 60, 5));
  EXPECT_TRUE(t.allow(1, true, 60, 5)) << "tenants have their own budget";
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(t.allow(0, false, 60, 5));
  EXPECT_FALSE(t.allow(1, false, 60, 5)) << "requests without PublisherIdentifier share one pool";
  clock.advance(std::chrono::seconds(1));  // 60/min refills one per second
  EXPECT_TRUE(t.allow(0, true, 60, 5));
  EXPECT_FALSE(t.allow(0, true, 60, 5));
}

TEST(TokenStoreTest, TokensExpireAndJtisCannotBeReplayed) {
  TokenStore s;
  IssuedToken info;
  info.tenant_id = "t";
  info.not_before = 100;
  info.expires = 200;
  s.add("tok", info, 100);
  EXPECT_TRUE(s.find("tok", 150).has_value());
  EXPECT_FALSE(s.find("tok", 200).has_value());
  EXPECT_FALSE(s.find("other", 150).has_value());
  s.expireAll(120);
  EXPECT_FALSE(s.find("tok", 130).has_value());
  EXPECT_TRUE(s.useJti("j1", 500, 100));
  EXPECT_FALSE(s.useJti("j1", 500, 101));
  EXPECT_TRUE(s.useJti("j2", 500, 101));
}

}  // namespace
}  // namespace o365fwd::sim
