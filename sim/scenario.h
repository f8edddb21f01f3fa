#pragma once
// The simulator's configuration: tenants, apps, subscription states, content knobs per content
// type, faults, throttling, token lifetime. Built once at start from a scenario JSON file
// (parseScenario) and/or command-line flags (sim/options.h); the mutable subset is changed at
// run time through POST /_sim/config (sim/sim_state.h). Plain values; no threads here.
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace o365fwd::sim {

inline constexpr size_t kContentTypeCount = 5;
inline constexpr std::array<std::string_view, kContentTypeCount> kContentTypes = {
    "Audit.AzureActiveDirectory", "Audit.Exchange", "Audit.SharePoint", "Audit.General", "DLP.All"};
// Index in kContentTypes (exact, case-sensitive match as the API does); nullopt otherwise.
std::optional<size_t> contentTypeIndex(std::string_view name);

enum class SubscriptionState { kNone, kEnabled, kStopped, kDisabledByAdmin };
std::optional<SubscriptionState> parseSubscriptionState(std::string_view text);
const char* toString(SubscriptionState s);

using Seconds = std::chrono::seconds;

// Chosen blobs listed late: blobs index .. index+count-1 (0 = the oldest) become listable only
// `delay` after their contentCreated, in their original window (late_blobs knob).
struct LateBlobs {
  int index = 0;
  int count = 1;
  Seconds delay{std::chrono::hours(1)};
};

// What one (tenant, content type) stream holds. See docs/SIMULATOR.md for each knob.
struct ContentKnobs {
  int blobs = 20;  // blobs over [start - span, start + future_span)
  int records_per_blob = 25;
  int record_size = 0;  // pad each record to about this many bytes (0 = natural)
  Seconds span{std::chrono::hours(6)};
  Seconds future_span{0};
  double late_visible_fraction = 0;  // visibleFrom = contentCreated + late_visible_delay
  Seconds late_visible_delay{std::chrono::minutes(30)};
  double backfill_fraction = 0;   // records whose CreationTime is days older than the blob
  double duplicate_fraction = 0;  // records repeated from an earlier blob (same Id+Operation)
  int large_blob_mb = 0;          // one blob of about this many MiB (0 = none)
  double expired_fraction = 0;    // listed blobs already past contentExpiration
  int invalid_json_blobs = 0;     // blobs whose body is broken JSON
  int invalid_json_fetches = 0;   // 0: broken forever; K: broken on the first K fetches
  Seconds expiration{std::chrono::hours(24 * 7)};

  int bomb_blobs = 0;       // gzip bombs: blobs whose gzip body expands to bomb_mb of zeros
  int bomb_mb = 10 * 1024;  // decoded size of each bomb
  std::vector<LateBlobs> late_blobs;  // chosen blobs listed late (after late_visible_fraction)
};

struct AppConfig {
  std::string client_id;
  std::string client_secret;  // the simulator's own fake secret (empty: secret auth refused)
  bool secret_expired = false;
  std::vector<std::string> certificate_files;  // PEM; x5t / x5t#S256 computed at load
  std::string private_key_file;                // only echoed in --credentials-out
  std::vector<std::string> roles{"ActivityFeed.Read", "ActivityFeed.ReadDlp"};
  // Delegated permissions granted instead of (or besides) application roles: the token carries
  // them as `scp` (space-separated), as a user-delegated token does.
  std::vector<std::string> scopes;
};

struct ThrottleConfig {
  int per_minute = 2000;  // requests per minute per tenant (with PublisherIdentifier)
  int status = 403;       // 403 (as documented) or 429
  int retry_after = 0;    // seconds; 0 = no Retry-After header
};

struct TenantConfig {
  std::string name;
  std::string tenant_id;  // lower-case GUID
  std::string domain;     // e.g. contoso.onmicrosoft.com
  std::vector<AppConfig> apps;
  bool auditing_enabled = true;
  std::array<SubscriptionState, kContentTypeCount> subscriptions{};  // all kNone
  std::array<bool, kContentTypeCount> has_content{true, true, true, true, true};
  int forced_token_error = 0;  // an AADSTS code every token request of this tenant gets
  ThrottleConfig throttle;
  std::array<ContentKnobs, kContentTypeCount> content;
};

struct FaultConfig {
  double transient_error_rate = 0;  // share of API requests answered 500/503/408
  std::vector<int> transient_statuses{500, 503, 408};
  bool next_page_loop = false;                 // NextPageUri repeats the same page forever
  bool next_page_omit_publisher = false;       // NextPageUri without PublisherIdentifier
  std::string next_page_api_version = "v1.0";  // "v1.0" or "v1" in NextPageUri paths
  std::string content_uri_base;                // e.g. http://127.0.0.2:PORT (empty: this server)
  std::string window_error_code = "AF20055";   // or "AF20030"

  // A proxy or third-party mock of the API (issue 10 part 7).
  bool opaque_tokens = false;          // access tokens are random strings, not JWTs (no claims)
  bool subscription_list_404 = false;  // subscriptions/list answers HTTP 404 (not implemented)

  // Hostile echo: every error body of the token and API endpoints quotes the Authorization
  // header, the client secret and the client assertion, bare and labelled
  // (sim/auth/credential_echo.h).
  bool echo_credentials = false;

  // Answer delay of every token and API request (a real API answers in a few hundred ms; the
  // simulator on loopback in ~1 ms). The delay holds one HTTP worker thread (--threads).
  int latency_ms = 0;
};

struct SimConfig {
  std::vector<TenantConfig> tenants;
  FaultConfig faults;
  int token_lifetime = 3599;             // seconds
  int page_size = 100;                   // blobs per /content page
  int shared_throttle_per_minute = 200;  // all requests without PublisherIdentifier together
  Seconds clock_skew{0};                 // added to the real clock (Date header, windows, expiry)
  std::uint64_t seed = 1;
  size_t cache_bytes = 256ull << 20;   // LRU of generated blob bodies
  bool tenants_from_scenario = false;  // the scenario listed tenants (vs. the demo tenant)

  // Microsoft Graph service announcements (sim/graph_service.h).
  int service_health_issues = 3;  // issues each tenant starts with
  int graph_page_size = 2;        // issues per page (small, so paging is exercised)
};

// Parses a scenario document (see docs/SIMULATOR.md). Unknown keys are errors that name the
// key's path. Relative certificate paths are resolved against `base_dir`.
Result<SimConfig> parseScenario(std::string_view json, const std::string& base_dir = ".");
Result<SimConfig> loadScenarioFile(const std::string& path);

// Reads a duration: a JSON number of seconds or a string "90s", "15m", "6h", "7d".
std::optional<Seconds> parseSeconds(std::string_view text);

// Checks cross-field rules (unique tenant ids and names, GUID syntax, fractions in [0,1]...).
Status validateConfig(const SimConfig& config);

bool isGuid(std::string_view text);

}  // namespace o365fwd::sim
