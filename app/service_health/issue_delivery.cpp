#include "app/service_health/issue_delivery.h"

#include <memory>
#include <mutex>

#include "core/logging.h"
#include "core/secrets/redact.h"

namespace o365fwd {
namespace {

// The reports of one deliver() call; shared with the sinks' callbacks, which may fire after the
// caller stopped waiting.
struct Reports {
  std::mutex mu;
  std::vector<std::optional<DeliveryReport>> by_sink;
  std::size_t outstanding = 0;
};

constexpr std::chrono::milliseconds kPollStep{20};

}  // namespace

bool IssueDelivery::deliver(const BatchPtr& batch, std::vector<bool>& delivered,
                            std::string& problem, std::uint64_t& rejected,
                            std::chrono::milliseconds timeout, std::stop_token stop) {
  delivered.resize(sinks_.size(), false);
  auto reports = std::make_shared<Reports>();
  reports->by_sink.resize(sinks_.size());
  for (std::size_t i = 0; i < sinks_.size(); ++i)
    if (!delivered[i]) ++reports->outstanding;
  for (std::size_t i = 0; i < sinks_.size(); ++i) {
    if (delivered[i]) continue;
    sinks_[i]->send(
        batch,
        [reports, i](DeliveryReport report) {
          std::lock_guard lock(reports->mu);
          reports->by_sink[i] = std::move(report);
          --reports->outstanding;
        },
        stop);
  }
  const SteadyTime deadline = clock_.steadyNow() + timeout;
  for (;;) {
    {
      std::lock_guard lock(reports->mu);
      if (reports->outstanding == 0) break;
    }
    if (stop.stop_requested() || clock_.steadyNow() >= deadline) break;
    clock_.sleepFor(kPollStep, stop);
  }
  std::lock_guard lock(reports->mu);
  bool all = true;
  for (std::size_t i = 0; i < sinks_.size(); ++i) {
    if (delivered[i]) continue;
    const std::optional<DeliveryReport>& report = reports->by_sink[i];
    if (!report) {
      all = false;
      problem = "sink " + sinks_[i]->name() + " did not answer in time";
      continue;
    }
    if (report->status != DeliveryStatus::kDelivered) {
      all = false;
      problem = "sink " + sinks_[i]->name() + ": " +
                (report->error ? report->error->describe() : std::string("not delivered"));
      continue;
    }
    delivered[i] = true;
    for (const RejectedRecord& r : report->rejected) {
      ++rejected;
      std::string where = "(not written)";
      if (dead_letters_) {
        auto path = dead_letters_->write(batch->content, "sink-rejected",
                                         sinks_[i]->name() + ": " + r.reason, batch->raw(r.index));
        if (path.ok()) where = path->string();
      }
      getLogger("app.service_health")
          ->error(
              "A sink refused a service health record; kept as a dead letter. sink={} "
              "tenant={} issue={} reason={} file={}",
              sinks_[i]->name(), batch->content.stream.tenant, batch->id(r.index),
              redactSecrets(r.reason), where);
    }
  }
  return all;
}

Status IssueDelivery::commit(const ContentRef& content, const std::vector<RecordKey>& keys,
                             std::uint64_t records) {
  BlobCommit c;
  c.content = content;
  c.keys = keys;
  c.records_forwarded = records;
  // The sinks' positions move on with this commit too (the file sink's recovered tail stays
  // short while audit content is idle); a position is valid whichever committer stores it last.
  std::vector<SinkPosition> positions;
  for (Sink* sink : sinks_)
    if (auto p = sink->durablePosition({content}))
      positions.push_back({sink->name(), std::move(*p)});
  Status s = store_.commit({c}, {}, positions, clock_.wallNow());
  if (!s.ok()) return s;
  for (Sink* sink : sinks_) sink->forgetDone({content});
  return okStatus();
}

}  // namespace o365fwd
