// `o365fwd validate` over a fleet against the real simulator: 200 tenants checked on parallel
// workers, the shared host asked once (the simulator's request log counts it), a brief text
// with the failures and a summary instead of a line per passing check; --verbose lists them all.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/forwarder_harness.h"
#include "tests/support/sim_process.h"
#include "tests/support/temp_dir.h"

namespace o365fwd {
namespace {

using namespace o365fwd::testing;
using namespace std::chrono_literals;

constexpr int kTenants = 200;

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t linesStartingWith(const std::string& text, const std::string& prefix) {
  std::size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) n += line.rfind(prefix, 0) == 0;
  return n;
}

std::size_t countOf(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(ValidateFleet, TenantsInParallelOneReachPerHostFailuresAndASummary) {
  TempDir dir;
  auto sim = SimProcess::start({"--tenants", std::to_string(kTenants), "--subscriptions-enabled",
                                "--blobs", "1", "--records-per-blob", "1", "--threads", "16"},
                               dir);
  ASSERT_TRUE(sim);
  ForwarderOptions options;
  options.tenant_yaml = "    content_types: [Audit.Exchange, Audit.SharePoint]\n";
  ForwarderHarness fwd(*sim, dir, options);
  // Two customers whose secret is wrong.
  for (const char* tenant : {"tenant7", "tenant150"})
    std::ofstream(dir.path() / (std::string(tenant) + ".secret")) << "not-the-right-secret-0001\n";

  RunOutcome brief = fwd.runCommand({"validate"}, 120s);
  ASSERT_TRUE(brief.exit_code.has_value()) << "validate did not finish within 120 s";
  EXPECT_EQ(*brief.exit_code, 1) << brief.stdout_text << brief.stderr_text;
  const std::string& text = brief.stdout_text;
  EXPECT_EQ(linesStartingWith(text, "PASS"), 0u) << text;
  EXPECT_EQ(linesStartingWith(text, "FAIL  token"), 2u) << text;
  EXPECT_NE(text.find("AADSTS7000215"), std::string::npos) << text;
  EXPECT_NE(text.find("tenants: " + std::to_string(kTenants - 2) +
                      " passed, 0 with warnings, 2 failed (tenant7, tenant150)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("not shown (--verbose lists every check)"), std::string::npos) << text;
  EXPECT_LT(countOf(text, "\n"), 30u) << text;
  EXPECT_EQ(linesStartingWith(text, "FAILED "), 1u) << text;

  // The login and API host (one simulator) was asked once, not once per tenant.
  EXPECT_EQ(countOf(readFile(sim->requestLogPath()), "\"method\":\"GET\",\"path\":\"/\""), 1u);

  RunOutcome verbose = fwd.runCommand({"validate", "--verbose", "--parallel", "4"}, 120s);
  ASSERT_TRUE(verbose.exit_code.has_value());
  EXPECT_EQ(*verbose.exit_code, 1);
  // Every tenant's checks, in configuration order whatever the workers' schedule.
  EXPECT_EQ(linesStartingWith(verbose.stdout_text, "PASS  token"),
            static_cast<std::size_t>(kTenants - 2));
  EXPECT_EQ(linesStartingWith(verbose.stdout_text, "PASS  listing"),
            static_cast<std::size_t>(2 * (kTenants - 2)));
  EXPECT_EQ(linesStartingWith(verbose.stdout_text, "PASS  reach"), 1u) << verbose.stdout_text;
  std::size_t last = 0;
  for (int i = 1; i <= kTenants; i += 37) {
    const auto at = verbose.stdout_text.find("/tenant" + std::to_string(i) + ".secret\n");
    ASSERT_NE(at, std::string::npos) << i << "\n" << verbose.stdout_text.substr(0, 2000);
    EXPECT_GT(at, last) << i;
    last = at;
  }
  EXPECT_EQ(verbose.stdout_text.find("tenants: "), std::string::npos);
}

}  // namespace
}  // namespace o365fwd
