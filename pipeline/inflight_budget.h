#pragma once
// Bounds the memory held by blobs that were downloaded but are not yet committed: a byte budget
// and a blob-count budget. A download starts only when both have room (waitForRoom); its actual
// size is added after the download (so the overshoot is at most one blob per download worker).
// This is the backpressure: slow sinks hold budget, downloads wait, listing waits.
// Thread-safe.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>

namespace o365fwd {

class InflightBudget {
 public:
  InflightBudget(std::uint64_t max_bytes, std::uint64_t max_blobs);
  // Blocks until the byte total is below max_bytes and fewer than max_blobs are held, then takes
  // one blob slot. Returns false when `stop` was requested first.
  bool acquireSlot(std::stop_token stop);
  void addBytes(std::uint64_t bytes);
  // Gives back a slot and its bytes.
  void release(std::uint64_t bytes);
  std::uint64_t bytes() const;
  std::uint64_t blobs() const;
  std::uint64_t peakBytes() const;

 private:
  const std::uint64_t max_bytes_;
  const std::uint64_t max_blobs_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::uint64_t bytes_ = 0;
  std::uint64_t blobs_ = 0;
  std::uint64_t peak_bytes_ = 0;
};

}  // namespace o365fwd
