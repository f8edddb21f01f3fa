// status_render_bench: cost of one health-endpoint answer for a large deployment — building the
// StatusReport from the live StatusBoard (baseline: what every view pays) and rendering it as
// /status JSON, /metrics text and the HTML page — with N tenants x 5 content types and 2 sinks.
// Prints microseconds per answer, bytes, and each render's ratio to the snapshot. Then serves
// that deployment on a real HealthServer (loopback) and prints /livez latency p50/p99 with 500
// connections held open by an abuser (half idle, half trickling a header byte every 500 ms,
// reconnecting when the server closes them), alone and while /status is fetched in a loop, and
// the process CPU per /status answer. Not a test.
//
//   status_render_bench [tenants=100] [rounds=200] [held=500]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "app/health/health_server.h"
#include "app/status/metrics_text.h"
#include "app/status/status_json.h"
#include "app/status/status_page.h"
#include "app/status/status_snapshotter.h"
#include "bench/health_load.h"
#include "tests/fakes/memory_sink.h"

namespace {

using namespace o365fwd;
using Clock = std::chrono::steady_clock;

template <typename F>
double microsPerCall(int rounds, F&& f, std::size_t& bytes) {
  auto start = Clock::now();
  for (int i = 0; i < rounds; ++i) bytes = f();
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / rounds;
}

}  // namespace

int main(int argc, char** argv) {
  int tenants = argc > 1 ? std::atoi(argv[1]) : 100;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 200;
  SystemClock clock;
  StatusBoard board(clock);
  board.markStarted();
  StatusSources sources;
  std::vector<std::unique_ptr<ApiStats>> api;
  const char* types[] = {"Audit.AzureActiveDirectory", "Audit.Exchange", "Audit.SharePoint",
                         "Audit.General", "DLP.All"};
  for (int t = 0; t < tenants; ++t) {
    std::string name = "tenant" + std::to_string(t);
    sources.tenant_ids[name] = "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b" + std::to_string(1000 + t);
    api.push_back(std::make_unique<ApiStats>());
    for (int i = 0; i < 50; ++i) api.back()->recordResponse(ApiCall::kBlob, 200, 1000);
    api.back()->recordError(ApiCall::kContentList, "AF429");
    sources.api.emplace_back(name, api.back().get());
    for (const char* ct : types) {
      StreamKey key{name, ct};
      board.addStream(key);
      board.update(key, [&](StreamStatus& s) {
        s.state = StreamState::kActive;
        s.last_poll = s.last_success = s.watermark = clock.wallNow();
        s.events_forwarded = 123456789;
        s.blobs_done = 98765;
      });
    }
  }
  testing::MemorySink file("file"), syslog("siem", SinkType::kSyslog);
  (void)file.start();
  (void)syslog.start();
  sources.board = &board;
  sources.sinks = {&file, &syslog};
  StatusSnapshotter snapshotter(sources, clock);
  StatusReport report = snapshotter.snapshot();

  std::size_t snap_bytes = 0, json_bytes = 0, metrics_bytes = 0, page_bytes = 0;
  double snap = microsPerCall(
      rounds, [&] { return snapshotter.snapshot().streams.size(); }, snap_bytes);
  double json = microsPerCall(
      rounds, [&] { return statusToJson(report).size(); }, json_bytes);
  double metrics = microsPerCall(
      rounds, [&] { return renderMetrics(report).size(); }, metrics_bytes);
  double page = microsPerCall(
      rounds, [&] { return renderStatusPage(report).size(); }, page_bytes);
  std::printf(
      "status_render_bench: %d tenants x 5 content types = %zu streams, 2 sinks, %d rounds\n",
      tenants, report.streams.size(), rounds);
  std::printf("  snapshot (baseline)  %9.1f us\n", snap);
  auto row = [&](const char* what, double us, std::size_t bytes) {
    std::printf("  %-20s %9.1f us  %8zu bytes  %7.1f MB/s  ratio %.2f\n", what, us, bytes,
                static_cast<double>(bytes) / us, us / snap);
  };
  row("/status JSON", json, json_bytes);
  row("/metrics", metrics, metrics_bytes);
  row("/ (HTML page)", page, page_bytes);

  auto server = bench::serveSnapshots(snapshotter);
  int held = argc > 3 ? std::atoi(argv[3]) : 500;
  bench::reportHealthUnderLoad(server->url(), held);
  server->stop();
  return 0;
}
