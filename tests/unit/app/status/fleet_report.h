#pragma once
// A StatusReport of `tenants` tenants x the five content types, for the tests of /metrics at
// fleet scale: tenantN's streams forwarded kFleetRecords * (type index + 1) records and 10 blobs
// each, the stream of type index i is i * 60 s + tenant % 10 * 60 s behind, succeeded that long
// ago; tenant3's Audit.Exchange stream is in error. Each tenant made 10 blob requests.
#include <string>

#include "app/status/status_report.h"

namespace o365fwd::testing {

inline constexpr std::uint64_t kFleetRecords = 1000;
inline constexpr std::int64_t kFleetNow = 1'796'558'400;  // 2026-12-06T12:00:00Z

inline StatusReport fleetReport(int tenants) {
  static const char* kTypes[] = {"Audit.AzureActiveDirectory", "Audit.Exchange", "Audit.SharePoint",
                                 "Audit.General", "DLP.All"};
  StatusReport r;
  r.version = "9.8.7";
  r.generated_at = WallTime(std::chrono::seconds(kFleetNow));
  r.ready = true;
  for (int t = 0; t < tenants; ++t) {
    const std::string name = "tenant" + std::to_string(t);
    for (int i = 0; i < 5; ++i) {
      StreamReport s;
      s.tenant = name;
      s.tenant_id = "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b" + std::to_string(1000 + t);
      s.content_type = kTypes[i];
      s.state = t == 3 && i == 1 ? "error" : "active";
      const std::int64_t behind = (i + t % 10) * 60;
      s.lag_seconds = behind;
      s.last_success = s.last_poll = s.watermark = r.generated_at - std::chrono::seconds(behind);
      s.events_forwarded = kFleetRecords * static_cast<std::uint64_t>(i + 1);
      s.blobs_done = 10;
      r.streams.push_back(s);
    }
    TenantApiReport api;
    api.tenant = name;
    api.api.requests = {{ApiCall::kBlob, ApiOutcome::k2xx, 10}};
    r.api.push_back(api);
  }
  SinkReport f;
  f.name = "file";
  f.type = "file";
  f.state = "up";
  r.sinks = {f};
  return r;
}

}  // namespace o365fwd::testing
