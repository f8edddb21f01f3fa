#pragma once
// One poll cycle of one stream: which listed blobs are still unresolved, how far the listing got,
// and from that the watermark the stream may advance to.
//
// Watermark rule (contiguous resolved prefix): every blob created before the candidate has been
// resolved — committed as done, counted as lost, or dead-lettered — and every window before it
// was listed completely: candidate = min(end of the completely listed windows, creation time of
// every pending or failed blob). Failed blobs hold the watermark so the next cycle lists them again.
// Thread-safe: the lister adds blobs, download workers and the committer resolve them.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "connector/content_ref.h"
#include "core/clock.h"

namespace o365fwd {

class CycleTracker {
 public:
  CycleTracker(StreamKey stream, SteadyTime started);

  const StreamKey& stream() const { return stream_; }
  SteadyTime started() const { return started_; }

  // A blob was queued for download.
  void addPending(const ContentRef& content);
  // The blob was committed, counted lost or dead-lettered (ok), or failed and must be listed again.
  void resolve(const ContentRef& content, bool ok);
  // Every blob created before `end` has been listed (a window completed).
  void windowListed(WallTime end);
  // No more listing in this cycle; `complete` is false when listing stopped on an error.
  void listingFinished(bool complete);

  std::optional<WallTime> watermarkCandidate() const;
  // Listing finished and no blob is pending.
  bool finished() const;
  bool listingComplete() const;
  // True exactly once, for the first caller after the cycle finished.
  bool claimFinish();
  std::uint64_t pending() const;
  std::uint64_t failed() const;
  std::uint64_t listed() const;
  std::uint64_t resolvedOk() const;

 private:
  const StreamKey stream_;
  const SteadyTime started_;
  mutable std::mutex mu_;
  std::map<std::string, WallTime> pending_;  // content id -> created
  std::multiset<WallTime> pending_created_;
  std::optional<WallTime> min_failed_;
  std::optional<WallTime> listed_until_;
  bool listing_finished_ = false;
  bool listing_complete_ = false;
  bool finish_claimed_ = false;
  std::uint64_t listed_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t resolved_ok_ = 0;
};

}  // namespace o365fwd
