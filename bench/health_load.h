#pragma once
// Load for the health endpoint benchmark (status_render_bench): an abuser holding connections
// open, a raw HTTP/1.1 client and latency percentiles. Benchmark code only.
#include <memory>
#include <string>

#include "app/health/health_server.h"
#include "app/status/status_snapshotter.h"

namespace o365fwd::bench {

// A HealthServer on 127.0.0.1 (any port) answering from `snapshotter`; exits the process with a
// message when it cannot start.
std::unique_ptr<HealthServer> serveSnapshots(const StatusSnapshotter& snapshotter);

// GET `path` with `extra_headers` ("Name: value\r\n" lines) and Connection: close; the bytes
// received, status line and headers included (0 on failure or an answer other than 200), 10 s at
// most. The body is not decoded.
std::size_t fetch(int port, const std::string& path, const std::string& extra_headers = "");

// Prints /livez latency p50/p99 with `held` abusive connections (alone, and while /status is
// fetched in a loop) and the process CPU per /status answer, for the server at `url`.
void reportHealthUnderLoad(const std::string& url, int held);

}  // namespace o365fwd::bench
