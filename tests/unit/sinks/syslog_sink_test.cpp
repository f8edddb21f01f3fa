#include "sinks/syslog/syslog_sink.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sinks/syslog/relp_transport.h"
#include "sinks/syslog/tcp_transport.h"
#include "tests/unit/sinks/sink_contract_test.h"

namespace o365fwd::testing {
namespace {

// A syslog receiver on 127.0.0.1 written for these tests: accepts TCP connections and reads
// RFC 6587 octet-counted frames on one thread; keeps every message.
class LoopbackReceiver {
 public:
  LoopbackReceiver() {
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  }
  ~LoopbackReceiver() {
    thread_.request_stop();
    thread_.join();
    for (Conn& c : conns_) ::close(c.fd);
    ::close(listen_);
  }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  std::vector<std::string> messages() {
    // Waits until the reader has caught up (no new message for 100 ms, at most 5 s).
    std::size_t last = SIZE_MAX;
    for (int i = 0; i < 50; ++i) {
      std::size_t now;
      {
        std::lock_guard lock(mu_);
        now = messages_.size();
      }
      if (now == last) break;
      last = now;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::lock_guard lock(mu_);
    return messages_;
  }
  // Resets every accepted connection (the sink must notice, reconnect and resend).
  void dropConnections() { drop_ = true; }
  int connections() const { return accepted_.load(); }

 private:
  struct Conn {
    int fd;
    std::string buf;
  };
  void run(std::stop_token stop) {
    while (!stop.stop_requested()) {
      if (drop_.exchange(false)) {
        for (Conn& c : conns_) {
          linger lg{1, 0};  // RST
          ::setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
          ::close(c.fd);
        }
        conns_.clear();
      }
      std::vector<pollfd> fds{{listen_, POLLIN, 0}};
      for (Conn& c : conns_) fds.push_back({c.fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          conns_.push_back({fd, {}});
          ++accepted_;
        }
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        Conn& c = conns_[i - 1];
        char buf[65536];
        ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n <= 0) {
          ::close(c.fd);
          c.fd = -1;
          continue;
        }
        c.buf.append(buf, static_cast<std::size_t>(n));
        parse(c.buf);
      }
      std::erase_if(conns_, [](const Conn& c) { return c.fd < 0; });
    }
  }
  void parse(std::string& buf) {
    while (true) {
      std::size_t sp = buf.find(' ');
      if (sp == std::string::npos) return;
      std::size_t len = std::stoul(buf.substr(0, sp));
      if (buf.size() < sp + 1 + len) return;
      std::lock_guard lock(mu_);
      messages_.push_back(buf.substr(sp + 1, len));
      buf.erase(0, sp + 1 + len);
    }
  }

  int listen_ = -1;
  int port_ = 0;
  std::vector<Conn> conns_;
  std::atomic<bool> drop_{false};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<std::string> messages_;
  std::jthread thread_;
};

// MSG of an RFC 5424 message: after the six header fields and the structured data.
std::string msgOf(const std::string& m) {
  std::size_t pos = 0;
  for (int i = 0; i < 6; ++i) pos = m.find(' ', pos) + 1;
  if (m[pos] == '-') return m.substr(pos + 2);
  bool escaped = false, quoted = false;
  for (; pos < m.size(); ++pos) {
    char c = m[pos];
    if (escaped) {
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ']' && !quoted && (pos + 1 == m.size() || m[pos + 1] == ' ')) {
      return m.substr(pos + 2);
    }
  }
  return {};
}

class Gate {
 public:
  void close() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait(std::stop_token stop) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, stop, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool open_ = true;
};

SyslogSinkConfig tcpConfig(const std::string& address) {
  SyslogSinkConfig config;
  config.address = address;
  config.transport = SyslogTransport::kTcp;
  config.hostname = "fwd01";
  return config;
}

struct SyslogSinkTraits {
  LoopbackReceiver receiver;
  SystemClock clock;
  Random random{7};
  Gate gate;

  std::unique_ptr<Sink> make(std::uint64_t queue_bytes = 0) {
    SyslogSinkOptions options;
    if (queue_bytes > 0) options.queue_max_bytes = queue_bytes;
    options.writer_hook = [this](std::stop_token stop) { gate.wait(stop); };
    return std::make_unique<SyslogSink>("syslog-test", tcpConfig(receiver.address()), clock, random,
                                        options);
  }
  std::vector<std::string> destination() {
    std::vector<std::string> out;
    for (const std::string& m : receiver.messages()) out.push_back(msgOf(m));
    return out;
  }
  void stall() { gate.close(); }
  void unstall() { gate.open(); }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Syslog, SinkContractTest, SyslogSinkTraits);

TEST(SyslogFramingTest, OctetCountingAndRelpFrames) {
  std::string out;
  appendOctetCounted("<13>1 - - - - - - x", out);
  EXPECT_EQ(out, "19 <13>1 - - - - - - x");
  out.clear();
  appendRelpFrame(7, "syslog", "hello", out);
  appendRelpFrame(8, "close", "", out);
  EXPECT_EQ(out, "7 syslog 5 hello\n8 close 0\n");
}

TEST(SyslogSinkTest, OversizeRecordsAreRejectedOrTruncated) {
  LoopbackReceiver receiver;
  SystemClock clock;
  Random random{1};
  for (OversizePolicy policy : {OversizePolicy::kDeadLetter, OversizePolicy::kTruncate}) {
    SyslogSinkConfig config = tcpConfig(receiver.address());
    config.max_message_size = 400;
    config.oversize = policy;
    SyslogSink sink("oversize", config, clock, random);
    ASSERT_TRUE(sink.start().ok());
    auto small = makeTestBatch("small", 2, 100);
    auto big = makeTestBatch("big", 1, 2000);
    CallbackLog log;
    sink.send(small, log.callback(0), {});
    sink.send(big, log.callback(1), {});
    ASSERT_TRUE(sink.flush(std::chrono::seconds(10)).ok());
    ASSERT_EQ(log.calls(1), 1u);
    DeliveryReport report = log.report(1);
    EXPECT_EQ(report.status, DeliveryStatus::kDelivered);
    if (policy == OversizePolicy::kDeadLetter) {
      ASSERT_EQ(report.rejected.size(), 1u);
      EXPECT_EQ(report.rejected[0].index, 0u);
      EXPECT_NE(report.rejected[0].reason.find("max_message_size 400"), std::string::npos);
      EXPECT_EQ(sink.stats().rejected, 1u);
      EXPECT_EQ(sink.truncated(), 0u);
    } else {
      EXPECT_TRUE(report.rejected.empty());
      EXPECT_EQ(sink.truncated(), 1u);
    }
    sink.stop();
  }
  auto got = receiver.messages();
  ASSERT_EQ(got.size(), 5u);  // 2 + 0 (rejected), then 2 + 1 (truncated)
  EXPECT_EQ(got[4].size(), 400u);
  EXPECT_EQ(msgOf(got[4]),
            std::string(makeTestBatch("big", 1, 2000)->raw(0)).substr(0, msgOf(got[4]).size()));
}

TEST(SyslogSinkTest, ReconnectsAndResendsAfterTheReceiverDropsTheConnection) {
  LoopbackReceiver receiver;
  SystemClock clock;
  Random random{1};
  SyslogSink sink("reconnect", tcpConfig(receiver.address()), clock, random);
  ASSERT_TRUE(sink.start().ok());
  CallbackLog log;
  std::vector<std::string> sent;
  for (std::size_t i = 0; i < 20; ++i) {
    if (i == 10) {
      ASSERT_TRUE(sink.flush(std::chrono::seconds(10)).ok());
      receiver.dropConnections();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto batch = makeTestBatch("r" + std::to_string(i), 50, 300);
    auto raws = rawRecords(*batch);
    sent.insert(sent.end(), raws.begin(), raws.end());
    sink.send(batch, log.callback(i), {});
  }
  ASSERT_TRUE(sink.flush(std::chrono::seconds(30)).ok());
  for (std::size_t i = 0; i < 20; ++i) {
    ASSERT_EQ(log.calls(i), 1u);
    EXPECT_EQ(log.report(i).status, DeliveryStatus::kDelivered) << "batch " << i;
  }
  EXPECT_GE(receiver.connections(), 2);
  std::vector<std::string> got;
  for (const std::string& m : receiver.messages()) got.push_back(msgOf(m));
  std::sort(got.begin(), got.end());
  got.erase(std::unique(got.begin(), got.end()), got.end());  // duplicates are allowed
  std::sort(sent.begin(), sent.end());
  EXPECT_EQ(got, sent);
}

TEST(SyslogSinkTest, UnreachableReceiverReportsRetryableAndDown) {
  int port;
  {
    LoopbackReceiver gone;
    port = gone.port();
  }
  SystemClock clock;
  Random random{1};
  SyslogSinkOptions options;
  options.connect_timeout = std::chrono::seconds(2);
  SyslogSink sink("down", tcpConfig("127.0.0.1:" + std::to_string(port)), clock, random, options);
  EXPECT_FALSE(sink.start().ok());
  EXPECT_FALSE(sink.healthcheck(std::chrono::seconds(2)).ok());
  CallbackLog log;
  sink.send(makeTestBatch("x", 3), log.callback(0), {});
  ASSERT_TRUE(sink.flush(std::chrono::seconds(10)).ok());
  ASSERT_EQ(log.calls(0), 1u);
  DeliveryReport report = log.report(0);
  EXPECT_EQ(report.status, DeliveryStatus::kRetryable);
  ASSERT_TRUE(report.error.has_value());
  EXPECT_EQ(report.error->kind, ErrorKind::kTransport);
  SinkStats stats = sink.stats();
  EXPECT_EQ(stats.state, SinkState::kDown);
  EXPECT_TRUE(stats.last_error.has_value());
  EXPECT_EQ(stats.failed, 3u);
}

TEST(SyslogSinkTest, BadAddressIsAConfigError) {
  SystemClock clock;
  Random random{1};
  SyslogSink sink("bad", tcpConfig("no-port-here"), clock, random);
  Status st = sink.start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kConfig);
  CallbackLog log;
  sink.send(makeTestBatch("x", 1), log.callback(0), {});
  ASSERT_TRUE(sink.flush(std::chrono::seconds(5)).ok());
  EXPECT_EQ(log.report(0).status, DeliveryStatus::kRetryable);
}

// A RELP server written for this test: answers "open", refuses the very first "syslog" frame
// with "500", acknowledges everything else with "200 OK", and keeps the messages it accepted.
class FakeRelpServer {
 public:
  FakeRelpServer() {
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_, 4), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  }
  ~FakeRelpServer() {
    thread_.request_stop();
    thread_.join();
    ::close(listen_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> accepted() {
    std::lock_guard lock(mu_);
    return accepted_;
  }
  int connections() const { return connections_.load(); }

 private:
  void run(std::stop_token stop) {
    bool refused = false;
    while (!stop.stop_requested()) {
      pollfd p{listen_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++connections_;
      std::string in;
      bool open = true;
      while (open && !stop.stop_requested()) {
        pollfd c{fd, POLLIN, 0};
        if (::poll(&c, 1, 20) <= 0) continue;
        char buf[65536];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
        std::string out;
        while (true) {  // "TXNR CMD LEN[ DATA]\n"
          std::size_t sp1 = in.find(' '), sp2 = in.find(' ', sp1 + 1);
          if (sp1 == std::string::npos || sp2 == std::string::npos) break;
          std::size_t len_end = in.find_first_of(" \n", sp2 + 1);
          if (len_end == std::string::npos) break;
          std::size_t len = std::stoul(in.substr(sp2 + 1, len_end - sp2 - 1));
          std::size_t data = len == 0 ? len_end : len_end + 1;
          if (in.size() < data + len + 1) break;
          std::string txnr = in.substr(0, sp1), cmd = in.substr(sp1 + 1, sp2 - sp1 - 1);
          std::string payload = in.substr(data, len);
          in.erase(0, data + len + 1);
          std::string rsp = "200 OK";
          if (cmd == "open") {
            rsp = "200 OK\nrelp_version=0\ncommands=syslog";
          } else if (cmd == "syslog" && !refused) {
            refused = true;
            rsp = "500 queue full";
          } else if (cmd == "syslog") {
            std::lock_guard lock(mu_);
            accepted_.push_back(payload);
          } else if (cmd == "close") {
            rsp.clear();
            open = false;
          }
          out +=
              txnr + " rsp " + std::to_string(rsp.size()) + (rsp.empty() ? "" : " " + rsp) + "\n";
        }
        if (!out.empty()) ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      }
      ::close(fd);
    }
  }

  int listen_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<std::string> accepted_;
  std::jthread thread_;
};

TEST(SyslogSinkTest, RelpRefusalIsResentOnANewSession) {
  FakeRelpServer server;
  SystemClock clock;
  Random random{1};
  SyslogSinkConfig config = tcpConfig(server.address());
  config.transport = SyslogTransport::kRelp;
  SyslogSink sink("relp", config, clock, random);
  ASSERT_TRUE(sink.healthcheck(std::chrono::seconds(5)).ok());
  ASSERT_TRUE(sink.start().ok());
  CallbackLog log;
  auto batch = makeTestBatch("relp", 5);
  sink.send(batch, log.callback(0), {});
  ASSERT_TRUE(sink.flush(std::chrono::seconds(30)).ok());
  ASSERT_EQ(log.calls(0), 1u);
  EXPECT_EQ(log.report(0).status, DeliveryStatus::kDelivered);
  sink.stop();
  EXPECT_GE(server.connections(), 3);  // healthcheck, the refused session, the resend
  std::vector<std::string> got;
  for (const std::string& m : server.accepted()) got.push_back(msgOf(m));
  std::sort(got.begin(), got.end());
  got.erase(std::unique(got.begin(), got.end()), got.end());
  auto want = rawRecords(*batch);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace o365fwd::testing
