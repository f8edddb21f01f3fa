#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/secret_scan.h"

extern char** environ;

namespace o365fwd::testing {
namespace {

std::filesystem::path privateTempFile(const char* what) {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                      "/o365fwd-child-" + what + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  int fd = ::mkstemp(buf.data());
  if (fd >= 0) ::close(fd);
  return buf.data();
}

std::optional<long> procStatusKb(pid_t pid, std::string_view key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0 && line.size() > key.size() && line[key.size()] == ':') {
      return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
    }
  }
  return std::nullopt;
}

}  // namespace

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && scan_label_.size()) {
    // The suite-wide secret check: the daemon's health views while it runs, then its output.
    if (!exit_code_ && running()) SecretScan::instance().checkHealthEndpoints(stderrText());
  }
  if (pid_ > 0 && !exit_code_) kill();
  if (!scan_label_.empty()) {
    SecretScan::instance().checkFile(stdout_path_, "stdout of " + scan_label_);
    SecretScan::instance().checkFile(stderr_path_, "stderr of " + scan_label_);
  }
  std::error_code ec;
  for (const auto& f : owned_files_) std::filesystem::remove(f, ec);
}

Status ChildProcess::start(const std::vector<std::string>& argv, const ProcessOptions& options) {
  if (pid_ > 0 && !exit_code_ && running())
    return Error::permanent(ErrorKind::kInternal, "ChildProcess::start: a child is still running");
  if (argv.empty())
    return Error::permanent(ErrorKind::kInternal, "ChildProcess::start: empty argv");
  if (!scan_label_.empty()) {  // a restart: the previous run's output is checked first
    SecretScan::instance().checkFile(stdout_path_, "stdout of " + scan_label_);
    SecretScan::instance().checkFile(stderr_path_, "stderr of " + scan_label_);
  }
  scan_label_.clear();
  if (std::filesystem::path(argv[0]).filename() == "o365fwd")
    scan_label_ = "o365fwd" + (argv.size() > 1 ? " " + argv[1] : std::string());
  pid_ = -1;
  exit_code_.reset();
  stdout_path_ = options.stdout_file;
  stderr_path_ = options.stderr_file;
  if (stdout_path_.empty()) owned_files_.push_back(stdout_path_ = privateTempFile("stdout"));
  if (stderr_path_.empty()) owned_files_.push_back(stderr_path_ = privateTempFile("stderr"));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());

  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argvp;
  for (auto& s : args) argvp.push_back(s.data());
  argvp.push_back(nullptr);

  pid_t pid = -1;
  int rc = args[0].find('/') == std::string::npos
               ? posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, argvp.data(), envp.data())
               : posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argvp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Error::permanent(ErrorKind::kIo, "cannot start " + args[0] + ": " + std::strerror(rc));
  }
  pid_ = pid;
  return okStatus();
}

void ChildProcess::reapIfExited() {
  if (pid_ <= 0 || exit_code_) return;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else if (r < 0 && errno == ECHILD) {
    exit_code_ = -1;  // not our child any more; treat as gone
  }
}

bool ChildProcess::running() {
  reapIfExited();
  return pid_ > 0 && !exit_code_;
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    reapIfExited();
    if (exit_code_) return exit_code_;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void ChildProcess::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

void ChildProcess::kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  if (::waitpid(pid_, &status, 0) == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else {
    exit_code_ = -1;
  }
}

std::string ChildProcess::stdoutText() const {
  return readFile(stdout_path_);
}
std::string ChildProcess::stderrText() const {
  return readFile(stderr_path_);
}

bool ChildProcess::waitForText(const std::filesystem::path& file, std::string_view needle,
                               std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (readFile(file).find(needle) != std::string::npos) return true;
    if (!running()) return readFile(file).find(needle) != std::string::npos;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool ChildProcess::waitForStdout(std::string_view needle, std::chrono::milliseconds timeout) {
  return waitForText(stdout_path_, needle, timeout);
}

bool ChildProcess::waitForStderr(std::string_view needle, std::chrono::milliseconds timeout) {
  return waitForText(stderr_path_, needle, timeout);
}

std::optional<long> peakRssKb(pid_t pid) {
  return procStatusKb(pid, "VmHWM");
}
std::optional<long> currentRssKb(pid_t pid) {
  return procStatusKb(pid, "VmRSS");
}

}  // namespace o365fwd::testing
