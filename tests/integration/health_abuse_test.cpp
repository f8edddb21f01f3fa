// The real daemon's health endpoint under abuse, on loopback: 500 idle and 200 trickling
// connections held open (reopened whenever the daemon closes them) while /livez, /readyz and
// /status are asked every 250 ms; a request header sent one byte at a time is closed at the
// header timeout; a wrong token is refused before a large body. Waits are bounded (an answer
// within 5 s is a liveness check, not a performance claim).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/support/forwarder_harness.h"
#include "tests/support/http_client.h"
#include "tests/support/raw_socket.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

TEST(HealthAbuse, ProbesAreAnsweredWhileSevenHundredConnectionsAreHeldAndSlowHeadersAreClosed) {
  raiseOpenFileLimit(4096);  // 700 held sockets here, and the daemon inherits the limit
  TempDir dir;
  auto sim = SimProcess::start({"--tenants", "2", "--blobs", "4", "--records-per-blob", "10"}, dir);
  ASSERT_TRUE(sim);
  const std::string token = "abuse-health-token-93c1e7";
  const auto token_file = dir.path() / "health.token";
  std::ofstream(token_file) << token << "\n";
  ::chmod(token_file.c_str(), 0600);
  ForwarderOptions o;
  o.health_yaml = "  listen: 127.0.0.1:0\n  token_file: " + token_file.string() + "\n";
  ForwarderHarness fwd(*sim, dir, o);
  auto daemon = fwd.startDaemon();
  ASSERT_TRUE(daemon->waitForStderr("Health endpoint listening. url=", 60s))
      << daemon->stderrText();
  std::smatch m;
  const std::string log = daemon->stderrText();
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(url=http://127\.0\.0\.1:(\d+))")));
  const int port = std::stoi(m[1].str());
  const std::string url = "http://127.0.0.1:" + m[1].str();
  const std::vector<std::string> auth = {"Authorization: Bearer " + token};

  int failed = 0, asked = 0;
  long reopened = 0;
  {
    ConnectionHolder abuser(port, 500, 200);
    // Past the header timeout (2 s) several times: the daemon closes held connections and the
    // abuser opens them again, at full strength.
    for (auto end = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < end;
         std::this_thread::sleep_for(250ms)) {
      HttpResult live = httpRequest("GET", url + "/livez", "", {}, 5s);
      HttpResult ready = httpRequest("GET", url + "/readyz", "", {}, 5s);
      HttpResult status = httpRequest("GET", url + "/status", "", auth, 5s);
      asked += 3;
      failed += live.status == 200 ? 0 : 1;
      failed += (ready.status == 200 || ready.status == 503) ? 0 : 1;
      failed += (status.status == 200 && status.body.rfind("{", 0) == 0) ? 0 : 1;
      if (live.status != 200) ADD_FAILURE() << "/livez: " << live.status << " " << live.error;
    }
    reopened = abuser.reopened();
  }
  EXPECT_EQ(failed, 0) << "of " << asked << " probes";
  EXPECT_GE(reopened, 700) << "held connections are closed at the header timeout";

  // A header sent one byte every 100 ms: the connection moves bytes, so only the header deadline
  // (not an inactivity timeout) can close it.
  int slow = connectLoopback(port);
  ASSERT_GE(slow, 0);
  sendText(slow, "GET /status HTTP/1.1\r\nX-Slow: ");
  bool closed = false;
  for (auto end = std::chrono::steady_clock::now() + 8s;
       !closed && std::chrono::steady_clock::now() < end;)
    closed = (sendText(slow, "a"), closedByPeer(slow, 100ms));
  ::close(slow);
  EXPECT_TRUE(closed);

  // A megabyte announced behind no token: refused at once, from the header.
  std::string refused =
      rawExchange(port, "POST /sync HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\nxx");
  EXPECT_EQ(refused.rfind("HTTP/1.1 401", 0), 0u) << refused;

  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(60s), 0) << daemon->stderrText();
  EXPECT_EQ(daemon->stderrText().find(token), std::string::npos);
}

}  // namespace
}  // namespace o365fwd::testing
