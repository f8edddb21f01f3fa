// A hung login or API host against the real daemon: a hostile loopback server of this test
// accepts connections and then never answers, or sends response headers and stalls. With
// collection.stall_timeout 2s the daemon must log a WARN naming the host and the phase, show the
// stream's last_error with code "timeout" in /status (not "starting" without an error), and list
// it on /readyz (503).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/forwarder_harness.h"
#include "tests/support/http_client.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

// A loopback HTTP "server" that never completes an answer. kSilent: reads requests, sends
// nothing. kHeadersThenStall: answers every request with a 200 header block announcing a body,
// then sends nothing more. With `answer_tokens`, POSTs to a path ending in /token get a valid
// opaque token (so the API host can be the hung one). One thread; stopped by the destructor.
class HungServer {
 public:
  enum class Mode { kSilent, kHeadersThenStall };
  HungServer(Mode mode, bool answer_tokens) : mode_(mode), answer_tokens_(answer_tokens) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 64);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~HungServer() {
    stop_ = true;
    thread_.join();
    for (auto& c : clients_) ::close(c.fd);
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_.load(); }

 private:
  struct Client {
    int fd;
    std::string in;
  };
  void run() {
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (auto& c : clients_) fds.push_back({c.fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c >= 0) {
          clients_.push_back({c, {}});
          ++accepted_;
        }
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        Client& c = clients_[i - 1];
        char buf[4096];
        ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n <= 0) continue;  // closed by the client: kept until the end (harmless)
        c.in.append(buf, static_cast<std::size_t>(n));
        std::size_t end = c.in.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        std::string head = c.in.substr(0, end);
        c.in.clear();  // any body is ignored
        answer(c.fd, head);
      }
    }
  }
  void answer(int fd, const std::string& head) {
    std::string first = head.substr(0, head.find("\r\n"));
    const bool token =
        first.rfind("POST ", 0) == 0 && std::regex_search(first, std::regex(R"(/token(\?| ))"));
    std::string out;
    if (token && answer_tokens_) {
      const std::string body =
          R"({"token_type":"Bearer","expires_in":3600,"access_token":"opaque-hung-test-token"})";
      out = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body;
    } else if (mode_ == Mode::kHeadersThenStall) {
      out = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n[";
    }
    if (!out.empty()) (void)::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
  }

  const Mode mode_;
  const bool answer_tokens_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<Client> clients_;  // run() thread only
  std::thread thread_;
};

// Every stream of /status has last_error.code "timeout" (and is not "starting").
bool allStreamsTimedOut(const std::string& url, std::string* last_body) {
  HttpResult r = httpRequest("GET", url + "/status");
  *last_body = r.body;
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  if (!doc.IsObject() || !doc.HasMember("streams") || doc["streams"].Size() == 0) return false;
  for (const auto& s : doc["streams"].GetArray()) {
    if (!s["last_error"].IsObject()) return false;
    if (std::string(s["last_error"]["code"].GetString()) != "timeout") return false;
    if (std::string(s["state"].GetString()) == "starting") return false;
  }
  return true;
}

// Runs the daemon against `login_url`/`api_url`; checks the WARN (host and phase), /status and
// /readyz.
void expectReported(const std::string& login_url, const std::string& api_url,
                    const std::string& hung_host, const std::string& phase) {
  TempDir dir;
  auto sim = SimProcess::start(
      {"--blobs", "2", "--records-per-blob", "5", "--content-types", "Audit.General"}, dir);
  ASSERT_TRUE(sim);
  ForwarderOptions o;
  o.health_yaml = "  listen: 127.0.0.1:0\n";
  o.collection_yaml = "    poll_interval: 1h\n    stall_timeout: 2s\n    request_timeout: 60s\n";
  o.login_url = login_url;
  o.api_url = api_url;
  ForwarderHarness fwd(*sim, dir, o);
  auto daemon = fwd.startDaemon();
  const std::string url = waitForHealthUrl(*daemon, 30s);
  ASSERT_FALSE(url.empty()) << daemon->stderrText();

  // Within 2 × stall timeout of the first request, plus generous slack for a loaded machine.
  std::string body;
  auto deadline = std::chrono::steady_clock::now() + 40s;
  bool reported = false;
  while (!(reported = allStreamsTimedOut(url, &body)) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(reported) << body;

  HttpResult ready = httpRequest("GET", url + "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("last error timeout"), std::string::npos) << ready.body;

  const std::string log = daemon->stderrText();
  std::regex warn("(WARN|warn)[^\\n]*phase=" + phase + "[^\\n]*host=" + hung_host);
  EXPECT_TRUE(std::regex_search(log, warn)) << log;
  daemon->signal(SIGTERM);
  daemon->wait(60s);
}

TEST(HungApi, SilentLoginHostIsReportedAsTokenTimeout) {
  HungServer login(HungServer::Mode::kSilent, false);
  std::string host = login.url().substr(7);
  expectReported(login.url(), "", host, "token");
  EXPECT_GT(login.accepted(), 0);
}

TEST(HungApi, LoginHostThatStallsAfterHeadersIsReportedAsTokenTimeout) {
  HungServer login(HungServer::Mode::kHeadersThenStall, false);
  std::string host = login.url().substr(7);
  expectReported(login.url(), "", host, "token");
}

TEST(HungApi, SilentApiHostIsReportedAsSubscriptionsTimeout) {
  HungServer api(HungServer::Mode::kSilent, true);
  std::string host = api.url().substr(7);
  expectReported(api.url(), api.url(), host, "subscriptions");
}

TEST(HungApi, ApiHostThatStallsAfterHeadersIsReportedAsSubscriptionsTimeout) {
  HungServer api(HungServer::Mode::kHeadersThenStall, true);
  std::string host = api.url().substr(7);
  expectReported(api.url(), api.url(), host, "subscriptions");
}

}  // namespace
}  // namespace o365fwd::testing
