// PollSchedule: the dispatcher's index of idle streams by next poll — earliest due first, ties in
// key order, at most as many as asked, a stream waiting for its tenant's set-up left in place,
// and the time to look again.
#include "pipeline/poll_schedule.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace o365fwd {
namespace {

using std::chrono::seconds;

const SteadyTime kT0{seconds(1000)};

struct Fixture {
  std::map<std::string, StreamKey> keys;  // stable addresses, like the Collector's map
  PollSchedule schedule;

  const StreamKey& key(const std::string& tenant, const std::string& content_type) {
    return keys.try_emplace(tenant + "/" + content_type, StreamKey{tenant, content_type})
        .first->second;
  }
  static std::vector<std::string> names(const PollSchedule::Taken& taken) {
    std::vector<std::string> out;
    for (const StreamKey* k : taken.keys) out.push_back(k->str());
    return out;
  }
};

const auto kNoWait = [](const StreamKey&) { return false; };

TEST(PollSchedule, TakesDueStreamsEarliestFirstAndSaysWhenTheNextIsDue) {
  Fixture f;
  f.schedule.schedule(f.key("b", "Audit.Exchange"), kT0 + seconds(2));
  f.schedule.schedule(f.key("a", "Audit.Exchange"), kT0 + seconds(1));
  f.schedule.schedule(f.key("c", "Audit.Exchange"), kT0 + seconds(30));
  auto taken = f.schedule.takeDue(kT0 + seconds(5), 10, kNoWait);
  EXPECT_EQ(Fixture::names(taken),
            (std::vector<std::string>{"a/Audit.Exchange", "b/Audit.Exchange"}));
  ASSERT_TRUE(taken.next_due);
  EXPECT_EQ(*taken.next_due, kT0 + seconds(30));
  EXPECT_EQ(f.schedule.size(), 1u);
  EXPECT_FALSE(f.schedule.dueAt(f.key("a", "Audit.Exchange")));  // taken: unscheduled
}

TEST(PollSchedule, SameInstantInKeyOrderAndNeverMoreThanAsked) {
  Fixture f;
  for (const char* t : {"t3", "t1", "t2"}) f.schedule.schedule(f.key(t, "DLP.All"), kT0);
  auto taken = f.schedule.takeDue(kT0, 2, kNoWait);
  EXPECT_EQ(Fixture::names(taken), (std::vector<std::string>{"t1/DLP.All", "t2/DLP.All"}));
  EXPECT_FALSE(taken.next_due);  // stopped at the limit: wait for an idle lister
  EXPECT_EQ(Fixture::names(f.schedule.takeDue(kT0, 2, kNoWait)),
            (std::vector<std::string>{"t3/DLP.All"}));
}

TEST(PollSchedule, RescheduleMovesAStreamAndUnscheduleRemovesIt) {
  Fixture f;
  const StreamKey& a = f.key("a", "Audit.General");
  const StreamKey& b = f.key("b", "Audit.General");
  f.schedule.schedule(a, kT0);
  f.schedule.schedule(b, kT0 + seconds(1));
  f.schedule.schedule(a, kT0 + seconds(60));  // moved later
  f.schedule.unschedule(b);
  f.schedule.unschedule(b);  // no-op
  EXPECT_EQ(f.schedule.size(), 1u);
  auto taken = f.schedule.takeDue(kT0 + seconds(5), 10, kNoWait);
  EXPECT_TRUE(taken.keys.empty());
  ASSERT_TRUE(taken.next_due);
  EXPECT_EQ(*taken.next_due, kT0 + seconds(60));
}

TEST(PollSchedule, AStreamWaitingForItsTenantsSetupStaysScheduled) {
  Fixture f;
  f.schedule.schedule(f.key("a", "Audit.Exchange"), kT0);
  f.schedule.schedule(f.key("a", "Audit.General"), kT0);
  f.schedule.schedule(f.key("b", "Audit.General"), kT0);
  // The first stream of a tenant sets it up; the tenant's others wait while it does.
  auto decide = [&](const StreamKey& k) {
    if (f.schedule.settingUp(k.tenant)) return true;
    f.schedule.setupStarted(k.tenant);
    return false;
  };
  auto taken = f.schedule.takeDue(kT0, 10, decide);
  EXPECT_EQ(Fixture::names(taken),
            (std::vector<std::string>{"a/Audit.Exchange", "b/Audit.General"}));
  EXPECT_TRUE(f.schedule.dueAt(f.key("a", "Audit.General")));
  EXPECT_TRUE(f.schedule.takeDue(kT0, 10, decide).keys.empty());
  f.schedule.setupEnded("a");
  EXPECT_FALSE(f.schedule.settingUp("a"));
  EXPECT_TRUE(f.schedule.settingUp("b"));
  EXPECT_EQ(Fixture::names(f.schedule.takeDue(kT0, 10, decide)),
            (std::vector<std::string>{"a/Audit.General"}));
}

}  // namespace
}  // namespace o365fwd
