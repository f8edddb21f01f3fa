#include "cluster/txn/exactly_once_log.h"

#include <algorithm>
#include <set>
#include <thread>

#include "cluster/cluster_options.h"
#include "cluster/tenant_partitioner.h"
#include "sinks/kafka/kafka_options.h"

namespace o365fwd {
namespace {

constexpr auto kRetryPause = std::chrono::milliseconds(100);

std::string contentKey(const ContentRef& c) {
  std::string key = c.stream.tenant;
  key += '\x1f';
  key += c.stream.content_type;
  key += '\x1f';
  key += c.content_id;
  return key;
}

}  // namespace

std::string transactionalId(const std::string& group, std::int32_t partition) {
  return group + ".tx." + std::to_string(partition);
}

ExactlyOnceLog::ExactlyOnceLog(std::unique_ptr<StateLog> inner, TxnProducerFactory factory,
                               ExactlyOnceOptions options, Clock& clock)
    : inner_(std::move(inner)),
      factory_(std::move(factory)),
      options_(std::move(options)),
      clock_(clock),
      state_topic_(stateTopic(options_.group)) {}

ExactlyOnceLog::~ExactlyOnceLog() {
  std::lock_guard txn(txn_mu_);
  std::lock_guard lock(mu_);
  parts_.clear();  // producers destroyed: a transaction still pending is the next owner's to end
  staged_.clear();
}

Status ExactlyOnceLog::write(const std::vector<StateLogRecord>& records) {
  return inner_->write(records);
}
void ExactlyOnceLog::writeAsync(const std::vector<StateLogRecord>& records) {
  inner_->writeAsync(records);
}
Status ExactlyOnceLog::read(const std::vector<std::int32_t>& partitions,
                            std::chrono::milliseconds deadline, std::stop_token stop,
                            const RecordVisitor& visit) {
  return inner_->read(partitions, deadline, stop, visit);
}
std::string ExactlyOnceLog::describe() const {
  return inner_->describe();
}

std::int32_t ExactlyOnceLog::partitionOf(const std::string& tenant) const {
  return tenantPartition(tenant, options_.partitions);
}

std::chrono::milliseconds ExactlyOnceLog::left(SteadyTime deadline) const {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_.steadyNow());
  return std::max(ms, std::chrono::milliseconds(1));
}

Error ExactlyOnceLog::failure(std::int32_t p, const TxnError& why, const std::string& doing) const {
  return Error::retryableError(
      ErrorKind::kTransport,
      doing + " of partition " + std::to_string(p) + " (" + transactionalId(options_.group, p) +
          ") on " + describe() + " failed (" + why.code + ": " + why.message +
          "): check that the brokers run and are reachable; nothing is acknowledged until the "
          "transaction commits",
      why.code);
}

Status ExactlyOnceLog::claim(const std::vector<std::int32_t>& partitions,
                             std::chrono::milliseconds deadline) {
  std::lock_guard txn(txn_mu_);
  const SteadyTime until = clock_.steadyNow() + deadline;
  for (std::int32_t p : partitions) {
    {
      std::lock_guard lock(mu_);
      auto it = parts_.find(p);
      if (it != parts_.end() && it->second.producer && !it->second.fenced) continue;
    }
    const std::string id = transactionalId(options_.group, p);
    auto made = factory_(id);
    if (!made.ok()) return made.error();
    std::unique_ptr<TxnProducer> producer = std::move(*made);
    TxnResult r;
    for (;;) {
      r = producer->init(left(until));
      if (!r || r->kind != TxnErrorClass::kRetriable || clock_.steadyNow() + kRetryPause >= until)
        break;
      clock_.sleepFor(kRetryPause, {});
    }
    if (r) {
      if (r->kind == TxnErrorClass::kRetriable)
        return failure(p, *r, "registering the transactional producer");
      return Error::permanent(
          ErrorKind::kPermission,
          "Kafka refused the transactional producer " + id + " on " + describe() + " (" + r->code +
              ": " + r->message + "): check the principal's Write ACL on the transactional id " +
              options_.group +
              ".tx.*, IdempotentWrite on the cluster and that the brokers support transactions",
          r->code);
    }
    std::lock_guard lock(mu_);
    PartitionTxn& part = parts_[p];
    part.producer = std::move(producer);
    part.generation = ++next_generation_;
    part.fenced = false;
    part.pending = Pending::kNone;
    part.pending_keys.clear();
    stats_.fenced_partitions.erase(
        std::remove(stats_.fenced_partitions.begin(), stats_.fenced_partitions.end(), p),
        stats_.fenced_partitions.end());
    log_->info("Took over the transactions of a partition. partition={} transactional_id={}", p,
               id);
  }
  return okStatus();
}

void ExactlyOnceLog::release(const std::vector<std::int32_t>& partitions) {
  std::lock_guard txn(txn_mu_);
  std::lock_guard lock(mu_);
  const std::set<std::int32_t> gone(partitions.begin(), partitions.end());
  for (std::int32_t p : partitions) parts_.erase(p);
  for (auto it = staged_.begin(); it != staged_.end();) {
    auto& list = it->second;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const Staged& s) { return gone.count(s.partition) > 0; }),
               list.end());
    it = list.empty() ? staged_.erase(it) : std::next(it);
  }
  auto& fenced = stats_.fenced_partitions;
  fenced.erase(std::remove_if(fenced.begin(), fenced.end(),
                              [&](std::int32_t p) { return gone.count(p) > 0; }),
               fenced.end());
}

void ExactlyOnceLog::stage(const StagedSink& sink, BatchPtr batch,
                           std::vector<std::uint32_t> skip) {
  std::sort(skip.begin(), skip.end());
  Staged s;
  s.partition = partitionOf(batch->content.stream.tenant);
  s.sink = sink;
  s.skip = std::move(skip);
  const std::string key = contentKey(batch->content);
  s.batch = std::move(batch);
  std::lock_guard lock(mu_);
  if (auto it = parts_.find(s.partition); it != parts_.end()) s.generation = it->second.generation;
  auto& list = staged_[key];
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const Staged& old) { return old.sink.name == s.sink.name; }),
             list.end());
  list.push_back(std::move(s));
}

std::size_t ExactlyOnceLog::stagedBlobs() const {
  std::lock_guard lock(mu_);
  return staged_.size();
}

void ExactlyOnceLog::unstage(const std::vector<std::string>& keys, std::uint64_t generation) {
  std::lock_guard lock(mu_);
  for (const std::string& key : keys) {
    auto it = staged_.find(key);
    if (it == staged_.end()) continue;
    auto& list = it->second;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const Staged& s) { return s.generation == generation; }),
               list.end());
    if (list.empty()) staged_.erase(it);
  }
}

void ExactlyOnceLog::fence(std::int32_t p, PartitionTxn& part, const TxnError& why) {
  const std::string id = transactionalId(options_.group, p);
  std::string what =
      why.fenced
          ? "partition " + std::to_string(p) + " was taken over by another instance (" + id +
                " fenced: " + why.code +
                "): this instance was paused or cut off longer than the session; its tenants of "
                "that partition stop here and the new owner collects them. Nothing to do unless "
                "it repeats: then check that no two groups share the name " +
                options_.group + " and that instances are not paused (VM snapshots, swapping)"
          : "the transactional producer of partition " + std::to_string(p) + " (" + id +
                ") failed fatally (" + why.code + ": " + why.message +
                "): its tenants stop here; restart this instance (or wait for a rebalance) so "
                "the partition is claimed again";
  log_->error("Transactions of a partition fenced; nothing more of it is written. {}", what);
  part.producer.reset();
  std::lock_guard lock(mu_);
  part.fenced = true;
  part.pending = Pending::kNone;
  part.pending_keys.clear();
  auto& fenced = stats_.fenced_partitions;
  if (std::find(fenced.begin(), fenced.end(), p) == fenced.end()) {
    fenced.push_back(p);
    std::sort(fenced.begin(), fenced.end());
  }
  stats_.fenced_error = what;
}

ExactlyOnceLog::Outcome ExactlyOnceLog::resumePending(std::int32_t p, PartitionTxn& part,
                                                      SteadyTime deadline, Error& error) {
  while (part.pending != Pending::kNone) {
    const bool committing = part.pending == Pending::kCommit;
    TxnResult r =
        committing ? part.producer->commit(left(deadline)) : part.producer->abort(left(deadline));
    if (!r) {
      std::vector<std::string> keys;
      {
        std::lock_guard lock(mu_);
        ++(committing ? stats_.transactions_committed : stats_.transactions_aborted);
        keys.swap(part.pending_keys);
        part.pending = Pending::kNone;
      }
      if (committing) unstage(keys, part.generation);
      continue;
    }
    if (r->kind == TxnErrorClass::kFatal) {
      fence(p, part, *r);
      return Outcome::kFenced;
    }
    if (r->kind == TxnErrorClass::kAbortable && committing) {
      part.pending = Pending::kAbort;  // its records stay staged: produced again
      continue;
    }
    // Retriable: again after a pause (librdkafka answers some retriable errors at once).
    if (clock_.steadyNow() + kRetryPause >= deadline) {
      error =
          failure(p, *r, committing ? "committing the transaction" : "aborting the transaction");
      return Outcome::kFailed;
    }
    clock_.sleepFor(kRetryPause, {});
  }
  return Outcome::kCommitted;
}

TxnResult ExactlyOnceLog::produceAll(PartitionTxn& part, const Work& work, SteadyTime deadline,
                                     std::uint64_t& sink_records) {
  std::vector<Staged> batches;
  {
    std::lock_guard lock(mu_);
    for (const std::string& key : work.keys)
      if (auto it = staged_.find(key); it != staged_.end())
        for (const Staged& s : it->second)
          if (s.generation == part.generation) batches.push_back(s);
  }
  for (const Staged& s : batches) {
    const RecordBatch& b = *s.batch;
    const std::string topic =
        expandTopic(s.sink.topic_template, b.content.stream.tenant, b.content.stream.content_type);
    TxnMessage m;
    m.topic = topic;
    m.headers = {{"o365.tenant", b.content.stream.tenant},
                 {"o365.content_type", b.content.stream.content_type},
                 {"o365.content_id", b.content.content_id}};
    std::size_t skip_at = 0;
    for (std::size_t i = 0; i < b.size(); ++i) {
      if (skip_at < s.skip.size() && s.skip[skip_at] == i) {
        ++skip_at;
        continue;
      }
      m.key = b.id(i);
      m.value = b.raw(i);
      if (TxnResult r = part.producer->produce(m, left(deadline))) return r;
      ++sink_records;
    }
  }
  for (const StateLogRecord* r : work.records) {
    TxnMessage m;
    m.topic = state_topic_;
    m.partition = r->partition;
    m.key = r->key;
    if (r->value) m.value = std::string_view(*r->value);
    if (TxnResult e = part.producer->produce(m, left(deadline))) return e;
  }
  return std::nullopt;
}

ExactlyOnceLog::Outcome ExactlyOnceLog::runTransaction(std::int32_t p, PartitionTxn& part,
                                                       const Work& work, Error& error) {
  const SteadyTime deadline = clock_.steadyNow() + options_.commit_timeout;
  if (Outcome o = resumePending(p, part, deadline, error); o != Outcome::kCommitted) return o;
  TxnResult last;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (TxnResult r = part.producer->begin()) {
      if (r->kind == TxnErrorClass::kFatal) {
        fence(p, part, *r);
        return Outcome::kFenced;
      }
      error = failure(p, *r, "starting a transaction");
      return Outcome::kFailed;
    }
    std::uint64_t sink_records = 0;
    TxnResult r = produceAll(part, work, deadline, sink_records);
    if (!r) r = part.producer->commit(left(deadline));
    if (!r) {
      unstage(work.keys, part.generation);
      std::lock_guard lock(mu_);
      ++stats_.transactions_committed;
      stats_.records_committed += sink_records;
      return Outcome::kCommitted;
    }
    if (r->kind == TxnErrorClass::kFatal) {
      fence(p, part, *r);
      return Outcome::kFenced;
    }
    last = r;
    // Retriable (a commit that timed out): resumed first by the next writeCommit. Abortable: abort
    // and produce everything again in a new transaction.
    {
      std::lock_guard lock(mu_);
      part.pending = r->kind == TxnErrorClass::kRetriable ? Pending::kCommit : Pending::kAbort;
      part.pending_keys = work.keys;
    }
    log_->warn(
        "A transaction of a partition failed; {}. partition={} attempt={} error={} detail={}",
        part.pending == Pending::kCommit ? "its commit is resumed"
                                         : "it is aborted and its "
                                           "records produced again",
        p, attempt + 1, r->code, r->message);
    if (Outcome o = resumePending(p, part, deadline, error); o != Outcome::kCommitted) return o;
    if (clock_.steadyNow() >= deadline) break;
  }
  error = failure(p, last.value_or(TxnError{}), "writing a transaction");
  return Outcome::kFailed;
}

Status ExactlyOnceLog::writeCommit(const std::vector<StateLogRecord>& records,
                                   const std::vector<ContentRef>& blobs,
                                   std::vector<std::int32_t>& dropped) {
  std::lock_guard txn(txn_mu_);
  std::map<std::int32_t, Work> work;
  for (const StateLogRecord& r : records) work[r.partition].records.push_back(&r);
  for (const ContentRef& c : blobs)
    work[partitionOf(c.stream.tenant)].keys.push_back(contentKey(c));
  std::optional<Error> first;
  struct Run {
    std::int32_t p;
    PartitionTxn* part;
    const Work* work;
    Outcome outcome;
    Error error;
  };
  std::vector<Run> runs;
  for (auto& [p, w] : work) {
    PartitionTxn* part = nullptr;
    bool stale = false;
    {
      std::lock_guard lock(mu_);
      auto it = parts_.find(p);
      if (it != parts_.end()) {
        part = &it->second;
        stale = part->fenced;
        for (const std::string& key : w.keys)
          if (auto s = staged_.find(key); s != staged_.end())
            for (const Staged& st : s->second) stale = stale || st.generation != part->generation;
      }
    }
    if (!part) {
      if (!first)
        first = Error::permanent(ErrorKind::kInternal,
                                 "partition " + std::to_string(p) +
                                     " is not claimed for transactions (a commit for a partition "
                                     "this instance does not hold)");
      continue;
    }
    if (stale) {
      dropped.push_back(p);
      std::lock_guard lock(mu_);
      stats_.blobs_dropped += w.keys.size();
      continue;
    }
    runs.push_back(
        {p, part, &w, Outcome::kFailed, Error::retryableError(ErrorKind::kTransport, "")});
  }
  // The partitions' transactions run at once, one thread each (each has its own producer): a
  // commit touching several partitions costs about one transaction's round trips, not their sum.
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < runs.size(); ++i)
    threads.emplace_back([this, &run = runs[i]] {
      run.outcome = runTransaction(run.p, *run.part, *run.work, run.error);
    });
  if (!runs.empty())
    runs[0].outcome = runTransaction(runs[0].p, *runs[0].part, *runs[0].work, runs[0].error);
  for (std::thread& t : threads) t.join();
  for (Run& run : runs) {
    if (run.outcome == Outcome::kFenced) {
      dropped.push_back(run.p);
      std::lock_guard lock(mu_);
      stats_.blobs_dropped += run.work->keys.size();
    } else if (run.outcome == Outcome::kFailed && !first) {
      first = run.error;
    }
  }
  if (first) return *first;
  return okStatus();
}

std::optional<ExactlyOnceStats> ExactlyOnceLog::exactlyOnceStats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace o365fwd
