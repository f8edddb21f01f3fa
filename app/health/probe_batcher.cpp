#include "app/health/probe_batcher.h"

namespace o365fwd {

ProbeBatcher::ProbeBatcher(std::function<StatusReport()> snapshot, std::size_t limit)
    : snapshot_(std::move(snapshot)), limit_(limit == 0 ? 1 : limit) {
  thread_ = std::jthread([this](std::stop_token stop) { work(stop); });
}

ProbeBatcher::~ProbeBatcher() {
  stop();
}

bool ProbeBatcher::submit(Reply reply, const std::function<void()>& on_accept) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || waiting_.size() >= limit_) return false;
    on_accept();
    waiting_.push_back(std::move(reply));
  }
  cv_.notify_one();
  return true;
}

void ProbeBatcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void ProbeBatcher::work(std::stop_token stop) {
  for (;;) {
    std::vector<Reply> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, stop, [this] { return !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopping, and every accepted probe was answered
      batch.swap(waiting_);
    }
    const StatusReport report = snapshot_();  // taken after every probe of the batch arrived
    for (Reply& reply : batch) reply(report);
  }
}

}  // namespace o365fwd
