#include "pipeline/inflight_budget.h"

#include <algorithm>

namespace o365fwd {

InflightBudget::InflightBudget(std::uint64_t max_bytes, std::uint64_t max_blobs,
                               std::uint64_t parse_reserve_percent)
    : max_bytes_(max_bytes),
      max_blobs_(std::max<std::uint64_t>(max_blobs, 1)),
      parse_reserve_percent_(parse_reserve_percent) {
  keeper_->budget_ = this;
}

InflightBudget::~InflightBudget() {
  std::lock_guard lock(keeper_->mu_);
  keeper_->budget_ = nullptr;
}

bool InflightBudget::acquireSlot(std::stop_token stop) {
  std::unique_lock lock(mu_);
  bool ok = cv_.wait(lock, stop, [&] {
    if (bytes_ >= max_bytes_ && !kept_.empty()) {
      std::vector<std::string> dropped;  // rare: freed at once, under the lock
      dropKeptLocked(dropped);
    }
    return bytes_ < max_bytes_ && blobs_ < max_blobs_;
  });
  if (!ok) return false;
  ++blobs_;
  return true;
}

void InflightBudget::addBytes(std::uint64_t bytes) {
  std::lock_guard lock(mu_);
  bytes_ += bytes;
  peak_bytes_ = std::max(peak_bytes_, bytes_);
}

void InflightBudget::giveBack(std::uint64_t bytes) {
  {
    std::lock_guard lock(mu_);
    bytes_ -= std::min(bytes, bytes_);
  }
  cv_.notify_all();
}

void InflightBudget::release(std::uint64_t bytes) {
  {
    std::lock_guard lock(mu_);
    bytes_ -= std::min(bytes, bytes_);
    if (blobs_ > 0) --blobs_;
  }
  cv_.notify_all();
}

void InflightBudget::setSharedBytes(std::uint64_t bytes) {
  bool less;
  {
    std::lock_guard lock(mu_);
    less = bytes < shared_;
    bytes_ = bytes_ - std::min(shared_, bytes_) + bytes;
    shared_ = bytes;
    peak_bytes_ = std::max(peak_bytes_, bytes_);
  }
  if (less) cv_.notify_all();
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

std::uint64_t InflightBudget::preemptions() const {
  std::lock_guard lock(mu_);
  return preemptions_;
}

std::unique_ptr<InflightBudget::Download> InflightBudget::startDownload() {
  std::lock_guard lock(mu_);
  std::unique_ptr<Download> d(new Download(*this, next_seq_++));
  downloads_.emplace(d->seq_, d.get());
  return d;
}

bool InflightBudget::waitUntilOldest(std::uint64_t seq, std::stop_token stop) {
  std::unique_lock lock(mu_);
  return cv_.wait(lock, stop,
                  [&] { return !downloads_.empty() && downloads_.begin()->first == seq; });
}

void InflightBudget::giveBackLocked(Download& d) {
  bytes_ -= std::min(d.bytes_, bytes_);
  downloading_bytes_ -= std::min(d.bytes_, downloading_bytes_);
  d.bytes_ = 0;
  d.waiting_ = false;
  d.preempted_ = false;
}

InflightBudget::Download::~Download() {
  {
    std::lock_guard lock(budget_.mu_);
    budget_.giveBackLocked(*this);
    budget_.downloads_.erase(seq_);
  }
  budget_.cv_.notify_all();
}

BodyBudget::Grant InflightBudget::Download::grow(std::uint64_t body_bytes) {
  InflightBudget& b = budget_;
  const std::uint64_t n = body_bytes + body_bytes * b.parse_reserve_percent_ / 100;
  std::vector<std::string> dropped;  // freed after the lock
  std::lock_guard lock(b.mu_);
  if (bytes_ + n > b.max_bytes_) return Grant::kNever;
  if (preempted_) return Grant::kWait;  // the transport aborts it next
  // Kept bodies never make a download wait (nor count as blobs that will give bytes back).
  if (b.bytes_ + n > b.max_bytes_ && !b.kept_.empty()) b.dropKeptLocked(dropped);
  Download* head = b.downloads_.empty() ? nullptr : b.downloads_.begin()->second;
  const bool is_head = head == this;
  const bool head_waiting = head && !is_head && head->waiting_;
  // The shared bytes shrink as held blobs are committed, to a small floor once none is held: the
  // head then takes what it needs (its own bytes fit, above) rather than wait for them forever.
  const bool alone = is_head && b.bytes_ - std::min(b.bytes_, b.shared_) <= bytes_;
  if (!head_waiting && (b.bytes_ + n <= b.max_bytes_ || alone)) {
    bytes_ += n;
    b.bytes_ += n;
    b.downloading_bytes_ += n;
    b.peak_bytes_ = std::max(b.peak_bytes_, b.bytes_);
    waiting_ = false;
    return Grant::kGranted;
  }
  waiting_ = true;
  if (is_head) {
    // Blobs already downloaded give their bytes back once their sinks took them. Only when they
    // hold too little to ever make room must a younger download give way.
    const std::uint64_t free = b.max_bytes_ - std::min(b.bytes_, b.max_bytes_);
    const std::uint64_t downloaded =
        b.bytes_ - std::min(b.bytes_, b.downloading_bytes_ + b.shared_);
    const bool pending = std::any_of(b.downloads_.begin(), b.downloads_.end(),
                                     [](const auto& e) { return e.second->preempted_; });
    if (free + downloaded < n && !pending) {
      for (auto it = b.downloads_.rbegin(); it != b.downloads_.rend(); ++it) {
        Download* d = it->second;
        if (d == this || d->preempted_ || !d->waiting_ || d->bytes_ == 0) continue;
        d->preempted_ = true;
        ++b.preemptions_;
        break;
      }
    }
  }
  return Grant::kWait;
}

bool InflightBudget::Download::preempted() const {
  std::lock_guard lock(budget_.mu_);
  return preempted_;
}

void InflightBudget::Download::discard() {
  {
    std::lock_guard lock(budget_.mu_);
    budget_.giveBackLocked(*this);
  }
  budget_.cv_.notify_all();
}

std::string InflightBudget::Download::reusableBuffer(std::uint64_t body_bytes) {
  InflightBudget& b = budget_;
  std::string out;
  {
    std::lock_guard lock(b.mu_);
    // The smallest kept body that holds `body_bytes` without wasting more than an eighth.
    std::size_t best = b.kept_.size();
    for (std::size_t i = 0; i < b.kept_.size(); ++i) {
      const std::uint64_t cap = b.kept_[i].capacity();
      if (cap < body_bytes || cap > body_bytes + body_bytes / 8) continue;
      if (best == b.kept_.size() || cap < b.kept_[best].capacity()) best = i;
    }
    if (best == b.kept_.size()) return out;
    out = std::move(b.kept_[best]);
    b.kept_.erase(b.kept_.begin() + static_cast<std::ptrdiff_t>(best));
    b.kept_bytes_ -= out.capacity();
    b.bytes_ -= std::min<std::uint64_t>(out.capacity(), b.bytes_);
  }
  b.cv_.notify_all();
  out.clear();
  return out;
}

std::uint64_t InflightBudget::keptBytes() const {
  std::lock_guard lock(mu_);
  return kept_bytes_;
}

void InflightBudget::keepLocked(std::string& body) {
  const std::uint64_t cap = body.capacity();
  if (cap < kMinKeptBody || cap > kMaxKeptBody || kept_.size() >= kKeptBodies) return;
  if (kept_bytes_ + cap > max_bytes_ / 16 || bytes_ + cap > max_bytes_ / 2) return;
  kept_bytes_ += cap;
  bytes_ += cap;
  peak_bytes_ = std::max(peak_bytes_, bytes_);
  kept_.push_back(std::move(body));
}

void InflightBudget::dropKeptLocked(std::vector<std::string>& out) {
  for (std::string& body : kept_) out.push_back(std::move(body));
  kept_.clear();
  bytes_ -= std::min(kept_bytes_, bytes_);
  kept_bytes_ = 0;
}

void InflightBudget::BodyKeeper::keep(std::string body) {
  // `body`, when not kept, is freed when this returns: after both locks are released.
  std::lock_guard lock(mu_);
  if (budget_ == nullptr) return;
  std::lock_guard budget_lock(budget_->mu_);
  budget_->keepLocked(body);
}

std::uint64_t InflightBudget::Download::keep() {
  std::lock_guard lock(budget_.mu_);
  const std::uint64_t kept = bytes_;
  budget_.downloading_bytes_ -= std::min(kept, budget_.downloading_bytes_);
  bytes_ = 0;
  waiting_ = false;
  return kept;
}

}  // namespace o365fwd
