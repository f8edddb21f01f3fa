#pragma once
// Scripted ContentSource for collector unit tests: blobs per stream with bodies and fetch
// behaviour (fail N times, expire, invalid JSON), listed in pages of `page_size` filtered by the
// window like the real API (start <= created < end). Thread-safe. Unit tests only.
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "pipeline/content_source.h"

namespace o365fwd::testing {

struct FakeBlob {
  ContentRef ref;
  std::string body;
  int fail_fetches = 0;         // the first N fetches fail with a retryable error
  std::string permanent_error;  // e.g. "AF20051": every fetch fails with this code
  int fetches = 0;
};

class FakeContentSource final : public ContentSource {
 public:
  std::size_t page_size = 3;
  std::chrono::seconds skew{0};

  void addBlob(FakeBlob blob) {
    std::lock_guard lock(mu_);
    blobs_.push_back(std::move(blob));
  }

  Status ensureSubscription(const std::string& content_type, std::stop_token) override {
    std::lock_guard lock(mu_);
    ++subscription_calls;
    if (!subscription_error.empty())
      return Error::permanent(ErrorKind::kApi, "subscription failed for " + content_type,
                              subscription_error);
    return okStatus();
  }

  Status listWindow(const StreamKey& stream, ListingWindow window,
                    const std::function<Status(std::vector<ContentRef>)>& on_page,
                    std::stop_token) override {
    std::vector<ContentRef> matching;
    {
      std::lock_guard lock(mu_);
      ++list_calls;
      windows.push_back(window);
      for (const FakeBlob& b : blobs_)
        if (b.ref.stream == stream && b.ref.created >= window.start && b.ref.created < window.end)
          matching.push_back(b.ref);
    }
    for (std::size_t i = 0; i < matching.size(); i += page_size) {
      std::vector<ContentRef> page(
          matching.begin() + static_cast<long>(i),
          matching.begin() + static_cast<long>(std::min(matching.size(), i + page_size)));
      if (Status s = on_page(std::move(page)); !s.ok()) return s;
    }
    return okStatus();
  }

  // Does not count the body against the budget (the collector then counts it whole).
  Result<std::string> fetchBlob(const ContentRef& content, std::stop_token, BodyBudget*) override {
    std::lock_guard lock(mu_);
    ++fetch_calls;
    for (FakeBlob& b : blobs_) {
      if (b.ref.content_id != content.content_id || !(b.ref.stream == content.stream)) continue;
      ++b.fetches;
      if (!b.permanent_error.empty())
        return Error::permanent(ErrorKind::kApi, "scripted permanent error", b.permanent_error);
      if (b.fetches <= b.fail_fetches)
        return Error::retryableError(ErrorKind::kHttp, "scripted transient error", "HTTP 503");
      return b.body;
    }
    return Error::permanent(ErrorKind::kApi, "no such blob", "AF20050");
  }

  std::chrono::seconds clockSkew() const override { return skew; }

  int fetchesOf(const std::string& content_id) const {
    std::lock_guard lock(mu_);
    for (const FakeBlob& b : blobs_)
      if (b.ref.content_id == content_id) return b.fetches;
    return 0;
  }

  std::string subscription_error;
  int subscription_calls = 0;
  int list_calls = 0;
  std::atomic<int> fetch_calls{0};  // read by tests while workers fetch
  std::vector<ListingWindow> windows;

 private:
  mutable std::mutex mu_;
  std::vector<FakeBlob> blobs_;
};

}  // namespace o365fwd::testing
