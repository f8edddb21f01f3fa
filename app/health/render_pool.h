#pragma once
// A bounded pool of threads for the health endpoint's slow answers (/status, /metrics and the
// page of a large deployment take milliseconds to render), so the server's single polling thread
// never waits for them and probes keep being answered. Owns its threads.
// submit() is called on the polling thread and never blocks: it refuses when `queue_limit` jobs
// are waiting or the pool is stopping. stop() (idempotent, also in the destructor) refuses new
// jobs, runs every job already accepted, then joins: each accepted job runs exactly once.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace o365fwd {

class RenderPool {
 public:
  RenderPool(std::size_t threads, std::size_t queue_limit);
  ~RenderPool();
  RenderPool(const RenderPool&) = delete;
  RenderPool& operator=(const RenderPool&) = delete;

  // On acceptance `on_accept` runs first (under the pool's lock, before any thread can start
  // `job`); on refusal neither runs.
  bool submit(std::function<void()> job, const std::function<void()>& on_accept);
  void stop();

 private:
  void work(std::stop_token stop);

  const std::size_t queue_limit_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::jthread> threads_;
};

}  // namespace o365fwd
