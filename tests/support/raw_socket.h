#pragma once
// Raw TCP clients on loopback for tests that misbehave on purpose (idle and trickling
// connections, headers and bodies sent in pieces) where an HTTP client would not. Test code only;
// every call is independent and every wait bounded.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace o365fwd::testing {

int connectLoopback(int port);                    // a connected socket, or -1
void sendText(int fd, const std::string& bytes);  // best effort, never SIGPIPE
// True once the peer closed `fd` (end of stream or reset); reads and drops what arrives first.
bool closedByPeer(int fd, std::chrono::milliseconds wait);
inline bool stillOpen(int fd) {
  return !closedByPeer(fd, std::chrono::milliseconds(0));
}
// Sends `request` and returns everything answered before the peer closed (5 s at most).
std::string rawExchange(int port, const std::string& request);
// Raises this process's open-file soft limit to at least `wanted` when the hard limit allows.
void raiseOpenFileLimit(unsigned long wanted);

// An abuser: holds `idle` connections that send nothing and `trickling` ones that send a request
// header one byte every 500 ms, never finishing it. A connection the server closes is opened
// again (counted in reopened()). Owns its sockets and one thread; the destructor stops and closes.
class ConnectionHolder {
 public:
  ConnectionHolder(int port, int idle, int trickling);
  ~ConnectionHolder();
  ConnectionHolder(const ConnectionHolder&) = delete;
  ConnectionHolder& operator=(const ConnectionHolder&) = delete;
  long reopened() const { return reopened_.load(); }
  int open() const { return open_.load(); }  // connected right now

 private:
  void run(std::stop_token stop);
  const int port_;
  const int idle_;
  std::vector<int> fds_;
  std::atomic<long> reopened_{0};
  std::atomic<int> open_{0};
  std::jthread thread_;
};

}  // namespace o365fwd::testing
