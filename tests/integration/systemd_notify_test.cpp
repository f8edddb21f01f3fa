// The real daemon under the systemd notify protocol, with a test socket in place of systemd's:
// READY=1 after start, WATCHDOG=1 every half WatchdogSec while it is healthy, STOPPING=1 on
// SIGTERM, then exit 0.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <thread>

#include "tests/support/forwarder_harness.h"
#include "tests/support/process.h"
#include "tests/support/sim_process.h"
#include "tests/support/test_paths.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path_.data(), std::min(path_.size(), sizeof(addr.sun_path) - 1));
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  // Collects datagrams for up to `timeout`, until `until` arrived (if given).
  std::vector<std::string> collect(std::chrono::milliseconds timeout,
                                   const std::string& until = "") {
    std::vector<std::string> got;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      char buf[256];
      ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        got.emplace_back(buf, static_cast<std::size_t>(n));
        if (!until.empty() && got.back() == until) break;
        continue;
      }
      std::this_thread::sleep_for(10ms);
    }
    return got;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

std::size_t count(const std::vector<std::string>& v, const std::string& s) {
  return static_cast<std::size_t>(std::count(v.begin(), v.end(), s));
}

// The simulator, a configuration for it, the notify socket and the daemon started with
// NOTIFY_SOCKET, WATCHDOG_USEC=400000 (a ping every 200 ms) and `extra_env`.
struct NotifiedDaemon {
  TempDir dir;
  std::unique_ptr<SimProcess> sim;
  std::unique_ptr<ForwarderHarness> fwd;
  std::unique_ptr<NotifySocket> socket;
  ChildProcess daemon;

  bool start(const std::map<std::string, std::string>& extra_env = {}) {
    sim = SimProcess::start({"--blobs", "3", "--records-per-blob", "5"}, dir);
    if (!sim) return false;
    fwd = std::make_unique<ForwarderHarness>(*sim, dir);
    const std::string path = (dir.path() / "notify.sock").string();
    socket = std::make_unique<NotifySocket>(path);
    if (!socket->bound()) return false;
    ProcessOptions options;
    options.env = extra_env;
    options.env["NOTIFY_SOCKET"] = path;
    options.env["WATCHDOG_USEC"] = "400000";
    return daemon
        .start({forwarderBinary().string(), "run", "-c", fwd->configPath().string()}, options)
        .ok();
  }
};

TEST(SystemdNotify, ReadyWatchdogPingsAndStopping) {
  NotifiedDaemon d;
  ASSERT_TRUE(d.start());
  std::vector<std::string> first = d.socket->collect(30s, "READY=1");
  ASSERT_EQ(count(first, "READY=1"), 1u) << d.daemon.stderrText();
  // ~10 pings expected in 2 s; at least 5, generous for a loaded machine.
  std::vector<std::string> running = d.socket->collect(2s);
  EXPECT_GE(count(running, "WATCHDOG=1"), 5u);
  EXPECT_TRUE(d.daemon.waitForStderr("systemd watchdog on", 5s));

  d.daemon.signal(SIGTERM);
  std::vector<std::string> stopping = d.socket->collect(30s, "STOPPING=1");
  EXPECT_EQ(count(stopping, "STOPPING=1"), 1u);
  EXPECT_EQ(d.daemon.wait(60s), 0) << d.daemon.stderrText();
}

TEST(SystemdNotify, WatchdogForAnotherPidIsIgnored) {
  NotifiedDaemon d;
  ASSERT_TRUE(d.start({{"WATCHDOG_PID", "1"}}));  // meant for another process
  std::vector<std::string> got = d.socket->collect(30s, "READY=1");
  ASSERT_EQ(count(got, "READY=1"), 1u);
  got = d.socket->collect(1s);
  EXPECT_EQ(count(got, "WATCHDOG=1"), 0u);
  d.daemon.signal(SIGTERM);
  EXPECT_EQ(d.daemon.wait(60s), 0);
}

}  // namespace
}  // namespace o365fwd::testing
