// KafkaStateStore's writes (class comment in cluster/state/kafka_state_store.h): each one stages
// its records from a copy of the index, writes them through the StateLog (waiting for the brokers'
// acknowledgement with the write lock held), and only then applies them to the index — so a
// failed write changes nothing and the same call can be retried.
#include <algorithm>
#include <chrono>

#include "cluster/state/kafka_state_store.h"
#include "core/secrets/redact.h"

namespace o365fwd {
namespace {

using std::chrono::duration_cast;
using std::chrono::nanoseconds;

constexpr auto kLostBlobMemory = std::chrono::hours(24 * 7);  // as the SQLite store
constexpr std::size_t kTombstonesPerWrite = 10'000;

std::int64_t toNs(WallTime t) {
  return duration_cast<nanoseconds>(t.time_since_epoch()).count();
}
std::int64_t toSecondsFloor(WallTime t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::vector<KeyDigest> uniqueDigests(const std::vector<RecordKey>& keys) {
  std::vector<KeyDigest> out;
  out.reserve(keys.size());
  for (const RecordKey& k : keys) out.push_back(digestOf(k));
  std::sort(out.begin(), out.end(), [](const KeyDigest& a, const KeyDigest& b) {
    return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
  });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

Status KafkaStateStore::writeRecords(const std::vector<StateLogRecord>& records) {
  Status s = log_->write(records);
  if (!s.ok()) {
    std::lock_guard lock(mu_);
    ++write_failures_;
    last_write_error_ = s.error().message;
  }
  return s;
}

Status KafkaStateStore::commit(const std::vector<BlobCommit>& blobs,
                               const std::vector<std::pair<StreamKey, WallTime>>& watermarks,
                               const std::vector<SinkPosition>& positions, WallTime now) {
  if (blobs.empty() && watermarks.empty() && positions.empty()) return okStatus();
  std::lock_guard write_lock(write_mu_);
  const std::int64_t now_ns = toNs(now);
  const std::int64_t now_s = toSecondsFloor(now);

  // Stage: the touched streams' checkpoints and the blobs' entries, from the index.
  std::map<StreamKey, CheckpointValue> checkpoints;
  std::map<std::pair<StreamKey, std::string>, BlobEntry> entries;  // after this commit
  std::map<std::pair<StreamKey, std::string>, bool> had_failure;
  {
    std::lock_guard lock(mu_);
    auto stage = [&](const StreamKey& stream) -> Status {
      if (Status s = requireLoaded(stream); !s.ok()) return s;
      if (!checkpoints.count(stream)) {
        const StreamState* st = findStream(stream);
        checkpoints[stream] = st ? st->checkpoint : CheckpointValue{};
      }
      return okStatus();
    };
    for (const BlobCommit& b : blobs) {
      if (Status s = stage(b.content.stream); !s.ok()) return s;
      auto id = std::make_pair(b.content.stream, b.content.content_id);
      if (entries.count(id)) continue;
      const StreamState* st = findStream(b.content.stream);
      bool failed = false;
      if (st) {
        if (auto it = st->blobs.find(b.content.content_id); it != st->blobs.end())
          entries[id] = it->second;
        failed = st->failures.count(b.content.content_id) > 0;
      }
      had_failure[id] = failed;
    }
    for (const auto& [stream, _] : watermarks)
      if (Status s = stage(stream); !s.ok()) return s;
  }

  // Records: per blob its digests (b/), the failure it clears (f/ tombstone); then every touched
  // stream's checkpoint (c/), last in its partition, so a checkpoint that arrived implies the blob
  // records before it did (the idempotent producer keeps a partition's order).
  std::vector<StateLogRecord> records;
  std::vector<std::pair<std::pair<StreamKey, std::string>, std::vector<KeyDigest>>> blob_digests;
  for (const BlobCommit& b : blobs) {
    const StreamKey& stream = b.content.stream;
    auto id = std::make_pair(stream, b.content.content_id);
    CheckpointValue& cp = checkpoints[stream];
    std::vector<KeyDigest> digests = uniqueDigests(b.keys);
    auto existing = entries.find(id);
    const bool known = existing != entries.end();
    BlobEntry& e = entries[id];
    if (!known || !e.done) ++cp.blobs_done;
    cp.events_forwarded += b.records_forwarded;
    cp.duplicates_dropped += b.duplicates_dropped;
    cp.dead_lettered += b.dead_lettered;
    cp.records_filtered += b.records_filtered;
    const std::int32_t partition = partitionOf(stream);
    std::size_t at = 0;
    if (!known) {  // the blob record, with the first digests
      e = BlobEntry{toNs(b.content.expiration), now_s, 0, true};
      BlobValue v{toNs(b.content.created), e.expiration_ns, now_s, {}};
      const std::size_t n = std::min(digests.size(), kDigestsPerRecord);
      v.digests.assign(digests.begin(), digests.begin() + static_cast<std::ptrdiff_t>(n));
      at = n;
      records.push_back({partition,
                         encodeStateKey({StateRecordKind::kBlob, stream, b.content.content_id, 0}),
                         encodeBlob(v)});
    }
    while (at < digests.size()) {  // more digests: extra records b/.../<n>
      const std::size_t n = std::min(digests.size() - at, kDigestsPerRecord);
      BlobValue v{toNs(b.content.created), toNs(b.content.expiration), now_s, {}};
      v.digests.assign(digests.begin() + static_cast<std::ptrdiff_t>(at),
                       digests.begin() + static_cast<std::ptrdiff_t>(at + n));
      at += n;
      records.push_back(
          {partition,
           encodeStateKey({StateRecordKind::kBlob, stream, b.content.content_id, ++e.parts}),
           encodeBlob(v)});
    }
    e.done = true;
    e.committed_at_s = std::max(e.committed_at_s, now_s);
    e.expiration_ns = std::max(e.expiration_ns, toNs(b.content.expiration));
    if (had_failure[id]) {
      had_failure[id] = false;
      records.push_back(
          {partition, encodeStateKey({StateRecordKind::kFailure, stream, b.content.content_id, 0}),
           std::nullopt});
    }
    blob_digests.emplace_back(id, std::move(digests));
  }
  for (const auto& [stream, at] : watermarks) {
    CheckpointValue& cp = checkpoints[stream];
    if (!cp.watermark_ns || *cp.watermark_ns < toNs(at)) cp.watermark_ns = toNs(at);
  }
  for (auto& [stream, cp] : checkpoints) {
    cp.last_success_ns = now_ns;
    records.push_back(checkpointRecord(stream, cp));
  }

  // Exactly-once: the partitions the log did not write (fenced: another instance owns them now)
  // keep their index as it was, so their blobs are not taken as done here.
  std::vector<std::int32_t> dropped;
  if (!records.empty()) {
    std::vector<ContentRef> contents;
    contents.reserve(blobs.size());
    for (const BlobCommit& b : blobs) contents.push_back(b.content);
    Status s = log_->writeCommit(records, contents, dropped);
    if (!s.ok()) {
      std::lock_guard lock(mu_);
      ++write_failures_;
      last_write_error_ = s.error().message;
      return s;
    }
  }
  auto kept = [&](std::int32_t p) {
    return std::find(dropped.begin(), dropped.end(), p) == dropped.end();
  };

  {
    std::lock_guard lock(mu_);
    for (const auto& [stream, cp] : checkpoints) {
      auto part = loaded_.find(partitionOf(stream));
      if (part == loaded_.end() || !kept(part->first)) continue;  // released meanwhile
      StreamState& st = part->second.streams[stream];
      st.checkpoint = cp;
      st.checkpoint_written = true;
    }
    for (const auto& [id, e] : entries) {
      auto part = loaded_.find(partitionOf(id.first));
      if (part == loaded_.end() || !kept(part->first)) continue;
      StreamState& st = part->second.streams[id.first];
      st.blobs[id.second] = e;
      st.failures.erase(id.second);
    }
    for (const auto& [id, digests] : blob_digests) {
      const std::int32_t p = partitionOf(id.first);
      if (!loaded_.count(p) || !kept(p)) continue;
      for (const KeyDigest& d : digests) keys_.remember(d, now_s, p);
    }
    if (!positions.empty()) {
      for (const SinkPosition& pos : positions) {
        auto it = std::find_if(positions_.begin(), positions_.end(),
                               [&](const SinkPosition& q) { return q.sink == pos.sink; });
        if (it == positions_.end())
          positions_.push_back(pos);
        else
          it->position = pos.position;
      }
      std::sort(positions_.begin(), positions_.end(),
                [](const SinkPosition& a, const SinkPosition& b) { return a.sink < b.sink; });
    }
  }
  if (!positions.empty() && local_) {
    Status s = local_->writePositions(positions);
    if (!s.ok()) {
      // The state in Kafka is durable; an older stored position only makes the file sink's
      // recovery read more of its files at the next start (docs/STATE.md "Sink positions").
      if (blobs.empty() && watermarks.empty()) return s;
      logger_->warn(
          "Could not store the sink positions; they are stored with the next commit. "
          "error={}",
          s.error().describe());
    }
  }
  return okStatus();
}

Result<int> KafkaStateStore::recordBlobFailure(const ContentRef& content, std::string_view reason) {
  std::lock_guard write_lock(write_mu_);
  NoteEntry note{1, toNs(content.expiration)};
  CheckpointValue cp;
  bool write_checkpoint = true;
  {
    std::lock_guard lock(mu_);
    if (Status s = requireLoaded(content.stream); !s.ok()) return s.error();
    if (const StreamState* st = findStream(content.stream)) {
      cp = st->checkpoint;
      write_checkpoint = !st->checkpoint_written;
      if (auto it = st->failures.find(content.content_id); it != st->failures.end())
        note.attempts = it->second.attempts + 1;
    }
  }
  const std::int32_t p = partitionOf(content.stream);
  std::vector<StateLogRecord> records;
  records.push_back(
      {p, encodeStateKey({StateRecordKind::kFailure, content.stream, content.content_id, 0}),
       encodeBlobNote({note.attempts, note.expiration_ns, redactSecrets(reason)})});
  if (write_checkpoint) records.push_back(checkpointRecord(content.stream, cp));
  if (Status s = writeRecords(records); !s.ok()) return s.error();
  std::lock_guard lock(mu_);
  if (auto part = loaded_.find(p); part != loaded_.end()) {
    StreamState& st = part->second.streams[content.stream];
    st.failures[content.content_id] = note;
    st.checkpoint_written = true;
  }
  return static_cast<int>(note.attempts);
}

Status KafkaStateStore::recordLostBlob(const ContentRef& content, std::string_view reason) {
  std::lock_guard write_lock(write_mu_);
  CheckpointValue cp;
  {
    std::lock_guard lock(mu_);
    if (Status s = requireLoaded(content.stream); !s.ok()) return s;
    if (const StreamState* st = findStream(content.stream)) {
      if (st->lost.count(content.content_id)) return okStatus();  // counted once
      cp = st->checkpoint;
    }
  }
  ++cp.blobs_lost;
  const std::int32_t p = partitionOf(content.stream);
  const std::int64_t expiration = toNs(content.expiration);
  std::vector<StateLogRecord> records;
  records.push_back(
      {p, encodeStateKey({StateRecordKind::kLost, content.stream, content.content_id, 0}),
       encodeBlobNote({0, expiration, redactSecrets(reason)})});
  records.push_back(checkpointRecord(content.stream, cp));
  if (Status s = writeRecords(records); !s.ok()) return s;
  std::lock_guard lock(mu_);
  if (auto part = loaded_.find(p); part != loaded_.end()) {
    StreamState& st = part->second.streams[content.stream];
    st.lost[content.content_id] = expiration;
    st.checkpoint = cp;
    st.checkpoint_written = true;
  }
  return okStatus();
}

// Sweep bookkeeping is written without waiting for the acknowledgement: at a fleet's first start
// every stream writes both values, and waiting for each would serialise thousands of round trips.
// Nothing is lost by it: the next commit of the stream carries the whole checkpoint again.
Status KafkaStateStore::recordSweep(const StreamKey& stream, WallTime started) {
  std::lock_guard write_lock(write_mu_);
  std::lock_guard lock(mu_);
  if (Status s = requireLoaded(stream); !s.ok()) return s;
  StreamState& st = loaded_[partitionOf(stream)].streams[stream];
  if (st.checkpoint.last_sweep_ns && *st.checkpoint.last_sweep_ns >= toNs(started))
    return okStatus();
  st.checkpoint.last_sweep_ns = toNs(started);
  st.checkpoint_written = true;
  log_->writeAsync({checkpointRecord(stream, st.checkpoint)});
  return okStatus();
}

Status KafkaStateStore::setSweepFloor(const StreamKey& stream, WallTime floor) {
  std::lock_guard write_lock(write_mu_);
  std::lock_guard lock(mu_);
  if (Status s = requireLoaded(stream); !s.ok()) return s;
  StreamState& st = loaded_[partitionOf(stream)].streams[stream];
  if (st.checkpoint.sweep_floor_ns) return okStatus();
  st.checkpoint.sweep_floor_ns = toNs(floor);
  st.checkpoint_written = true;
  log_->writeAsync({checkpointRecord(stream, st.checkpoint)});
  return okStatus();
}

// Prune: blobs past their expiration stop being done at once (in memory); their records are
// tombstoned once their digests are also older than the window, failures at their expiration,
// lost blobs 7 days after it. Tombstones are written in chunks, each applied once acknowledged.
Status KafkaStateStore::prune(WallTime now, std::chrono::milliseconds dedup_window) {
  std::lock_guard write_lock(write_mu_);
  const std::int64_t now_ns = toNs(now);
  const std::int64_t cutoff_s = toSecondsFloor(now - dedup_window);
  const std::int64_t lost_cutoff_ns = toNs(now - kLostBlobMemory);
  struct Removal {
    StateRecordKind kind;
    StreamKey stream;
    std::string content_id;
    std::size_t records = 1;  // its tombstones
  };
  std::vector<Removal> removals;
  std::vector<StateLogRecord> tombstones;
  std::vector<StateLogRecord> prune_records;  // p/<partition>, written first
  std::map<std::int32_t, PruneValue> prunes;
  std::size_t keys_removed = 0;
  {
    std::lock_guard lock(mu_);
    for (auto& [p, part] : loaded_) {
      PruneValue v{std::max(part.last_prune.pruned_at_ns, now_ns),
                   std::max(part.last_prune.key_cutoff_s, cutoff_s)};
      if (v != part.last_prune) {
        prunes[p] = v;
        prune_records.push_back(
            {p, encodeStateKey({StateRecordKind::kPrune, {}, {}, 0, p}), encodePrune(v)});
      }
      for (auto& [stream, st] : part.streams) {
        for (auto& [id, e] : st.blobs) {
          if (e.done && e.expiration_ns < now_ns) e.done = false;
          if (e.done || e.committed_at_s >= cutoff_s) continue;
          removals.push_back({StateRecordKind::kBlob, stream, id, e.parts + 1u});
          for (std::uint32_t n = 0; n <= e.parts; ++n)
            tombstones.push_back(
                {p, encodeStateKey({StateRecordKind::kBlob, stream, id, n}), std::nullopt});
        }
        for (const auto& [id, f] : st.failures) {
          if (f.expiration_ns >= now_ns) continue;
          removals.push_back({StateRecordKind::kFailure, stream, id});
          tombstones.push_back(
              {p, encodeStateKey({StateRecordKind::kFailure, stream, id, 0}), std::nullopt});
        }
        for (const auto& [id, expiration] : st.lost) {
          if (expiration >= lost_cutoff_ns) continue;
          removals.push_back({StateRecordKind::kLost, stream, id});
          tombstones.push_back(
              {p, encodeStateKey({StateRecordKind::kLost, stream, id, 0}), std::nullopt});
        }
      }
    }
    keys_removed =
        keys_.removeIf([&](std::int64_t seen_s, std::int32_t) { return seen_s < cutoff_s; });
  }
  if (!prune_records.empty()) {
    if (Status s = writeRecords(prune_records); !s.ok()) return s;
    std::lock_guard lock(mu_);
    for (const auto& [p, v] : prunes)
      if (auto it = loaded_.find(p); it != loaded_.end()) it->second.last_prune = v;
  }
  // A removal is applied once all its tombstones were acknowledged.
  std::size_t written = 0, applied = 0, counted = 0;
  while (written < tombstones.size()) {
    std::size_t end = std::min(tombstones.size(), written + kTombstonesPerWrite);
    std::vector<StateLogRecord> chunk(tombstones.begin() + static_cast<std::ptrdiff_t>(written),
                                      tombstones.begin() + static_cast<std::ptrdiff_t>(end));
    if (Status s = writeRecords(chunk); !s.ok()) return s;
    written = end;
    std::lock_guard lock(mu_);
    for (; applied < removals.size() && counted + removals[applied].records <= written; ++applied) {
      const Removal& r = removals[applied];
      counted += r.records;
      auto part = loaded_.find(partitionOf(r.stream));
      if (part == loaded_.end()) continue;
      auto it = part->second.streams.find(r.stream);
      if (it == part->second.streams.end()) continue;
      if (r.kind == StateRecordKind::kBlob)
        it->second.blobs.erase(r.content_id);
      else if (r.kind == StateRecordKind::kFailure)
        it->second.failures.erase(r.content_id);
      else
        it->second.lost.erase(r.content_id);
    }
  }
  if (!tombstones.empty() || keys_removed > 0)
    logger_->info("Pruned the cluster state. tombstones={} record_keys={}", tombstones.size(),
                  keys_removed);
  return okStatus();
}

}  // namespace o365fwd
