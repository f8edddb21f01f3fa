#include "app/health/render_pool.h"

namespace o365fwd {

RenderPool::RenderPool(std::size_t threads, std::size_t queue_limit)
    : queue_limit_(queue_limit == 0 ? 1 : queue_limit) {
  for (std::size_t i = 0; i < (threads == 0 ? 1 : threads); ++i)
    threads_.emplace_back([this](std::stop_token stop) { work(stop); });
}

RenderPool::~RenderPool() {
  stop();
}

bool RenderPool::submit(std::function<void()> job, const std::function<void()>& on_accept) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= queue_limit_) return false;
    on_accept();
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void RenderPool::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  for (std::jthread& t : threads_) t.request_stop();
  for (std::jthread& t : threads_)
    if (t.joinable()) t.join();
}

void RenderPool::work(std::stop_token stop) {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, stop, [this] { return !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every accepted job has run
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

}  // namespace o365fwd
