// The health server under abuse, over real loopback sockets: held idle and trickling connections,
// a slow request header, a large body behind a wrong token, a full connection table and a slow
// render. Waits are bounded (5 s): they check that an answer comes, not how fast.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include "app/health/health_server.h"
#include "tests/support/http_client.h"
#include "tests/support/raw_socket.h"
#include "tests/unit/app/status/status_fixtures.h"

namespace o365fwd {
namespace {

using namespace std::chrono_literals;
using testing::closedByPeer;
using testing::connectLoopback;
using testing::httpRequest;
using testing::rawExchange;
using testing::sendText;
using testing::stillOpen;

constexpr auto kAnswerDeadline = 5s;

StatusReport largeReport(std::size_t streams) {
  StatusReport r = testing::sampleReport();
  StreamReport model = r.streams.front();
  r.streams.clear();
  for (std::size_t i = 0; i < streams; ++i) {
    model.tenant = "tenant" + std::to_string(i / 5);
    r.streams.push_back(model);
  }
  return r;
}

class HealthServerAbuseTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::raiseOpenFileLimit(4096); }  // 700 client sockets here
  void TearDown() override {
    if (server_) server_->stop();
    for (int fd : fds_) ::close(fd);
  }
  void start(HealthServerOptions options, std::function<StatusReport()> snapshot) {
    options.port = 0;
    HealthHandlers handlers;
    handlers.snapshot = std::move(snapshot);
    handlers.sync_now = [this] { ++syncs_; };
    auto server = HealthServer::start(std::move(options), std::move(handlers));
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(*server);
    port_ = std::stoi(server_->url().substr(server_->url().rfind(':') + 1));
  }
  int hold() {
    int fd = connectLoopback(port_);
    EXPECT_GE(fd, 0);
    if (fd >= 0) fds_.push_back(fd);
    return fd;
  }
  std::string url(const std::string& path) const { return server_->url() + path; }

  std::unique_ptr<HealthServer> server_;
  int port_ = 0;
  std::vector<int> fds_;
  std::atomic<int> syncs_{0};
};

TEST_F(HealthServerAbuseTest, ProbesAndStatusAreAnsweredWhileIdleAndTricklingConnectionsAreHeld) {
  HealthServerOptions options;
  options.header_timeout = 60s;  // held for the whole test
  StatusReport report = largeReport(5000);
  start(options, [&report] { return report; });
  std::vector<int> idle, trickling;
  for (int i = 0; i < 500; ++i) idle.push_back(hold());
  for (int i = 0; i < 200; ++i) {
    trickling.push_back(hold());
    sendText(trickling.back(), "GET /status HTTP/1.1\r\nX-Slow: ");
  }
  std::atomic<bool> done{false};
  std::thread trickler([&] {
    while (!done.load()) {
      for (int fd : trickling) sendText(fd, "a");  // one byte each every 500 ms
      for (int i = 0; i < 10 && !done.load(); ++i) std::this_thread::sleep_for(50ms);
    }
  });
  for (int round = 0; round < 3; ++round) {
    auto live = httpRequest("GET", url("/livez"), "", {}, kAnswerDeadline);
    EXPECT_EQ(live.status, 200) << live.error;
    auto status = httpRequest("GET", url("/status"), "", {}, kAnswerDeadline);
    EXPECT_EQ(status.status, 200) << status.error;
    EXPECT_NE(status.body.find("\"tenant999\""), std::string::npos);
  }
  done.store(true);
  trickler.join();
  std::size_t open = 0;
  for (int fd : idle) open += stillOpen(fd) ? 1 : 0;
  for (int fd : trickling) open += stillOpen(fd) ? 1 : 0;
  EXPECT_EQ(open, 700u) << "the probes got in without closing a held connection (cap 1000)";
}

TEST_F(HealthServerAbuseTest, ARequestHeaderSentSlowlyIsClosedAtTheHeaderTimeout) {
  HealthServerOptions options;
  options.header_timeout = 500ms;  // MHD's inactivity timeout (10 s) never fires: bytes flow
  start(options, [] { return StatusReport{}; });
  int fd = hold();
  sendText(fd, "GET /livez HTTP/1.1\r\nX-Slow: ");
  bool closed = false;
  auto deadline = std::chrono::steady_clock::now() + kAnswerDeadline;
  while (!closed && std::chrono::steady_clock::now() < deadline) {
    sendText(fd, "a");
    closed = closedByPeer(fd, 100ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_EQ(httpRequest("GET", url("/livez"), "", {}, kAnswerDeadline).status, 200);
}

TEST_F(HealthServerAbuseTest, TheTokenIsCheckedBeforeAnyBodyIsRead) {
  HealthServerOptions options;
  options.token = Secret("abuse-test-token-4f2a");
  start(options, [] { return StatusReport{}; });
  // A megabyte announced, ten bytes sent: the answer cannot have waited for the body.
  const std::string body_start(10, 'x');
  std::string refused = rawExchange(
      port_, "POST /sync HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n" + body_start);
  EXPECT_EQ(refused.rfind("HTTP/1.1 401", 0), 0u) << refused;
  refused = rawExchange(port_,
                        "GET /status HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer wrong\r\n"
                        "Content-Length: 1000000\r\n\r\n" +
                            body_start);
  EXPECT_EQ(refused.rfind("HTTP/1.1 401", 0), 0u) << refused;
  std::string too_large = rawExchange(
      port_,
      "POST /sync HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer abuse-test-token-4f2a\r\n"
      "Content-Length: 1000000\r\n\r\n" +
          body_start);
  EXPECT_EQ(too_large.rfind("HTTP/1.1 413", 0), 0u) << too_large;
  EXPECT_EQ(syncs_.load(), 0);
  EXPECT_EQ(refused.find("abuse-test-token-4f2a"), std::string::npos);
}

TEST_F(HealthServerAbuseTest, PastTheCapTheOldestIdleConnectionMakesRoomForAProbe) {
  HealthServerOptions options;
  options.max_connections = 8;
  options.header_timeout = 60s;
  start(options, [] { return StatusReport{}; });
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) {
    idle.push_back(hold());
    std::this_thread::sleep_for(50ms);  // accepted in this order
  }
  auto live = httpRequest("GET", url("/livez"), "", {}, kAnswerDeadline);
  EXPECT_EQ(live.status, 200) << live.error;
  EXPECT_TRUE(closedByPeer(idle.front(), 5000ms)) << "the oldest idle connection was evicted";
  EXPECT_TRUE(stillOpen(idle.back()));
}

TEST_F(HealthServerAbuseTest, AViewBeingRenderedDoesNotHoldTheProbes) {
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> calls{0};
  start(HealthServerOptions{}, [&] {
    if (calls.fetch_add(1) == 0) {  // the /status render: slow until released
      entered.set_value();
      released.wait_for(30s);
    }
    return testing::sampleReport();
  });
  auto status = std::async(std::launch::async,
                           [&] { return httpRequest("GET", url("/status"), "", {}, 20s); });
  ASSERT_EQ(entered.get_future().wait_for(kAnswerDeadline), std::future_status::ready);
  auto live = httpRequest("GET", url("/livez"), "", {}, kAnswerDeadline);
  EXPECT_EQ(live.status, 200) << "while /status is rendering: " << live.error;
  EXPECT_EQ(httpRequest("GET", url("/readyz"), "", {}, kAnswerDeadline).status, 503);
  release.set_value();
  EXPECT_EQ(status.get().status, 200);
}

TEST_F(HealthServerAbuseTest, AnswersHeldBySlowReadersAreBoundedAndProbesStillGetIn) {
  HealthServerOptions options;
  options.max_answer_bytes = 1 << 20;
  StatusReport report = largeReport(20000);  // a /status answer of ~10 MB
  start(options, [&report] { return report; });
  // A reader with a tiny receive window that never reads: its answer stays in the server.
  int slow = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int small = 4096;
  ::setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(slow, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  fds_.push_back(slow);
  sendText(slow, "GET /status HTTP/1.1\r\nHost: h\r\n\r\n");
  testing::HttpResult refused;
  for (auto end = std::chrono::steady_clock::now() + 20s;
       refused.status != 503 && std::chrono::steady_clock::now() < end;)
    refused = httpRequest("GET", url("/status"), "", {}, kAnswerDeadline);
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.header("Retry-After").value_or(""), "1");
  EXPECT_EQ(httpRequest("GET", url("/livez"), "", {}, kAnswerDeadline).status, 200);
  ::close(slow);  // unread data: a reset, and the server frees the answer
  fds_.pop_back();
  long status = 0;
  for (auto end = std::chrono::steady_clock::now() + 20s;
       status != 200 && std::chrono::steady_clock::now() < end;)
    status = httpRequest("GET", url("/status"), "", {}, kAnswerDeadline).status;
  EXPECT_EQ(status, 200);
}

}  // namespace
}  // namespace o365fwd
