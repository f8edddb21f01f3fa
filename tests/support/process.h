#pragma once
// A child process started by a test (the forwarder, the simulator, rsyslog...). Owns the child:
// the destructor SIGKILLs and reaps it if it is still running, so a failing test never leaks
// processes. Its stdout and stderr go to files (given, or private temporary files removed by the
// destructor) that can be read at any time. For an `o365fwd` child the destructor (and a restart)
// first runs the suite-wide secret check (tests/support/secret_scan.h) on its health views and
// output. One owning thread; not thread-safe.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace o365fwd::testing {

struct ProcessOptions {
  std::map<std::string, std::string> env;  // added to (or replacing in) the parent's environment
  std::filesystem::path cwd;               // empty: the parent's
  std::filesystem::path stdout_file;       // empty: a private temporary file
  std::filesystem::path stderr_file;       // empty: a private temporary file
};

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Spawns argv[0] (a path; no PATH search unless it has no '/') with posix_spawn. Fails when a
  // child is already running or the spawn fails.
  Status start(const std::vector<std::string>& argv, const ProcessOptions& options = {});

  pid_t pid() const { return pid_; }
  bool running();
  // Waits up to `timeout` for the child to exit. Returns its exit code, or 128+signal when a
  // signal ended it; nullopt while it is still running (or was never started).
  std::optional<int> wait(std::chrono::milliseconds timeout);
  void signal(int sig);
  void kill();  // SIGKILL and reap

  std::string stdoutText() const;
  std::string stderrText() const;
  const std::filesystem::path& stdoutPath() const { return stdout_path_; }
  const std::filesystem::path& stderrPath() const { return stderr_path_; }
  // Polls stdout until it contains `needle`; false on timeout or when the child exited first.
  bool waitForStdout(std::string_view needle, std::chrono::milliseconds timeout);
  bool waitForStderr(std::string_view needle, std::chrono::milliseconds timeout);

 private:
  bool waitForText(const std::filesystem::path& file, std::string_view needle,
                   std::chrono::milliseconds timeout);
  void reapIfExited();

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
  std::vector<std::filesystem::path> owned_files_;
  // "o365fwd run ..." when the child is the forwarder: its output is checked for secrets.
  std::string scan_label_;
};

// Peak resident set size (VmHWM) and current RSS (VmRSS) of a running process, in KiB, read
// from /proc/<pid>/status; nullopt when the process is gone.
std::optional<long> peakRssKb(pid_t pid);
std::optional<long> currentRssKb(pid_t pid);

// Reads a whole file; empty when it does not exist.
std::string readFile(const std::filesystem::path& path);

}  // namespace o365fwd::testing
