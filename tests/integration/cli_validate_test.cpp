// Runs the built `o365fwd` binary: `validate` on valid and broken configurations (exit codes,
// every problem listed, the JSON fields of docs/VALIDATE.md, no secret in any output), `--help`
// on every subcommand, `version`, and usage errors.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/test_paths.h"

extern char** environ;

namespace o365fwd {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = o365fwd::testing::sourceDir();
const std::string kSecret = "Qx7~integration.Secret-Value_99";

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CliValidate : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/o365fwd-cli-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_TRUE(fs::exists(testing::forwarderBinary())) << testing::forwarderBinary();
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << content;
    ::chmod(p.c_str(), mode);
    return p;
  }

  // A valid configuration in the temp dir whose tenant reads `secret_line` from contoso.secret.
  fs::path validConfig(const std::string& secret_line = kSecret + "\n") {
    write("contoso.secret", secret_line);
    return write("connector.yaml",
                 "tenants:\n"
                 "  - name: contoso\n"
                 "    tenant_id: 11111111-2222-3333-4444-555555555555\n"
                 "    client_id: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n"
                 "    client_secret_file: contoso.secret\n"
                 "state_dir: state\n"
                 "sinks:\n"
                 "  - type: file\n"
                 "    path: out/audit.ndjson\n");
  }

  // Runs the forwarder with `args`, a clean environment plus `env`, and captures its output.
  RunResult run(const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv_s{testing::forwarderBinary().string()};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s;
    for (char** e = environ; *e; ++e) {
      std::string var = *e;
      std::string name = var.substr(0, var.find('='));
      if (name != "O365FWD_CONFIG" && name != "CREDENTIALS_DIRECTORY" && !env.count(name))
        env_s.push_back(var);
    }
    for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);

    fs::path out = dir_ / "stdout.txt", err = dir_ / "stderr.txt";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    RunResult result;
    if (rc != 0) {
      ADD_FAILURE() << "posix_spawn failed: " << rc;
      return result;
    }
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        ADD_FAILURE() << "o365fwd did not finish within 60 s";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = readFile(out);
    result.err = readFile(err);
    EXPECT_EQ(result.out.find(kSecret), std::string::npos) << "secret on stdout";
    EXPECT_EQ(result.err.find(kSecret), std::string::npos) << "secret on stderr";
    return result;
  }

  fs::path dir_;
};

TEST_F(CliValidate, ValidConfigurationExitsZero) {
  fs::path config = validConfig();
  RunResult r = run({"validate", "--offline", "-c", config.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASS  configuration"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("client secret from file " + (dir_ / "contoso.secret").string()),
            std::string::npos)
      << r.out;
  std::regex last(
      R"((^|\n)OK \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: configuration valid, 1 tenant, 1 sink\n$)");
  EXPECT_TRUE(std::regex_search(r.out, last)) << r.out;
  EXPECT_EQ(run({"validate", "--offline", "-c", config.string()}).exit_code, 0);
}

// A fleet sharing one application credential whose secret expires in 10 days: the warning is
// said once, for the credential, naming how many tenants use it (a bounded list), not once per
// tenant; a tenant with its own credential keeps its own check.
TEST_F(CliValidate, ASharedCredentialsExpiryIsReportedOnceNamingItsTenants) {
  constexpr int kShared = 40;
  write("mssp-app.secret", kSecret + "\n");
  write("contoso.secret", kSecret + "\n");
  const std::time_t in_ten_days = std::chrono::system_clock::to_time_t(
      std::chrono::system_clock::now() + std::chrono::hours(240));
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&in_ten_days));
  std::string yaml =
      "credentials:\n"
      "  - name: mssp-app\n"
      "    client_id: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n"
      "    client_secret_file: mssp-app.secret\n"
      "    client_secret_expires: " +
      std::string(date) +
      "\n"
      "tenants:\n"
      "  - name: contoso\n"
      "    tenant_id: 11111111-2222-3333-4444-555555555555\n"
      "    client_id: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n"
      "    client_secret_file: contoso.secret\n";
  for (int i = 0; i < kShared; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "11111111-2222-3333-4444-%012d", 1000 + i);
    char name[16];
    std::snprintf(name, sizeof name, "t%02d", i);
    yaml += "  - name: " + std::string(name) + "\n    tenant_id: " + id +
            "\n    credential: mssp-app\n";
  }
  yaml += "state_dir: state\nsinks:\n  - type: file\n    path: out/audit.ndjson\n";
  fs::path config = write("connector.yaml", yaml);

  for (bool verbose : {false, true}) {
    std::vector<std::string> args{"validate", "--offline", "-c", config.string()};
    if (verbose) args.push_back("--verbose");
    RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::size_t warnings = 0;
    for (auto at = r.out.find("warning: the client secret expires"); at != std::string::npos;
         at = r.out.find("warning: the client secret expires", at + 1))
      ++warnings;
    EXPECT_EQ(warnings, 1u) << r.out;
    EXPECT_TRUE(
        std::regex_search(r.out, std::regex("(^|\n)WARN +credential +credential mssp-app ")))
        << r.out;
    EXPECT_NE(r.out.find("used by 40 tenants: t00, t01, t02, t03, t04, t05, t06, t07, t08, t09, "
                         "+30 more"),
              std::string::npos)
        << r.out;
    EXPECT_EQ(r.out.find("t10"), std::string::npos) << "the list of tenants is bounded\n" << r.out;
    if (verbose) {
      EXPECT_TRUE(std::regex_search(r.out, std::regex("(^|\n)PASS +credential +contoso ")))
          << r.out;
    }
  }
}

TEST_F(CliValidate, ConfigurationIsFoundEveryDocumentedWay) {
  fs::path config = validConfig();
  EXPECT_EQ(run({"-c", config.string(), "validate", "--offline"}).exit_code, 0);
  EXPECT_EQ(run({"validate", "--offline", "--config=" + config.string()}).exit_code, 0);
  RunResult from_env = run({"validate", "--offline"}, {{"O365FWD_CONFIG", config.string()}});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.out;
  EXPECT_NE(from_env.out.find(config.string()), std::string::npos);
}

TEST_F(CliValidate, MissingConfigurationExitsTwo) {
  RunResult r = run({"validate", "--offline", "-c", (dir_ / "absent.yaml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("does not exist"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAILED "), std::string::npos);
}

TEST_F(CliValidate, InvalidConfigurationListsEveryProblem) {
  fs::path config = kSourceDir / "tests/data/config/many_errors.yaml";
  RunResult r = run({"validate", "--offline", "-c", config.string()});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  for (const char* expected :
       {"many_errors.yaml:3: tenants[0].name:", "many_errors.yaml:4: tenants[0].tenant_id:",
        "many_errors.yaml:7: tenants[0].clodu: unknown key; did you mean `cloud`?",
        "many_errors.yaml:9: collection.poll_interval:", "many_errors.yaml:12: sinks[0].path:",
        "many_errors.yaml:13: sinks[1].type:", "many_errors.yaml:16: health.listen:",
        "FAIL  configuration", "fix: "})
    EXPECT_NE(r.out.find(expected), std::string::npos) << expected << "\n" << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\nFAILED \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: )")))
      << r.out;
}

TEST_F(CliValidate, JsonReportHasTheDocumentedFields) {
  RunResult r = run({"validate", "--offline", "--json", "-c",
                     (kSourceDir / "tests/data/config/many_errors.yaml").string()});
  EXPECT_EQ(r.exit_code, 2);
  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << r.out;
  ASSERT_TRUE(doc.IsObject());
  EXPECT_FALSE(doc["ok"].GetBool());
  EXPECT_EQ(doc["exit_code"].GetInt(), 2);
  EXPECT_TRUE(std::regex_match(doc["finished_at"].GetString(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  EXPECT_TRUE(doc["summary"].IsString());
  const auto& checks = doc["checks"];
  ASSERT_TRUE(checks.IsArray());
  ASSERT_GE(checks.Size(), 2u);
  for (const auto& c : checks.GetArray()) {
    for (const char* field : {"name", "target", "status", "detail", "remedy", "code"})
      EXPECT_TRUE(c.HasMember(field) && c[field].IsString()) << field;
    EXPECT_TRUE(c["duration_ms"].IsInt64());
    EXPECT_TRUE(std::regex_match(c["status"].GetString(), std::regex("pass|fail|warn|skip")));
    ASSERT_TRUE(c["problems"].IsArray());
    for (const auto& p : c["problems"].GetArray()) {
      for (const char* field : {"file", "path", "message"})
        EXPECT_TRUE(p[field].IsString()) << field;
      EXPECT_TRUE(p["line"].IsInt());
      EXPECT_TRUE(std::regex_match(p["severity"].GetString(), std::regex("error|warning")));
    }
  }
  EXPECT_STREQ(checks[0]["name"].GetString(), "configuration");
  EXPECT_STREQ(checks[0]["status"].GetString(), "fail");
  EXPECT_EQ(checks[0]["problems"].Size(), 7u);
  EXPECT_STREQ(checks[0]["problems"][2]["path"].GetString(), "tenants[0].clodu");
  EXPECT_EQ(checks[0]["problems"][2]["line"].GetInt(), 7);

  RunResult ok = run({"validate", "--offline", "--json", "-c", validConfig().string()});
  EXPECT_EQ(ok.exit_code, 0);
  rapidjson::Document good;
  good.Parse(ok.out.c_str());
  ASSERT_FALSE(good.HasParseError()) << ok.out;
  EXPECT_TRUE(good["ok"].GetBool());
  EXPECT_STREQ(good["checks"][1]["name"].GetString(), "credential");
  EXPECT_STREQ(good["checks"][1]["target"].GetString(), "contoso");
  EXPECT_STREQ(good["checks"][1]["status"].GetString(), "pass");
}

TEST_F(CliValidate, SecretNeverAppearsInAnyOutput) {
  // Every run() asserts the secret is absent from stdout and stderr; here the secret is faulty
  // in ways whose messages talk about it.
  for (const std::string& line : {kSecret + " \n", kSecret + "\n\n", " " + kSecret}) {
    fs::path config = validConfig(line);
    RunResult text = run({"validate", "--offline", "-c", config.string()});
    EXPECT_EQ(text.exit_code, 2) << text.out;
    EXPECT_NE(text.out.find("whitespace — a common copy-paste fault"), std::string::npos)
        << text.out;
    EXPECT_EQ(run({"validate", "--offline", "--json", "-c", config.string()}).exit_code, 2);
  }
  // From the environment, and inline in a private file (a warning, exit 0).
  std::string yaml = readFile(validConfig());
  std::string env_yaml = std::regex_replace(yaml, std::regex("client_secret_file: .*"),
                                            "client_secret_env: O365FWD_IT_SECRET");
  RunResult env = run({"validate", "--offline", "-c", write("env.yaml", env_yaml).string()},
                      {{"O365FWD_IT_SECRET", kSecret}});
  EXPECT_EQ(env.exit_code, 0) << env.out;
  EXPECT_NE(env.out.find("client secret from environment O365FWD_IT_SECRET"), std::string::npos);
  std::string inline_yaml = std::regex_replace(yaml, std::regex("client_secret_file: .*"),
                                               "client_secret: \"" + kSecret + "\"");
  RunResult in_file =
      run({"validate", "--offline", "--json", "-c", write("inline.yaml", inline_yaml).string()});
  EXPECT_EQ(in_file.exit_code, 0) << in_file.out;
  EXPECT_NE(in_file.out.find("\"severity\": \"warning\""), std::string::npos) << in_file.out;
}

TEST_F(CliValidate, ShippedExampleFailsOnlyOnPlaceholdersAndTheMissingSecret) {
  RunResult r = run({"validate", "--offline", "-c", (kSourceDir / "conf/connector.yaml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("tenants[0].tenant_id: still holds the placeholder <your-tenant-guid>"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("tenants[0].client_id: still holds the placeholder"), std::string::npos);
}

TEST_F(CliValidate, HelpWorksForEverySubcommand) {
  RunResult top = run({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  size_t section = top.out.find("Subcommands:");
  ASSERT_NE(section, std::string::npos) << top.out;
  std::istringstream lines(top.out.substr(section));
  std::string line;
  std::vector<std::string> names;
  std::getline(lines, line);
  while (std::getline(lines, line) && !line.empty()) {
    std::istringstream words(line);
    std::string name;
    if (words >> name) names.push_back(name);
  }
  EXPECT_NE(std::find(names.begin(), names.end(), "validate"), names.end()) << top.out;
  EXPECT_NE(std::find(names.begin(), names.end(), "version"), names.end()) << top.out;
  for (const std::string& name : names) {
    RunResult help = run({name, "--help"});
    EXPECT_EQ(help.exit_code, 0) << name;
    EXPECT_NE(help.out.find("-c,--config FILE"), std::string::npos) << name << "\n" << help.out;
  }
  RunResult validate = run({"validate", "--help"});
  EXPECT_NE(validate.out.find("--json"), std::string::npos);
  EXPECT_NE(validate.out.find("--offline"), std::string::npos);
}

TEST_F(CliValidate, VersionPrintsVersionAndCommit) {
  RunResult r = run({"version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(std::regex_match(r.out, std::regex(R"(o365fwd \d+\.\d+\.\d+ \([0-9a-z]+\)\n)")))
      << r.out;
}

TEST_F(CliValidate, UsageErrorsExitTwo) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, {"frobnicate"}, {"validate", "--bogus"}, {"validate", "-c"}}) {
    RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 2) << (args.empty() ? "(no arguments)" : args[0]);
    EXPECT_FALSE(r.err.empty());
  }
}

}  // namespace
}  // namespace o365fwd
