// Dead letters keep the API's bytes as they were sent, except this process's own secrets and
// tokens (an API that echoes the bearer token into a blob must not leave it on disk).
#include "pipeline/delivery/dead_letter.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/secrets/sensitive_values.h"
#include "tests/support/temp_dir.h"

namespace o365fwd {
namespace {

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ContentRef blob() {
  ContentRef c;
  c.stream.tenant = "contoso";
  c.stream.content_type = "Audit.General";
  c.content_id = "20261207000000000000000000000000000000000000000000000000000000$abc";
  return c;
}

class DeadLetterTest : public ::testing::Test {
 protected:
  void TearDown() override { sensitiveValues().clear(); }
  testing::TempDir dir_{"o365fwd-dead-letter"};
  FakeClock clock_;
};

TEST_F(DeadLetterTest, KeepsTheBytesAsTheyWereSent) {
  DeadLetterWriter writer(dir_.path(), clock_);
  const std::string bytes = "[{\"Id\":\"1\",\"Token\":\"eyJhbGciOiJub25lIn0.e30.\"},";
  auto path = writer.write(blob(), "invalid-json", "truncated", bytes);
  ASSERT_TRUE(path.ok()) << path.error().describe();
  EXPECT_EQ(readFile(*path), bytes);  // audit data that looks like a token is not ours: kept
  EXPECT_EQ(readFile(writer.directory() / "index.ndjson").find("masked_credentials"),
            std::string::npos);
}

TEST_F(DeadLetterTest, MasksOurOwnTokenEchoedIntoABlob) {
  const std::string token = "opaque-bearer-token-7f3c9e21d4";
  registerSensitive(token, SensitiveKind::kToken);
  DeadLetterWriter writer(dir_.path(), clock_);
  auto path = writer.write(blob(), "invalid-json", "echo",
                           "[{\"Id\":\"1\",\"Auth\":\"Bearer " + token + "\"");
  ASSERT_TRUE(path.ok()) << path.error().describe();
  const std::string kept = readFile(*path);
  EXPECT_EQ(kept.find(token), std::string::npos) << kept;
  EXPECT_NE(kept.find("\"Auth\":\"Bearer ***\""), std::string::npos) << kept;
  EXPECT_NE(readFile(writer.directory() / "index.ndjson").find("\"masked_credentials\":true"),
            std::string::npos);
}

}  // namespace
}  // namespace o365fwd
