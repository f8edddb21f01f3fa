// End to end through syslog: o365fwd collects from o365fwd-sim and forwards over TCP (RFC 5424,
// octet counting) to a real rsyslogd started by the test; every deliverable ledger record must
// arrive once, as its original JSON in MSG, with the structured data naming tenant and type.
#include <gtest/gtest.h>

#include "tests/support/forwarder_harness.h"
#include "tests/support/rsyslog.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

TEST(CollectSyslog, EveryLedgerRecordReachesRsyslogOnce) {
  if (!Rsyslog::available()) GTEST_SKIP() << "rsyslogd is not installed (scripts/install-deps.sh installs it)";
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "12", "--records-per-blob", "15", "--content-types",
                                "Audit.Exchange,DLP.All,Audit.AzureActiveDirectory"},
                               dir);
  ASSERT_TRUE(sim);
  TempDir rs_dir;
  Rsyslog rsyslog(RsyslogInput::kTcp, rs_dir.path());
  ASSERT_TRUE(rsyslog.start().ok()) << rsyslog.log();
  ForwarderOptions options;
  options.sinks_yaml = "  - type: syslog\n    address: " + rsyslog.address() + "\n    transport: tcp\n";
  ForwarderHarness fwd(*sim, dir, options);
  RunOutcome r = fwd.runOnce();
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  ASSERT_TRUE(rsyslog.stop().ok());
  std::string ndjson;
  std::size_t with_sd = 0;
  for (const RsyslogRecord& rec : rsyslog.records()) {
    ndjson += rec.msg + "\n";
    if (rec.structured_data.find("o365@32473") != std::string::npos &&
        rec.structured_data.find("tenant=\"contoso\"") != std::string::npos)
      ++with_sd;
    EXPECT_EQ(rec.app_name, "o365fwd");
  }
  auto keys = recordKeysFromNdjson(ndjson);
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  DeliveryCheck check = checkDelivery(sim->ledger(), *keys);
  EXPECT_TRUE(check.ok()) << check.summary();
  EXPECT_EQ(with_sd, keys->size());
}

}  // namespace
}  // namespace o365fwd::testing
