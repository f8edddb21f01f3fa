#pragma once
// The groups /metrics reports streams by (docs/STATUS.md "Metrics detail"): each stream, each
// tenant, each content type or everything at once. Within a group counters add up, the lag is the
// largest, timestamps are the oldest and states are counted; the API statistics of tenants add up
// the same way. Pure functions over a StatusReport, any thread; groups keep the report's order
// (content types sorted by name).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/status/status_report.h"

namespace o365fwd {

using MetricLabels = std::vector<std::pair<const char*, std::string>>;

enum class StreamGrouping { kStream, kTenant, kContentType, kTotal };

// The states a stream reports, in the order StreamGroup::states counts them.
inline constexpr std::array<const char*, 4> kStreamStates = {"active", "starting", "error",
                                                             "disabled"};

struct StreamGroup {
  MetricLabels labels;  // tenant and/or content_type, as the grouping has them
  std::array<std::uint64_t, kStreamStates.size()> states{};
  std::optional<std::int64_t> max_lag_seconds;
  std::optional<WallTime> oldest_success;  // of the streams that succeeded once
  std::optional<WallTime> oldest_poll;     // of the streams that polled once
  std::optional<WallTime> oldest_sweep;    // of the streams that completed a sweep
  std::uint64_t blobs_listed = 0, blobs_done = 0, blobs_pending = 0, blobs_failed = 0,
                blobs_lost = 0, records_forwarded = 0, bytes_forwarded = 0, duplicates_dropped = 0,
                dead_letters = 0, records_without_id = 0, records_invalid_utf8 = 0, late_blobs = 0,
                records_filtered = 0;
  LatenessHistogram lateness;
};

std::vector<StreamGroup> groupStreams(const std::vector<StreamReport>& streams,
                                      StreamGrouping grouping);

// Per tenant (labelled `tenant`) or, when `per_tenant` is false, one sum without labels.
std::vector<std::pair<MetricLabels, ApiStatsSnapshot>> groupApi(
    const std::vector<TenantApiReport>& api, bool per_tenant);

}  // namespace o365fwd
