#pragma once
// Adapts one tenant's connector objects (ApiClient, SubscriptionManager, ContentLister) to the
// pipeline's ContentSource seam. Owns nothing; thread-safe because the adapted objects are.
#include "connector/api_client.h"
#include "connector/content_lister.h"
#include "connector/subscription_manager.h"
#include "pipeline/content_source.h"

namespace o365fwd {

class ConnectorContentSource final : public ContentSource {
 public:
  ConnectorContentSource(ApiClient& api, SubscriptionManager& subscriptions, ContentLister& lister)
      : api_(api), subscriptions_(subscriptions), lister_(lister) {}

  Status ensureSubscription(const std::string& content_type, std::stop_token stop) override {
    return subscriptions_.ensureEnabled(content_type, stop);
  }

  Status listWindow(const StreamKey& stream, ListingWindow window,
                    const std::function<Status(std::vector<ContentRef>)>& on_page,
                    std::stop_token stop) override {
    auto listing = lister_.listWindow(stream, window, on_page, stop);
    if (!listing.ok()) return listing.error();
    return okStatus();
  }

  Result<std::string> fetchBlob(const ContentRef& content, std::stop_token stop,
                                BodyBudget* budget) override {
    auto response = api_.callWithBudget(ApiCall::kBlob, "GET", content.content_uri, stop, budget);
    if (!response.ok()) return response.error();
    return std::move(response->body);
  }

  std::chrono::seconds clockSkew() const override { return api_.clockSkew(); }

 private:
  ApiClient& api_;
  SubscriptionManager& subscriptions_;
  ContentLister& lister_;
};

}  // namespace o365fwd
