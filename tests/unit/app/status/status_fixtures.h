#pragma once
// A StatusReport with two streams and two sinks, shared by the status renderers' tests.
#include "app/status/status_report.h"
#include "core/time_format.h"

namespace o365fwd::testing {

inline StatusReport sampleReport() {
  StatusReport r;
  r.version = "9.8.7";
  r.generated_at = *parseUtc("2026-12-06T12:00:00Z");
  r.started_at = *parseUtc("2026-12-06T11:00:00Z");
  r.ready = false;
  StreamReport a;
  a.tenant = "contoso";
  a.tenant_id = "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14";
  a.content_type = "Audit.Exchange";
  a.state = "active";
  a.last_poll = *parseUtc("2026-12-06T11:59:00Z");
  a.last_success = *parseUtc("2026-12-06T11:59:30Z");
  a.watermark = *parseUtc("2026-12-06T11:55:00Z");
  a.lag_seconds = 300;
  a.blobs_listed = 12;
  a.blobs_done = 1200;
  a.blobs_pending = 2;
  a.events_forwarded = 1234567;
  a.events_forwarded_run = 4567;
  a.bytes_forwarded_run = 99999;
  a.duplicates_dropped = 3;
  a.dead_lettered = 1;
  a.records_without_id = 5;
  a.records_invalid_utf8 = 6;
  a.records_filtered = 7;
  StreamReport b;
  b.tenant = "fabrikam \"eu\"";
  b.tenant_id = "fabrikam.onmicrosoft.com";
  b.content_type = "DLP.All";
  b.state = "error";
  b.watermark = *parseUtc("2026-12-03T06:00:00Z");
  b.lag_seconds = 280800;
  b.lag_level = LagLevel::kCritical;
  b.consecutive_failures = 7;
  b.last_error = ErrorInfo{*parseUtc("2026-12-06T11:58:00Z"), "AF10001",
                           "the token lacks ActivityFeed.ReadDlp\nadd it and grant admin consent"};
  r.streams = {a, b};
  SinkReport f;
  f.name = "file";
  f.type = "file";
  f.state = "up";
  f.delivered = 1234567;
  SinkReport s;
  s.name = "siem";
  s.type = "syslog";
  s.state = "down";
  s.failed = 40;
  s.queued = 10;
  s.queued_bytes = 20480;
  s.truncated = 2;
  s.last_error =
      ErrorInfo{*parseUtc("2026-12-06T11:59:59Z"), "", "connect 10.0.0.5:6514: connection refused"};
  r.sinks = {f, s};
  TenantApiReport api;
  api.tenant = "contoso";
  api.api.requests = {{ApiCall::kContentList, ApiOutcome::k2xx, 40},
                      {ApiCall::kBlob, ApiOutcome::k4xx, 2}};
  api.api.errors = {{ApiCall::kBlob, "AF429", 2}};
  api.api.throttled = 2;
  api.api.token_refreshes = 3;
  r.api = {api};
  r.queued_blobs = 5;
  r.inflight_bytes = 4096;
  return r;
}

}  // namespace o365fwd::testing
