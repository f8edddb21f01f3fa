// o365fwd-sim: the Office 365 Management Activity API simulator. See docs/SIMULATOR.md.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "core/clock.h"
#include "core/logging.h"
#include "core/random.h"
#include "sim/auth/credentials.h"
#include "sim/options.h"
#include "sim/sim_server.h"

namespace {

int fail(const std::string& message, int code) {
  std::cerr << "o365fwd-sim: " << message << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace o365fwd;
  sim::SimOptions options;
  if (auto code = sim::parseOptions(argc, argv, options)) return *code;
  if (!isValidLogLevel(options.log_level))
    return fail("--log-level must be trace|debug|info|warn|error", 2);
  setupLogging(LogOptions{options.log_level, LogFormat::kText});
  auto log = getLogger("sim");

  auto config = sim::buildConfig(options);
  if (!config.ok()) return fail(config.error().message, 2);
  if (!options.certificates_dir.empty()) {
    Status s = sim::generateCertificates(config.value(), options.certificates_dir,
                                          options.certificate_days);
    if (!s.ok()) return fail(s.error().message, 1);
  }
  auto colon = options.listen.rfind(':');
  if (colon == std::string::npos) return fail("--listen must be HOST:PORT, e.g. 127.0.0.1:0", 2);
  const std::string host = options.listen.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(options.listen.substr(colon + 1));
  } catch (const std::exception&) {
    return fail("--listen port must be a number", 2);
  }

  // SIGTERM/SIGINT are taken by a dedicated thread (blocked everywhere else) that stops the
  // server; run() then returns and the process exits 0.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  SystemClock clock;
  Random random(config->seed);
  auto server = sim::SimServer::create(std::move(config.value()), clock, random, options.threads);
  if (!server.ok()) return fail(server.error().message, 1);
  sim::SimServer& srv = *server.value();
  if (Status s = srv.bind(host, port); !s.ok()) return fail(s.error().message, 1);
  if (!options.request_log.empty()) {
    if (Status s = srv.openRequestLog(options.request_log); !s.ok())
      return fail(s.error().message, 1);
  }
  if (!options.issued_tokens_out.empty()) {
    if (Status s = srv.openIssuedTokens(options.issued_tokens_out); !s.ok())
      return fail(s.error().message, 1);
  }
  if (options.prebuild_bodies) {
    const auto started = std::chrono::steady_clock::now();
    const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const std::uint64_t bytes = srv.prebuildGzipBodies(threads);
    log->info("Blob bodies prebuilt. gzip_mib={} seconds={:.1f}", bytes >> 20,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (!options.ledger.empty()) {
    if (Status s = srv.writeLedger(options.ledger); !s.ok()) return fail(s.error().message, 1);
  }
  if (!options.credentials_out.empty()) {
    if (Status s = sim::writeCredentials(srv.config(), srv.baseUrl(), options.credentials_out);
        !s.ok())
      return fail(s.error().message, 1);
  }
  if (!options.port_file.empty()) {
    if (Status s = sim::writeFileAtomic(options.port_file, std::to_string(srv.port()) + "\n", 0644);
        !s.ok())
      return fail(s.error().message, 1);
  }
  log->info("Simulator ready. tenants={} record_slots={} seed={} listen={}",
            srv.config().tenants.size(), srv.data().totalSlots(), srv.config().seed, srv.baseUrl());

  std::thread waiter([&srv, signals, log] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (srv.finished()) return;
    log->info("Stopping on signal. signal={}", sig);
    // stop() is a no-op while the accept loop is still starting; repeat until run() returns.
    while (!srv.finished()) {
      srv.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::cout << "o365fwd-sim listening on " << srv.baseUrl() << std::endl;  // flushes
  srv.run();
  // If run() returned for another reason, wake the waiter (it is not joined yet, so its id is
  // still valid) so it can be joined.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  log->info("Simulator stopped.");
  return 0;
}
