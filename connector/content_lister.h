#pragma once
// Lists the content blobs of one stream's listing window: GET /subscriptions/content, following
// NextPageUri to the last page, recovering from the API's subscription and paging errors.
//
// Owner: one per tenant, shared by the tenant's stream workers. Threads: any; listWindow() keeps
// its state on the caller's stack, so concurrent calls (other streams) are independent. It blocks
// in ApiClient::call and in on_page.
//
// Promises for one listWindow() call:
// - on_page runs on the calling thread once per page that has new refs, with that page's refs
//   sorted by (created, content_id) and without content ids already passed in this call, so
//   re-listing the window from its start (restarts) passes no duplicates. on_page may block
//   (that is the backpressure); an Error it returns stops the listing and is returned as is.
// - Loop guard: a NextPageUri seen before in this pass, or more than max_pages_per_window pages,
//   restarts the window once; a second time fails with code "pagination_loop".
// - AF20022 (no subscription): ensureEnabled() then one retry from the window start.
//   AF20031 (invalid nextPage): restart from the window start, at most max_window_restarts times.
//   AF20030 / AF20055 (window rejected): a permanent Error with the code kept, naming the window
//   and the clock skew; the caller recomputes its windows next cycle.
//   Every other Error is returned with its code, kind and retryable flag unchanged.
// - Items of a page that cannot be used are counted in WindowListing::bad_items and logged at
//   ERROR (never dropped silently).
#include <cstddef>
#include <functional>
#include <stop_token>
#include <vector>

#include "connector/api_client.h"
#include "connector/content_ref.h"
#include "connector/listing_windows.h"
#include "connector/subscription_manager.h"
#include "core/clock.h"
#include "core/result.h"

namespace o365fwd {

struct WindowListing {
  std::size_t pages = 0;            // pages received, restarts included
  std::size_t blobs_listed = 0;     // refs passed to on_page
  std::size_t repeats_skipped = 0;  // refs whose content id had been passed already
  std::size_t restarts = 0;         // times the window was listed again from its start
  std::size_t bad_items = 0;        // unusable items (see parseContentPage)
};

class ContentLister {
 public:
  struct Options {
    std::size_t max_pages_per_window = 10000;
    std::size_t max_window_restarts = 3;  // for AF20031
  };
  using PageHandler = std::function<Status(std::vector<ContentRef>)>;

  ContentLister(ApiClient& api, SubscriptionManager& subscriptions, Clock& clock);
  ContentLister(ApiClient& api, SubscriptionManager& subscriptions, Clock& clock, Options options);

  // `window` must be non-empty and at most 24 h long (planWindows() makes such windows).
  Result<WindowListing> listWindow(const StreamKey& stream, ListingWindow window,
                                   const PageHandler& on_page, std::stop_token stop);

 private:
  ApiClient& api_;
  SubscriptionManager& subscriptions_;
  Clock& clock_;
  const Options options_;
};

}  // namespace o365fwd
