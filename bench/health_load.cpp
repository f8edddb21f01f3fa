#include "bench/health_load.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "tests/support/raw_socket.h"

namespace o365fwd::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Latency {
  double p50_ms, p99_ms, max_ms;
  int failed;
};

Latency probe(int port, int rounds) {
  std::vector<double> ms;
  int failed = 0;
  for (int i = 0; i < rounds; ++i) {
    auto start = Clock::now();
    if (fetch(port, "/livez") == 0) ++failed;
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    std::this_thread::sleep_for(10ms);
  }
  std::sort(ms.begin(), ms.end());
  return Latency{ms[ms.size() / 2], ms[ms.size() * 99 / 100], ms.back(), failed};
}

double cpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

void reportHealthUnderLoad(const std::string& url, int held) {
  testing::raiseOpenFileLimit(static_cast<unsigned long>(held) * 2 + 256);
  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  // CPU per /status answer, nothing else running (server render + send, client read).
  const int status_rounds = 20;
  std::size_t status_bytes = 0;
  double cpu0 = cpuSeconds();
  auto wall0 = Clock::now();
  for (int i = 0; i < status_rounds; ++i) status_bytes = fetch(port, "/status");
  double cpu_ms = (cpuSeconds() - cpu0) * 1000 / status_rounds;
  double wall_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - wall0).count() / status_rounds;
  std::printf("health endpoint at %s\n", url.c_str());
  std::printf(
      "  /status answer         %8zu bytes  %7.1f ms CPU  %7.1f ms wall (process, %d rounds)\n",
      status_bytes, cpu_ms, wall_ms, status_rounds);
  auto row = [](const char* what, const Latency& l) {
    std::printf("  /livez %-44s p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms  failed %d\n", what,
                l.p50_ms, l.p99_ms, l.max_ms, l.failed);
  };
  row("(no load)", probe(port, 200));
  {
    testing::ConnectionHolder abuser(port, held / 2, held - held / 2);
    std::this_thread::sleep_for(1s);
    char what[96];
    std::snprintf(what, sizeof what, "(%d held connections)", held);
    row(what, probe(port, 200));
    std::atomic<bool> stop{false};
    std::atomic<int> statuses{0};
    std::thread status_loop([&] {
      while (!stop.load()) statuses += fetch(port, "/status") > 0 ? 1 : 0;
    });
    std::snprintf(what, sizeof what, "(%d held + /status in a loop)", held);
    row(what, probe(port, 200));
    stop.store(true);
    status_loop.join();
    stop.store(false);
    std::vector<std::thread> flood;
    std::atomic<int> flooded{0};
    for (int i = 0; i < 16; ++i)
      flood.emplace_back([&] {
        while (!stop.load()) flooded += fetch(port, "/livez") > 0 ? 1 : 0;
      });
    std::snprintf(what, sizeof what, "(%d held + 16 clients flooding /livez)", held);
    row(what, probe(port, 200));
    stop.store(true);
    for (std::thread& t : flood) t.join();
    std::printf("  flood /livez answers: %d\n", flooded.load());
    std::printf(
        "  abuser reconnects (the server closed a held connection): %ld; /status answers: %d\n",
        abuser.reopened(), statuses.load());
  }
}

std::unique_ptr<HealthServer> serveSnapshots(const StatusSnapshotter& snapshotter) {
  HealthHandlers handlers;
  handlers.snapshot = [&snapshotter] { return snapshotter.snapshot(); };
  HealthServerOptions options;
  options.port = 0;
  auto server = HealthServer::start(options, handlers);
  if (!server.ok()) {
    std::fprintf(stderr, "health server: %s\n", server.error().message.c_str());
    std::exit(1);
  }
  return std::move(*server);
}

std::size_t fetch(int port, const std::string& path, const std::string& extra_headers) {
  int fd = testing::connectLoopback(port);
  if (fd < 0) return 0;
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers +
                    "Connection: close\r\n\r\n";
  testing::sendText(fd, req);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::size_t total = 0;
  char buf[65536];
  bool ok = false;
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
    if (total == 0)
      ok = std::string(buf, static_cast<std::size_t>(std::min<ssize_t>(n, 12))) == "HTTP/1.1 200";
    total += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return ok ? total : 0;
}

}  // namespace o365fwd::bench
