#pragma once
// Counters of what the simulator served, for GET /_sim/stats and for tests that assert on the
// forwarder's behaviour (requests without PublisherIdentifier, throttled requests, pages...).
// Thread-safe.
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace o365fwd::sim {

class Stats {
 public:
  void request(const std::string& route, int status);
  void tokenIssued() { ++tokens_issued_; }
  void tokenError(int aadsts_code);
  void throttled() { ++throttled_; }
  void withoutPublisher() { ++without_publisher_; }
  void transientError() { ++transient_errors_; }
  void blobServed(std::uint64_t bytes) {
    ++blobs_served_;
    bytes_served_ += bytes;
  }
  void blobBytesServed(std::uint64_t bytes) { bytes_served_ += bytes; }  // a streamed body's part
  void brokenBlobServed() { ++broken_blobs_served_; }
  void contentListing(bool first_page) {
    ++pages_served_;
    if (first_page) ++content_listings_;
  }
  std::uint64_t requestsTotal() const { return requests_total_.load(); }
  std::string toJson() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<int, std::uint64_t>> by_route_;
  std::map<int, std::uint64_t> token_errors_;
  std::atomic<std::uint64_t> requests_total_{0}, tokens_issued_{0}, throttled_{0},
      without_publisher_{0}, transient_errors_{0}, blobs_served_{0}, bytes_served_{0},
      broken_blobs_served_{0}, content_listings_{0}, pages_served_{0};
};

}  // namespace o365fwd::sim
