#pragma once
// The o365fwd-sim command line (CLI11): where to listen, which files to write, and flags for
// the common scenario knobs without a scenario file. buildConfig() turns the options into a
// SimConfig (scenario file first, then flags on top). Used once from main().
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "sim/scenario.h"

namespace o365fwd::sim {

struct SimOptions {
  std::string listen = "127.0.0.1:0";
  std::string port_file;
  std::string scenario;
  std::string ledger;
  std::string request_log;
  std::string credentials_out;
  std::string certificates_dir;
  int certificate_days = 365;  // validity of the certificates --certificates generates
  std::string log_level = "info";
  int threads = 32;
  std::optional<int> tenants;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> content_types;
  std::optional<int> blobs, records_per_blob, record_size, page_size, token_lifetime,
      throttle_per_minute, throttle_status, shared_throttle_per_minute, retry_after, large_blob_mb,
      invalid_json_blobs, invalid_json_fetches, bomb_blobs, bomb_mb;
  std::optional<std::string> span, future_span, late_visible_delay, clock_skew, expiration;
  std::optional<double> transient_error_rate, late_visible_fraction, backfill_fraction,
      duplicate_fraction, expired_fraction;
  bool auditing_disabled = false;
  bool subscriptions_enabled = false;
  bool next_page_loop = false;
  std::optional<std::string> content_uri_base;
  bool opaque_tokens = false;          // faults.opaque_tokens
  bool subscription_list_404 = false;  // faults.subscription_list_404

  bool prebuild_bodies = false;  // not part of SimConfig: a start-up action of main()
  bool echo_credentials = false;
  std::string issued_tokens_out;

  std::optional<int> latency_ms;  // faults.latency_ms

  std::optional<int> service_health_issues, graph_page_size;  // sim/graph_service.h
};

// Parses argv. On --help/--version or an error, returns the exit code main() should return
// (0 for help, 2 for a usage error, with the message already printed).
std::optional<int> parseOptions(int argc, char** argv, SimOptions& out);

// Scenario file (or the demo tenant), then --tenants, then every knob flag.
Result<SimConfig> buildConfig(const SimOptions& options);

}  // namespace o365fwd::sim
