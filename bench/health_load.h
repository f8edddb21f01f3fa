#pragma once
// Load for the health endpoint benchmark (status_render_bench): an abuser holding connections
// open, a raw HTTP/1.1 client and latency percentiles. Benchmark code only.
#include <string>

namespace o365fwd::bench {

// Prints /livez latency p50/p99 with `held` abusive connections (alone, and while /status is
// fetched in a loop) and the process CPU per /status answer, for the server at `url`.
void reportHealthUnderLoad(const std::string& url, int held);

}  // namespace o365fwd::bench
