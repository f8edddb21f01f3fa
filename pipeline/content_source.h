#pragma once
// What the collector needs from Microsoft for one tenant: keep a subscription enabled, list a
// window of content, download a blob. A seam between pipeline/ and connector/: production wires
// ConnectorContentSource (connector/ classes); unit tests use a scripted fake.
// Thread-safe: listers and download workers call it concurrently and block in it.
#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "connector/content_ref.h"
#include "connector/http/http_transport.h"
#include "connector/listing_windows.h"
#include "core/clock.h"
#include "core/result.h"

namespace o365fwd {

class ContentSource {
 public:
  virtual ~ContentSource() = default;
  // Ensures the content type's subscription is enabled (starting it if needed).
  virtual Status ensureSubscription(const std::string& content_type, std::stop_token stop) = 0;
  // Lists one window (≤ 24 h), calling on_page for each page of refs. An error from on_page stops
  // the listing and is returned.
  virtual Status listWindow(const StreamKey& stream, ListingWindow window,
                            const std::function<Status(std::vector<ContentRef>)>& on_page,
                            std::stop_token stop) = 0;
  // Downloads a blob's body, counting it against `budget` while it arrives when the source can
  // (nullptr: not counted).
  virtual Result<std::string> fetchBlob(const ContentRef& content, std::stop_token stop,
                                        BodyBudget* budget) = 0;
  // Server time minus local time as last observed.
  virtual std::chrono::seconds clockSkew() const = 0;
};

}  // namespace o365fwd
