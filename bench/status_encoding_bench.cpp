// status_encoding_bench: what a fleet's health answers cost per encoding (issue 11, part 5). For N
// tenants x 5 content types (5 in error, 1 disabled) and 2 sinks it prints, per view (/status, the
// page's first answer, /metrics): the render time and size, then the time and size of each
// encoding — gzip level 1 (what the endpoint sends), gzip level 6, brotli quality 1, 4 and 11
// (11 is the brotli library's default, for comparison only: the endpoint never sends brotli) —
// and finally the process CPU per answer served by a real HealthServer on loopback, plain and with
// a browser's Accept-Encoding (raw client, no decompression). Not a test.
//
//   status_encoding_bench [tenants=1000] [rounds=10] [serve_seconds=0]
// With serve_seconds, the server stays up that long afterwards (its URL is printed) so a browser
// can load the page of this deployment.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "app/health/answer_encoding.h"
#include "app/health/health_server.h"
#include "app/status/metrics_text.h"
#include "app/status/status_json.h"
#include "app/status/status_page.h"
#include "app/status/status_snapshotter.h"
#include "bench/health_load.h"
#include "tests/fakes/memory_sink.h"

namespace {

using namespace o365fwd;
using Steady = std::chrono::steady_clock;

double cpuMs() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

// Milliseconds per call of f (which returns a size), over `rounds` calls.
double msPerCall(int rounds, const std::function<std::size_t()>& f, std::size_t& bytes) {
  auto start = Steady::now();
  for (int i = 0; i < rounds; ++i) bytes = f();
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count() / rounds;
}

std::size_t brotli(const std::string& text, int quality) {
  return brotliCompress(text, quality)->size();
}

void encodings(const char* view, const std::string& body, int rounds) {
  std::printf("  %-18s %9zu bytes\n", view, body.size());
  std::size_t bytes = 0;
  auto row = [&](const char* what, double ms) {
    std::printf("    %-16s %8.2f ms  %9zu bytes  (%.1f %%)\n", what, ms, bytes,
                100.0 * static_cast<double>(bytes) / static_cast<double>(body.size()));
  };
  row("gzip 1 (sent)", msPerCall(
                           rounds, [&] { return gzipCompress(body, 1)->size(); }, bytes));
  row("gzip 6", msPerCall(
                    rounds, [&] { return gzipCompress(body, 6)->size(); }, bytes));
  row("brotli 1 (sent)", msPerCall(
                             rounds, [&] { return brotli(body, 1); }, bytes));
  row("brotli 4", msPerCall(
                      rounds, [&] { return brotli(body, 4); }, bytes));
  row("brotli 11", msPerCall(
                       1, [&] { return brotli(body, 11); }, bytes));
}

}  // namespace

int main(int argc, char** argv) {
  const int tenants = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 10;
  SystemClock clock;
  StatusBoard board(clock);
  board.markStarted();
  StatusSources sources;
  const char* types[] = {"Audit.AzureActiveDirectory", "Audit.Exchange", "Audit.SharePoint",
                         "Audit.General", "DLP.All"};
  for (int t = 1; t <= tenants; ++t) {
    std::string name = "tenant" + std::to_string(t);
    sources.tenant_ids[name] = "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b" + std::to_string(1000 + t);
    for (const char* ct : types) {
      StreamKey key{name, ct};
      board.addStream(key);
      board.update(key, [&](StreamStatus& s) {
        s.state = StreamState::kActive;
        const auto h = static_cast<std::uint64_t>(t) * 2654435761u + std::strlen(ct) * 40503u;
        s.last_poll = clock.wallNow() - std::chrono::milliseconds(h % 60000);
        s.last_success = s.last_poll;
        s.watermark = clock.wallNow() - std::chrono::milliseconds(h % 900000);
        s.events_forwarded = h % 100000000;
        s.events_forwarded_run = h % 1000000;
        s.blobs_done = h % 98765;
        s.blobs_listed = h % 977;
        if (t % 200 == 17 && std::string(ct) == "Audit.Exchange") {
          s.state = t == 217 ? StreamState::kDisabled : StreamState::kError;
          s.last_error = ErrorInfo{clock.wallNow(), "AF20022", "No subscription found"};
        }
      });
    }
  }
  testing::MemorySink file("file"), syslog("siem", SinkType::kSyslog);
  (void)file.start();
  (void)syslog.start();
  sources.board = &board;
  sources.sinks = {&file, &syslog};
  // Six hours of samples ending at the fleet's current total, ~12,000 records a minute.
  StatusHistory history;
  sources.history = &history;
  const std::uint64_t total = recordsForwardedThisRun(StatusSnapshotter(sources, clock).snapshot());
  for (int i = 0; i < 360; ++i)
    history.record(clock.wallNow() - std::chrono::minutes(360 - i),
                   total - 12000u * static_cast<std::uint64_t>(360 - i) + (i % 7) * 900u,
                   60 + (i % 90) * 10, 6);
  StatusSnapshotter snapshotter(sources, clock);
  StatusReport report = snapshotter.snapshot();
  std::printf("status_encoding_bench: %d tenants x 5 content types = %zu streams, %d rounds\n",
              tenants, report.streams.size(), rounds);
  std::size_t bytes = 0;
  std::string json, page, metrics;
  double t_json = msPerCall(
      rounds, [&] { return (json = statusToJson(report)).size(); }, bytes);
  double t_page = msPerCall(
      rounds, [&] { return (page = renderStatusPage(report)).size(); }, bytes);
  double t_metrics = msPerCall(
      rounds, [&] { return (metrics = renderMetrics(report)).size(); }, bytes);
  std::printf("  render: /status %.2f ms, / (first page) %.2f ms, /metrics %.2f ms\n", t_json,
              t_page, t_metrics);
  encodings("/status", json, rounds);
  encodings("/ (first page)", page, rounds);
  encodings("/metrics", metrics, rounds);

  auto server = bench::serveSnapshots(snapshotter);
  const std::string url = server->url();
  const int port = std::atoi(url.substr(url.rfind(':') + 1).c_str());
  std::printf(
      "  served on loopback, process CPU per answer (snapshot + render + encode + send):\n");
  for (const char* path : {"/status", "/", "/metrics"})
    for (const char* header :
         {"", "Accept-Encoding: deflate, gzip\r\n", "Accept-Encoding: gzip, deflate, br\r\n"}) {
      bench::fetch(port, path, header);  // warm up
      const double cpu0 = cpuMs();
      const auto wall0 = Steady::now();
      std::size_t got = 0;
      for (int i = 0; i < rounds; ++i) got = bench::fetch(port, path, header);
      const double wall = std::chrono::duration<double, std::milli>(Steady::now() - wall0).count();
      const char* what = !*header                               ? "plain"
                         : std::strstr(header, "br") != nullptr ? "br (browser)"
                                                                : "gzip";
      std::printf("    %-9s %-13s %9zu bytes on the wire  %7.2f ms CPU  %7.2f ms wall\n", path,
                  what, got, (cpuMs() - cpu0) / rounds, wall / rounds);
    }
  if (argc > 3 && std::atoi(argv[3]) > 0) {
    std::printf("  serving %s for %s s\n", url.c_str(), argv[3]);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(std::atoi(argv[3])));
  }
  server->stop();
  return 0;
}
