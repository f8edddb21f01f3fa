#include "pipeline/status_board.h"

#include "core/secrets/redact.h"

namespace o365fwd {

const char* toString(StreamState state) {
  switch (state) {
    case StreamState::kStarting: return "starting";
    case StreamState::kActive: return "active";
    case StreamState::kError: return "error";
    case StreamState::kDisabled: return "disabled";
  }
  return "unknown";
}

void applyStoredCounters(StreamStatus& s, const StreamCounters& c) {
  s.watermark = c.watermark;
  s.last_success = c.last_success;
  s.blobs_done = c.blobs_done;
  s.events_forwarded = c.events_forwarded;
  s.duplicates_dropped = c.duplicates_dropped;
  s.dead_lettered = c.dead_lettered;
  s.blobs_lost = c.blobs_lost;
  s.records_filtered = c.records_filtered;
}

void StatusBoard::addStream(const StreamKey& stream) {
  std::lock_guard lock(mu_);
  removed_.erase(stream);
  streams_[stream].stream = stream;
}

void StatusBoard::removeStream(const StreamKey& stream) {
  std::lock_guard lock(mu_);
  streams_.erase(stream);
  removed_.insert(stream);
}

void StatusBoard::update(const StreamKey& stream,
                         const std::function<void(StreamStatus&)>& change) {
  std::lock_guard lock(mu_);
  if (!removed_.empty() && removed_.count(stream)) return;
  StreamStatus& s = streams_[stream];
  s.stream = stream;
  change(s);
}

void StatusBoard::recordError(const StreamKey& stream, const Error& error, StreamState state) {
  ErrorInfo info{clock_.wallNow(), error.code, redactSecrets(error.message)};
  if (info.message.size() > 512) info.message.resize(512);
  update(stream, [&](StreamStatus& s) {
    s.state = state;
    s.last_error = info;
    ++s.consecutive_failures;
  });
}

std::vector<StreamStatus> StatusBoard::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<StreamStatus> out;
  out.reserve(streams_.size());
  for (const auto& [key, s] : streams_) out.push_back(s);
  return out;
}

std::vector<StreamStatus> StatusBoard::withoutSuccessSince(WallTime since) const {
  std::lock_guard lock(mu_);
  std::vector<StreamStatus> out;
  for (const auto& [key, s] : streams_)
    if (!s.last_success || *s.last_success < since) out.push_back(s);
  return out;
}

CollectionTotals StatusBoard::totals() const {
  std::lock_guard lock(mu_);
  CollectionTotals t;
  for (const auto& [key, s] : streams_) {
    t.blobs_done += s.blobs_done;
    t.blobs_failed += s.blobs_failed;
    t.blobs_lost += s.blobs_lost;
    t.events_forwarded += s.events_forwarded;
    t.duplicates_dropped += s.duplicates_dropped;
    t.dead_lettered += s.dead_lettered;
    t.bytes_forwarded += s.bytes_forwarded;
    t.records_without_id += s.records_without_id;
    t.records_invalid_utf8 += s.records_invalid_utf8;
    t.records_filtered += s.records_filtered;
    t.records_filtered_run += s.records_filtered_run;
    t.dead_lettered_run += s.dead_lettered_run;
    t.blobs_lost_run += s.blobs_lost_run;
    t.events_forwarded_run += s.events_forwarded_run;
  }
  return t;
}

}  // namespace o365fwd
