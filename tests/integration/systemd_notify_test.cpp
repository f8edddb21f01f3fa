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

TEST(SystemdNotify, ReadyWatchdogPingsAndStopping) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "3", "--records-per-blob", "5"}, dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir);
  NotifySocket socket((dir.path() / "notify.sock").string());
  ASSERT_TRUE(socket.bound());
  ChildProcess daemon;
  ProcessOptions options;
  options.env["NOTIFY_SOCKET"] = (dir.path() / "notify.sock").string();
  options.env["WATCHDOG_USEC"] = "400000";  // WatchdogSec=0.4s: a ping every 200 ms
  ASSERT_TRUE(
      daemon.start({forwarderBinary().string(), "run", "-c", fwd.configPath().string()}, options)
          .ok());

  std::vector<std::string> first = socket.collect(30s, "READY=1");
  ASSERT_EQ(count(first, "READY=1"), 1u) << daemon.stderrText();
  std::vector<std::string> running = socket.collect(2s);
  EXPECT_GE(count(running, "WATCHDOG=1"),
            5u);  // ~10 expected in 2 s; generous for a loaded machine
  EXPECT_TRUE(daemon.waitForStderr("systemd watchdog on", 5s));

  daemon.signal(SIGTERM);
  std::vector<std::string> stopping = socket.collect(30s, "STOPPING=1");
  EXPECT_EQ(count(stopping, "STOPPING=1"), 1u);
  EXPECT_EQ(daemon.wait(60s), 0) << daemon.stderrText();
}

TEST(SystemdNotify, WatchdogForAnotherPidIsIgnored) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "1", "--records-per-blob", "1"}, dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir);
  NotifySocket socket((dir.path() / "notify.sock").string());
  ASSERT_TRUE(socket.bound());
  ChildProcess daemon;
  ProcessOptions options;
  options.env["NOTIFY_SOCKET"] = (dir.path() / "notify.sock").string();
  options.env["WATCHDOG_USEC"] = "400000";
  options.env["WATCHDOG_PID"] = "1";  // meant for another process
  ASSERT_TRUE(
      daemon.start({forwarderBinary().string(), "run", "-c", fwd.configPath().string()}, options)
          .ok());
  std::vector<std::string> got = socket.collect(30s, "READY=1");
  ASSERT_EQ(count(got, "READY=1"), 1u);
  got = socket.collect(1s);
  EXPECT_EQ(count(got, "WATCHDOG=1"), 0u);
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(60s), 0);
}

}  // namespace
}  // namespace o365fwd::testing
