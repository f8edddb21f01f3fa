#include "app/status/metrics_groups.h"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace o365fwd {
namespace {

std::string groupKey(const StreamReport& s, StreamGrouping grouping) {
  switch (grouping) {
    case StreamGrouping::kStream: return s.tenant + '\n' + s.content_type;
    case StreamGrouping::kTenant: return s.tenant;
    case StreamGrouping::kContentType: return s.content_type;
    case StreamGrouping::kTotal: break;
  }
  return {};
}

MetricLabels groupLabels(const StreamReport& s, StreamGrouping grouping) {
  switch (grouping) {
    case StreamGrouping::kStream: return {{"tenant", s.tenant}, {"content_type", s.content_type}};
    case StreamGrouping::kTenant: return {{"tenant", s.tenant}};
    case StreamGrouping::kContentType: return {{"content_type", s.content_type}};
    case StreamGrouping::kTotal: break;
  }
  return {};
}

void keepOldest(std::optional<WallTime>& oldest, const std::optional<WallTime>& t) {
  if (t && (!oldest || *t < *oldest)) oldest = t;
}

void add(StreamGroup& g, const StreamReport& s) {
  for (std::size_t i = 0; i < kStreamStates.size(); ++i)
    if (s.state == kStreamStates[i]) ++g.states[i];
  if (s.lag_seconds && (!g.max_lag_seconds || *s.lag_seconds > *g.max_lag_seconds))
    g.max_lag_seconds = s.lag_seconds;
  keepOldest(g.oldest_success, s.last_success);
  keepOldest(g.oldest_poll, s.last_poll);
  keepOldest(g.oldest_sweep, s.last_sweep);
  g.blobs_listed += s.blobs_listed;
  g.blobs_done += s.blobs_done;
  g.blobs_pending += s.blobs_pending;
  g.blobs_failed += s.blobs_failed;
  g.blobs_lost += s.blobs_lost;
  g.records_forwarded += s.events_forwarded;
  g.bytes_forwarded += s.bytes_forwarded_run;
  g.duplicates_dropped += s.duplicates_dropped;
  g.dead_letters += s.dead_lettered;
  g.records_without_id += s.records_without_id;
  g.records_invalid_utf8 += s.records_invalid_utf8;
  g.records_filtered += s.records_filtered;
  g.late_blobs += s.late_blobs;
  g.lateness.add(s.lateness);
}

}  // namespace

std::vector<StreamGroup> groupStreams(const std::vector<StreamReport>& streams,
                                      StreamGrouping grouping) {
  std::vector<StreamGroup> groups;
  std::unordered_map<std::string, std::size_t> index;
  groups.reserve(grouping == StreamGrouping::kStream ? streams.size() : 8);
  for (const StreamReport& s : streams) {
    auto [it, added] = index.try_emplace(groupKey(s, grouping), groups.size());
    if (added) {
      groups.emplace_back();
      groups.back().labels = groupLabels(s, grouping);
    }
    add(groups[it->second], s);
  }
  if (grouping == StreamGrouping::kContentType)
    std::sort(groups.begin(), groups.end(), [](const StreamGroup& a, const StreamGroup& b) {
      return a.labels.front().second < b.labels.front().second;
    });
  if (grouping == StreamGrouping::kTotal && groups.empty()) groups.emplace_back();
  return groups;
}

std::vector<std::pair<MetricLabels, ApiStatsSnapshot>> groupApi(
    const std::vector<TenantApiReport>& api, bool per_tenant) {
  std::vector<std::pair<MetricLabels, ApiStatsSnapshot>> out;
  if (per_tenant) {
    for (const TenantApiReport& t : api)
      out.emplace_back(MetricLabels{{"tenant", t.tenant}}, t.api);
    return out;
  }
  ApiStatsSnapshot sum;
  std::map<std::pair<ApiCall, ApiOutcome>, std::uint64_t> requests;
  std::map<std::pair<ApiCall, std::string>, std::uint64_t> errors;
  for (const TenantApiReport& t : api) {
    for (const auto& q : t.api.requests) requests[{q.call, q.outcome}] += q.count;
    for (const auto& e : t.api.errors) errors[{e.call, e.code}] += e.count;
    sum.throttled += t.api.throttled;
    sum.retries += t.api.retries;
    sum.token_refreshes += t.api.token_refreshes;
    sum.token_failures += t.api.token_failures;
    sum.transport_errors += t.api.transport_errors;
    sum.bytes_received += t.api.bytes_received;
  }
  for (const auto& [key, count] : requests) sum.requests.push_back({key.first, key.second, count});
  for (const auto& [key, count] : errors) sum.errors.push_back({key.first, key.second, count});
  out.emplace_back(MetricLabels{}, std::move(sum));
  return out;
}

}  // namespace o365fwd
