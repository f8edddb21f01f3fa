// The integration suite's secret check (tests/support/secret_scan.h) must be able to fail: a
// planted token or secret is found in a file, a directory and a text, named by place and kind, and
// the failure message never holds the value.
#include "tests/support/secret_scan.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace o365fwd::testing {
namespace {

const std::string kToken =
    "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL21hbmFnZS5vZmZpY2UuY29tIn0.c2lnbmVkLWJ5LXNpbQ";
const std::string kSecret = "SimSecret~0123.abcdefXYZ";

class SecretScanTest : public ::testing::Test {
 protected:
  void SetUp() override { SecretScan::instance().resetForTest(); }
  void TearDown() override { SecretScan::instance().resetForTest(); }
  TempDir dir_{"secret-scan"};
};

TEST_F(SecretScanTest, FindsPlantedValuesFromTheIssuedTokensFile) {
  std::ofstream(dir_.file("issued.txt")) << "secret " << kSecret << "\ntoken " << kToken << "\n";
  SecretScan::instance().addKnownValuesFile(dir_.file("issued.txt"));
  auto text = SecretScan::instance().scanText("stderr", "error: invalid_client " + kSecret);
  ASSERT_EQ(text.size(), 1u);
  EXPECT_EQ(text[0].kind, "secret");
  EXPECT_EQ(text[0].where, "stderr");
  // URL-encoded spelling of the secret (as a form body would carry it) is found too.
  EXPECT_EQ(SecretScan::instance().scanText("x", "client_secret=SimSecret%7E0123.abcdefXYZ").size(),
            1u);
  EXPECT_TRUE(SecretScan::instance().scanText("x", "nothing to see; eyJ0eXAiOiJKV1QifQ").empty());
}

TEST_F(SecretScanTest, FindsATokenInAFileBelowARegisteredDirectory) {
  SecretScan::instance().addKnownValue("token", kToken);
  std::filesystem::create_directories(dir_.path() / "state" / "dead-letter");
  std::ofstream(dir_.path() / "state" / "clean.txt") << "all fine\n";
  // Put the token past the first read chunk's end so the overlap logic is exercised too.
  {
    std::ofstream big(dir_.path() / "state" / "dead-letter" / "index.ndjson");
    big << std::string((8u << 20) - 20, 'x') << kToken << "\n";
  }
  SecretScan::instance().addDirectory(dir_.path() / "state");
  auto found = SecretScan::instance().scanDirectory(dir_.path() / "state");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].where.find("dead-letter/index.ndjson"), std::string::npos) << found[0].where;
  EXPECT_EQ(found[0].kind, "token");
  // The check fails the running test, naming the file and the kind but not the value.
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    SecretScan::instance().checkDirectoriesBelow(dir_.path());
  }
  ASSERT_EQ(failures.size(), 1);
  std::string message = failures.GetTestPartResult(0).message();
  EXPECT_NE(message.find("index.ndjson"), std::string::npos) << message;
  EXPECT_NE(message.find("token"), std::string::npos) << message;
  EXPECT_EQ(message.find(kToken), std::string::npos);
  EXPECT_EQ(message.find("c2lnbmVk"), std::string::npos);
}

TEST_F(SecretScanTest, CheckTextFailsTheTest) {
  SecretScan::instance().addKnownValue("secret", kSecret);
  EXPECT_NONFATAL_FAILURE(SecretScan::instance().checkText("stdout of o365fwd run", "x " + kSecret),
                          "stdout of o365fwd run holds a secret");
}

TEST_F(SecretScanTest, ShortValuesAreNotTracked) {
  SecretScan::instance().addKnownValue("secret", "short");
  EXPECT_TRUE(SecretScan::instance().scanText("x", "a short text").empty());
}

}  // namespace
}  // namespace o365fwd::testing
