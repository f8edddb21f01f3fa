#include "pipeline/inflight_budget.h"

#include <algorithm>

namespace o365fwd {

InflightBudget::InflightBudget(std::uint64_t max_bytes, std::uint64_t max_blobs)
    : max_bytes_(max_bytes), max_blobs_(std::max<std::uint64_t>(max_blobs, 1)) {}

bool InflightBudget::acquireSlot(std::stop_token stop) {
  std::unique_lock lock(mu_);
  bool ok = cv_.wait(lock, stop, [&] { return bytes_ < max_bytes_ && blobs_ < max_blobs_; });
  if (!ok) return false;
  ++blobs_;
  return true;
}

void InflightBudget::addBytes(std::uint64_t bytes) {
  std::lock_guard lock(mu_);
  bytes_ += bytes;
  peak_bytes_ = std::max(peak_bytes_, bytes_);
}

void InflightBudget::release(std::uint64_t bytes) {
  {
    std::lock_guard lock(mu_);
    bytes_ -= std::min(bytes, bytes_);
    if (blobs_ > 0) --blobs_;
  }
  cv_.notify_all();
}

std::uint64_t InflightBudget::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::uint64_t InflightBudget::blobs() const {
  std::lock_guard lock(mu_);
  return blobs_;
}

std::uint64_t InflightBudget::peakBytes() const {
  std::lock_guard lock(mu_);
  return peak_bytes_;
}

}  // namespace o365fwd
