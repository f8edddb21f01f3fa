#include "cluster/state/kafka_state_store.h"

#include <algorithm>
#include <chrono>

#include "cluster/state/kafka_state_log.h"
#include "cluster/tenant_partitioner.h"
#include "cluster/txn/exactly_once_log.h"
#include "cluster/txn/kafka_txn_producer.h"

namespace o365fwd {
namespace {

using std::chrono::duration_cast;
using std::chrono::nanoseconds;

constexpr std::size_t kLoadDigestBatch = 64 * 1024;

WallTime fromNs(std::int64_t ns) {
  return WallTime(duration_cast<WallTime::duration>(nanoseconds(ns)));
}
std::optional<WallTime> fromOptNs(const std::optional<std::int64_t>& ns) {
  if (!ns) return std::nullopt;
  return fromNs(*ns);
}

std::string partitionList(const std::vector<std::int32_t>& partitions) {
  std::string out;
  for (std::int32_t p : partitions) out += (out.empty() ? "" : ",") + std::to_string(p);
  return out;
}

}  // namespace

struct KafkaStateStore::LoadStats {
  std::uint64_t records = 0;
  std::uint64_t foreign = 0;
  std::uint64_t corrupt = 0;
  std::string first_foreign;
  std::string first_corrupt;
  std::optional<Error> fatal;  // a record of a newer format: the load fails
  std::vector<std::pair<KeyDigest, std::int64_t>> digests;  // not yet in keys_
  std::int32_t digests_partition = -1;
};

KafkaStateStore::KafkaStateStore(std::unique_ptr<StateLog> log, int partitions,
                                 std::unique_ptr<LocalStateFiles> local, RecordStage* stage)
    : partitions_(std::max(1, partitions)),
      log_(std::move(log)),
      stage_(stage),
      local_(std::move(local)),
      logger_(getLogger("cluster.state")) {
  if (local_) {
    auto stored = local_->readPositions();
    if (stored.ok()) positions_ = std::move(*stored);
  }
}

std::int32_t KafkaStateStore::partitionOf(const StreamKey& stream) const {
  return tenantPartition(stream.tenant, partitions_);
}

const KafkaStateStore::StreamState* KafkaStateStore::findStream(const StreamKey& stream) const {
  auto part = loaded_.find(partitionOf(stream));
  if (part == loaded_.end()) return nullptr;
  auto it = part->second.streams.find(stream);
  return it == part->second.streams.end() ? nullptr : &it->second;
}

Status KafkaStateStore::requireLoaded(const StreamKey& stream) const {
  const std::int32_t p = partitionOf(stream);
  if (loaded_.count(p)) return okStatus();
  return Error::permanent(ErrorKind::kInternal,
                          "tenant " + stream.tenant + " belongs to state partition " +
                              std::to_string(p) +
                              ", which this instance has not loaded: its state was not written "
                              "(a bug: a tenant is collected only after its partition is loaded)");
}

StateLogRecord KafkaStateStore::checkpointRecord(const StreamKey& stream,
                                                 const CheckpointValue& value) const {
  return StateLogRecord{partitionOf(stream),
                        encodeStateKey({StateRecordKind::kCheckpoint, stream, {}, 0}),
                        encodeCheckpoint(value)};
}

// --- Loading and releasing partitions -------------------------------------------------------

Status KafkaStateStore::applyLoaded(std::int32_t partition, std::string_view key,
                                    std::optional<std::string_view> value, PartitionState& into,
                                    LoadStats& stats) {
  ++stats.records;
  auto decoded = decodeStateKey(key);
  if (decoded.ok() && decoded->kind == StateRecordKind::kPrune && decoded->partition == partition) {
    if (!value) {
      into.last_prune = PruneValue{};
      return okStatus();
    }
    auto prune = decodePrune(*value);
    if (!prune.ok()) {
      if (prune.error().code == "newer-format") return prune.error();
      if (stats.corrupt++ == 0)
        stats.first_corrupt = std::string(key) + ": " + prune.error().message;
      return okStatus();
    }
    into.last_prune = *prune;
    return okStatus();
  }
  if (!decoded.ok() || decoded->kind == StateRecordKind::kPrune ||
      partitionOf(decoded->stream) != partition) {
    if (stats.foreign++ == 0) stats.first_foreign = std::string(key.substr(0, 120));
    return okStatus();
  }
  const StateRecordKey& k = *decoded;
  auto noteCorrupt = [&](const Error& e) -> Status {
    if (e.code == "newer-format") return e;
    if (stats.corrupt++ == 0) stats.first_corrupt = std::string(key) + ": " + e.message;
    return okStatus();
  };
  if (!value) {  // a tombstone
    auto it = into.streams.find(k.stream);
    if (it == into.streams.end()) return okStatus();
    StreamState& st = it->second;
    switch (k.kind) {
      case StateRecordKind::kCheckpoint:
        st.checkpoint = CheckpointValue{};
        st.checkpoint_written = false;
        break;
      case StateRecordKind::kBlob:
        if (k.part == 0) st.blobs.erase(k.content_id);
        break;
      case StateRecordKind::kFailure: st.failures.erase(k.content_id); break;
      case StateRecordKind::kLost: st.lost.erase(k.content_id); break;
      case StateRecordKind::kPrune: break;
    }
    return okStatus();
  }
  StreamState& st = into.streams[k.stream];
  switch (k.kind) {
    case StateRecordKind::kCheckpoint: {
      auto cp = decodeCheckpoint(*value);
      if (!cp.ok()) return noteCorrupt(cp.error());
      st.checkpoint = *cp;
      st.checkpoint_written = true;
      break;
    }
    case StateRecordKind::kBlob: {
      auto blob = decodeBlob(*value);
      if (!blob.ok()) return noteCorrupt(blob.error());
      BlobEntry& e = st.blobs[k.content_id];
      e.done = true;
      e.expiration_ns = std::max(e.expiration_ns, blob->expiration_ns);
      e.committed_at_s = std::max(e.committed_at_s, blob->committed_at_s);
      e.parts = std::max(e.parts, k.part);
      for (const KeyDigest& d : blob->digests) stats.digests.emplace_back(d, blob->committed_at_s);
      break;
    }
    case StateRecordKind::kFailure:
    case StateRecordKind::kLost: {
      auto note = decodeBlobNote(*value);
      if (!note.ok()) return noteCorrupt(note.error());
      if (k.kind == StateRecordKind::kFailure)
        st.failures[k.content_id] = NoteEntry{note->attempts, note->expiration_ns};
      else
        st.lost[k.content_id] = note->expiration_ns;
      break;
    }
    case StateRecordKind::kPrune: break;
  }
  return okStatus();
}

Status KafkaStateStore::loadPartitions(const std::vector<std::int32_t>& partitions,
                                       std::chrono::milliseconds deadline, std::stop_token stop) {
  std::lock_guard load_lock(load_mu_);
  std::vector<std::int32_t> todo;
  // A partition fenced here (exactly-once: another instance took it over meanwhile) is loaded
  // again: its index is older than what the other owner committed.
  std::vector<std::int32_t> fenced;
  if (auto eos = log_->exactlyOnceStats()) fenced = eos->fenced_partitions;
  {
    std::lock_guard lock(mu_);
    for (std::int32_t p : fenced)
      if (std::find(partitions.begin(), partitions.end(), p) != partitions.end() &&
          loaded_.erase(p) > 0)
        keys_.removeIf([&](std::int64_t, std::int32_t q) { return q == p; });
    for (std::int32_t p : partitions) {
      if (p < 0 || p >= partitions_)
        return Error::permanent(ErrorKind::kInternal,
                                "state partition " + std::to_string(p) + " does not exist (" +
                                    std::to_string(partitions_) + " partitions)");
      if (!loaded_.count(p) && std::find(todo.begin(), todo.end(), p) == todo.end())
        todo.push_back(p);
    }
  }
  if (todo.empty()) return okStatus();
  std::sort(todo.begin(), todo.end());
  const auto started = std::chrono::steady_clock::now();
  std::map<std::int32_t, PartitionState> fresh;
  for (std::int32_t p : todo) fresh[p];
  LoadStats stats;
  auto flushDigests = [&] {
    std::lock_guard lock(mu_);
    for (const auto& [d, seen] : stats.digests) keys_.remember(d, seen, stats.digests_partition);
    stats.digests.clear();
  };
  // Exactly-once: fence the partitions' previous writers before reading what they committed.
  if (Status claimed = log_->claim(todo, deadline); !claimed.ok()) {
    Error e = claimed.error();
    e.message = "claiming state partitions " + partitionList(todo) + " failed: " + e.message;
    return e;
  }
  Status read = log_->read(todo, deadline, stop,
                           [&](std::int32_t p, std::string_view key,
                               std::optional<std::string_view> value, std::int64_t) {
                             if (stats.fatal) return;
                             auto it = fresh.find(p);
                             if (it == fresh.end()) return;
                             if (p != stats.digests_partition && !stats.digests.empty())
                               flushDigests();
                             stats.digests_partition = p;
                             Status s = applyLoaded(p, key, value, it->second, stats);
                             if (!s.ok()) stats.fatal = s.error();
                             if (stats.digests.size() >= kLoadDigestBatch) flushDigests();
                           });
  if (!stats.digests.empty()) flushDigests();
  if (read.ok() && stats.fatal) read = *stats.fatal;
  if (!read.ok()) {
    std::lock_guard lock(mu_);
    keys_.removeIf([&](std::int64_t, std::int32_t p) {
      return std::binary_search(todo.begin(), todo.end(), p);
    });
    Error e = read.error();
    e.message = "loading state partitions " + partitionList(todo) + " failed: " + e.message;
    return e;
  }
  std::size_t streams = 0, blobs = 0;
  {
    std::lock_guard lock(mu_);
    // What the partitions' last prune dropped stays dropped (their records may outlive it).
    std::map<std::int32_t, std::int64_t> key_cutoff;
    for (auto& [p, state] : fresh) {
      key_cutoff[p] = state.last_prune.key_cutoff_s;
      for (auto& [_, st] : state.streams)
        for (auto& [id, e] : st.blobs)
          if (e.expiration_ns < state.last_prune.pruned_at_ns) e.done = false;
    }
    keys_.removeIf([&](std::int64_t seen_s, std::int32_t p) {
      auto it = key_cutoff.find(p);
      return it != key_cutoff.end() && seen_s < it->second;
    });
    partitions_loaded_ += fresh.size();
    for (auto& [p, state] : fresh) {
      streams += state.streams.size();
      for (const auto& [_, st] : state.streams) blobs += st.blobs.size();
      loaded_[p] = std::move(state);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  {
    std::lock_guard lock(mu_);
    last_load_seconds_ = seconds;
  }
  logger_->info(
      "Loaded state partitions. partitions={} records={} streams={} blobs={} keys_in_memory={} "
      "seconds={:.2f}",
      partitionList(todo), stats.records, streams, blobs, keyCount(), seconds);
  if (stats.foreign > 0)
    logger_->warn(
        "Ignored records of the state topic that are not o365fwd state of their partition (another "
        "program writes to {}?). count={} first_key=\"{}\"",
        log_->describe(), stats.foreign, stats.first_foreign);
  if (stats.corrupt > 0)
    logger_->error(
        "Ignored damaged state records: the blobs or checkpoints they held are collected again "
        "(duplicates possible, nothing lost). count={} first=\"{}\"",
        stats.corrupt, stats.first_corrupt);
  return okStatus();
}

void KafkaStateStore::releasePartitions(const std::vector<std::int32_t>& partitions) {
  log_->release(partitions);
  std::lock_guard lock(mu_);
  std::vector<std::int32_t> dropped;
  for (std::int32_t p : partitions)
    if (loaded_.erase(p) > 0) dropped.push_back(p);
  if (dropped.empty()) return;
  std::sort(dropped.begin(), dropped.end());
  std::size_t keys = keys_.removeIf([&](std::int64_t, std::int32_t p) {
    return std::binary_search(dropped.begin(), dropped.end(), p);
  });
  logger_->info("Released state partitions. partitions={} keys_dropped={}", partitionList(dropped),
                keys);
}

std::vector<std::int32_t> KafkaStateStore::loadedPartitions() const {
  std::lock_guard lock(mu_);
  std::vector<std::int32_t> out;
  for (const auto& [p, _] : loaded_) out.push_back(p);
  return out;
}

ClusterStateStats KafkaStateStore::stats() const {
  std::lock_guard lock(mu_);
  ClusterStateStats out;
  for (const auto& [p, part] : loaded_) {
    out.partitions.push_back(p);
    out.streams += part.streams.size();
    for (const auto& [_, st] : part.streams) out.blobs += st.blobs.size();
  }
  out.keys = keys_.size();
  out.index_bytes = keys_.memoryBytes();
  out.partitions_loaded = partitions_loaded_;
  out.last_load_seconds = last_load_seconds_;
  out.write_failures = write_failures_;
  out.last_write_error = last_write_error_;
  out.exactly_once = log_->exactlyOnceStats();
  return out;
}

std::size_t KafkaStateStore::keyCount() const {
  std::lock_guard lock(mu_);
  return keys_.size();
}

std::size_t KafkaStateStore::indexBytes() const {
  std::lock_guard lock(mu_);
  return keys_.memoryBytes();
}

// --- Reads -----------------------------------------------------------------------------------

Result<std::optional<WallTime>> KafkaStateStore::watermark(const StreamKey& stream) {
  std::lock_guard lock(mu_);
  const StreamState* st = findStream(stream);
  if (!st) return std::optional<WallTime>();
  return fromOptNs(st->checkpoint.watermark_ns);
}

Result<std::vector<bool>> KafkaStateStore::blobsDone(const StreamKey& stream,
                                                     const std::vector<std::string>& content_ids) {
  std::vector<bool> done(content_ids.size(), false);
  std::lock_guard lock(mu_);
  const StreamState* st = findStream(stream);
  if (!st) return done;
  for (std::size_t i = 0; i < content_ids.size(); ++i) {
    auto it = st->blobs.find(content_ids[i]);
    done[i] = it != st->blobs.end() && it->second.done;
  }
  return done;
}

Result<std::vector<bool>> KafkaStateStore::keysSeen(const std::vector<RecordKey>& keys) {
  std::vector<bool> seen(keys.size(), false);
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < keys.size(); ++i) seen[i] = keys_.contains(digestOf(keys[i]));
  return seen;
}

Result<std::vector<SinkPosition>> KafkaStateStore::sinkPositions() {
  std::lock_guard lock(mu_);
  return positions_;
}

Result<std::vector<StreamCounters>> KafkaStateStore::counters() {
  std::vector<StreamCounters> out;
  std::lock_guard lock(mu_);
  for (const auto& [_, part] : loaded_) {
    for (const auto& [stream, st] : part.streams) {
      const CheckpointValue& cp = st.checkpoint;
      StreamCounters c;
      c.stream = stream;
      c.watermark = fromOptNs(cp.watermark_ns);
      c.blobs_done = cp.blobs_done;
      c.events_forwarded = cp.events_forwarded;
      c.duplicates_dropped = cp.duplicates_dropped;
      c.dead_lettered = cp.dead_lettered;
      c.blobs_lost = cp.blobs_lost;
      c.records_filtered = cp.records_filtered;
      c.last_success = fromOptNs(cp.last_success_ns);
      out.push_back(std::move(c));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const StreamCounters& a, const StreamCounters& b) { return a.stream < b.stream; });
  return out;
}

Result<SweepRecord> KafkaStateStore::sweepRecord(const StreamKey& stream) {
  std::lock_guard lock(mu_);
  SweepRecord out;
  if (const StreamState* st = findStream(stream)) {
    out.last_sweep = fromOptNs(st->checkpoint.last_sweep_ns);
    out.floor = fromOptNs(st->checkpoint.sweep_floor_ns);
  }
  return out;
}

}  // namespace o365fwd

namespace o365fwd {

Result<std::unique_ptr<ClusterStateStore>> openKafkaStateStore(
    const ClusterKafkaConfig& config, const std::string& client_id, Clock& clock,
    const std::filesystem::path& state_dir, const KafkaStateStoreOptions& options) {
  auto local = LocalStateFiles::open(state_dir);
  if (!local) return local.error();
  auto log = openKafkaStateLog(config, client_id, clock, options.commit_timeout);
  if (!log) return log.error();
  if (!options.exactly_once)
    return std::unique_ptr<ClusterStateStore>(
        new KafkaStateStore(std::move(*log), config.partitions, std::move(*local)));
  KafkaTxnProducerOptions txn;
  txn.client_id = client_id;
  txn.compression = options.compression;
  txn.transaction_timeout = options.commit_timeout + std::chrono::seconds(30);
  auto factory = kafkaTxnProducerFactory(config, txn);
  if (!factory) return factory.error();
  ExactlyOnceOptions eos;
  eos.group = config.group;
  eos.partitions = config.partitions;
  eos.commit_timeout = options.commit_timeout;
  auto exactly_once =
      std::make_unique<ExactlyOnceLog>(std::move(*log), std::move(*factory), eos, clock);
  RecordStage* stage = exactly_once.get();
  return std::unique_ptr<ClusterStateStore>(
      new KafkaStateStore(std::move(exactly_once), config.partitions, std::move(*local), stage));
}

}  // namespace o365fwd
