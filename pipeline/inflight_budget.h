#pragma once
// Bounds the memory held by blobs that are downloading or downloaded but not yet committed: a
// byte budget (decoded body bytes) and a blob-count budget. A download starts only when both have
// room (acquireSlot); its body is then counted piece by piece while it arrives (Download, the
// transport's BodyBudget), so no download can hold more than the budget grants.
// This is the backpressure: slow sinks hold budget, downloads pause, listing waits.
//
// No deadlock between downloads: the oldest download (the head) has priority. While it waits,
// younger downloads take no new bytes; and when the bytes it needs can come only from other
// downloads (blobs already downloaded hold too little to ever make room), the youngest paused
// download is preempted: its transfer is aborted, its bytes given back, and it is fetched again.
// A body that alone would exceed the whole budget is refused (kNever) at once.
// Parse reserve: a downloaded body is parsed into tables (decoded fields, record offsets, keys)
// that live as long as it does. With parse_reserve_percent > 0 every body byte is charged that
// much more while it arrives, so the budget holds room for the parse before the body is whole;
// the owner trues the charge up to the real figure afterwards (addBytes / giveBack).
// Body reuse: the bodies of freed blobs are kept (BodyKeeper, from any thread) for the next
// downloads to decode into (Download::reusableBuffer, the transport's I/O thread): their pages are
// mapped already, so decoding costs no page faults and no zeroing by the kernel (run --once spent
// 0.3-0.4 us a record on them). A kept body counts in bytes() like a held blob; at most
// kKeptBodies of them, of kMinKeptBody..kMaxKeptBody bytes, at most max_bytes/16 in all, kept only
// while half the budget is free, and all dropped as soon as a download or a slot waits for room.
// Thread-safe: workers call acquireSlot/startDownload/keep, the transport's I/O thread calls
// Download::grow/preempted/discard/reusableBuffer, the committer calls release.
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "connector/http/http_transport.h"

namespace o365fwd {

class InflightBudget {
 public:
  InflightBudget(std::uint64_t max_bytes, std::uint64_t max_blobs,
                 std::uint64_t parse_reserve_percent = 0);
  // Blocks until the byte total is below max_bytes and fewer than max_blobs are held, then takes
  // one blob slot. Returns false when `stop` was requested first.
  bool acquireSlot(std::stop_token stop);
  void addBytes(std::uint64_t bytes);
  // Gives back bytes of a held blob without its slot (a charge trued up to the real figure).
  void giveBack(std::uint64_t bytes);
  // Gives back a slot and its bytes.
  void release(std::uint64_t bytes);
  // Memory all held blobs share, measured by its owner (the de-duplicator's in-flight key table):
  // counted with the blobs' bytes, replacing the previous figure. It is not given back by a
  // preemption; a head download that is the only holder besides it is not kept waiting by it.
  void setSharedBytes(std::uint64_t bytes);
  std::uint64_t bytes() const;
  std::uint64_t blobs() const;
  std::uint64_t peakBytes() const;
  std::uint64_t maxBytes() const { return max_bytes_; }
  std::uint64_t preemptions() const;  // downloads aborted to make room for an older one

  // One blob body's claim while it downloads. Destroying it gives back what it still holds.
  class Download final : public BodyBudget {
   public:
    ~Download() override;
    Grant grow(std::uint64_t bytes) override;
    bool preempted() const override;
    void discard() override;
    std::string reusableBuffer(std::uint64_t bytes) override;
    // The body arrived whole: its bytes (with the parse reserve) stay counted as a held blob
    // (given back by release()); returns them.
    std::uint64_t keep();
    std::uint64_t seq() const { return seq_; }

   private:
    friend class InflightBudget;
    Download(InflightBudget& budget, std::uint64_t seq) : budget_(budget), seq_(seq) {}
    InflightBudget& budget_;
    const std::uint64_t seq_;
    // Guarded by budget_.mu_.
    std::uint64_t bytes_ = 0;
    bool waiting_ = false;
    bool preempted_ = false;
  };
  // Registers a download (younger than every earlier one). Call after acquireSlot(). A preempted
  // download is fetched again with the same Download: it keeps its age (its priority).
  std::unique_ptr<Download> startDownload();
  // For a preempted download fetched again: blocks until the download `seq` is the oldest. The
  // oldest is never preempted, so a blob is preempted at most once (waiting only for room for
  // what it held restarted it into the same squeeze: 678 preemptions for 16 blobs in one run).
  // Returns false when `stop` was requested first.
  bool waitUntilOldest(std::uint64_t seq, std::stop_token stop);

  // Takes the bodies of freed blobs for reuse (see above). Shared by the budget and whoever frees
  // blobs (a batch's deleter may run after the budget is gone: keep() then just frees the body).
  class BodyKeeper {
   public:
    void keep(std::string body);

   private:
    friend class InflightBudget;
    std::mutex mu_;
    InflightBudget* budget_ = nullptr;  // null once the budget is destroyed
  };
  std::shared_ptr<BodyKeeper> bodyKeeper() const { return keeper_; }
  std::uint64_t keptBytes() const;  // bytes of kept bodies (part of bytes())
  ~InflightBudget();
  InflightBudget(const InflightBudget&) = delete;
  InflightBudget& operator=(const InflightBudget&) = delete;

  static constexpr std::size_t kKeptBodies = 4;
  static constexpr std::uint64_t kMinKeptBody = 64u << 10;
  static constexpr std::uint64_t kMaxKeptBody = 16u << 20;

 private:
  void giveBackLocked(Download& d);  // caller holds mu_
  void keepLocked(std::string& body);  // takes `body` when the rules allow; caller holds mu_
  // Moves every kept body to `out` (freed by the caller after unlocking) and gives back its bytes.
  void dropKeptLocked(std::vector<std::string>& out);

  const std::uint64_t max_bytes_;
  const std::uint64_t max_blobs_;
  const std::uint64_t parse_reserve_percent_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::uint64_t bytes_ = 0;              // held blobs plus downloading bodies (plus shared_)
  std::uint64_t shared_ = 0;             // the part of bytes_ set by setSharedBytes
  std::uint64_t downloading_bytes_ = 0;  // the part of bytes_ that downloads hold
  std::uint64_t blobs_ = 0;
  std::uint64_t peak_bytes_ = 0;
  std::uint64_t preemptions_ = 0;
  std::uint64_t next_seq_ = 0;
  std::map<std::uint64_t, Download*> downloads_;  // by age: begin() is the head
  std::vector<std::string> kept_;                 // bodies kept for reuse, counted in bytes_
  std::uint64_t kept_bytes_ = 0;
  std::shared_ptr<BodyKeeper> keeper_ = std::make_shared<BodyKeeper>();
};

}  // namespace o365fwd
