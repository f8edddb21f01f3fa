// The progress display of `run --once`: on a terminal (a real pseudo-terminal from util-linux
// `script`) a live line ending with the final figures; redirected, no terminal control codes.
#include <gtest/gtest.h>

#include <regex>

#include "tests/support/forwarder_harness.h"
#include "tests/support/process.h"
#include "tests/support/sim_process.h"
#include "tests/support/test_paths.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

TEST(Progress, TerminalShowsALiveLineEndingWithTheFinalFigures) {
  if (!std::filesystem::exists("/usr/bin/script"))
    GTEST_SKIP() << "util-linux `script` is not installed";
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "30", "--records-per-blob", "40"}, dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir);
  const std::string command = shellQuote(forwarderBinary().string()) + " run --once -c " +
                              shellQuote(fwd.configPath().string());
  ChildProcess script;
  ASSERT_TRUE(script.start({"/usr/bin/script", "-q", "-e", "-c", command, "/dev/null"}).ok());
  auto code = script.wait(180s);
  ASSERT_EQ(code, 0) << script.stdoutText();
  const std::string out = script.stdoutText();
  // 5 content types x 30 blobs, 6,000 records: the last line states all of it.
  std::smatch m;
  std::regex last(
      R"(streams 5/5 active \| blobs 150/150 done \| 6,000 records \((\d+)/s\) \| lag [0-9a-z ]+\x1b\[K\r?\n)");
  EXPECT_TRUE(std::regex_search(out, m, last)) << out;
  EXPECT_GT(std::stoul(m.size() > 1 ? m[1].str() : "0"), 0u);
  EXPECT_NE(out.find("Collection summary"), std::string::npos);
  EXPECT_EQ(fwd.outputLines().size(), 6000u);
}

TEST(Progress, RedirectedOutputHasNoTerminalCodes) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "5", "--records-per-blob", "10"}, dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir);
  RunOutcome r = fwd.runOnce();
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stderr_text.find("\x1b["), std::string::npos);
  EXPECT_EQ(r.stderr_text.find("| blobs"), std::string::npos);
  EXPECT_EQ(r.stdout_text.find("\x1b["), std::string::npos);
}

}  // namespace
}  // namespace o365fwd::testing
