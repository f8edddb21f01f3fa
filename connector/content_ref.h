#pragma once
// What the lister found: one content blob of one stream.
#include <string>

#include "core/clock.h"

namespace o365fwd {

// A stream is one (tenant, content type) pair; it has its own watermark.
struct StreamKey {
  std::string tenant;        // TenantConfig::name
  std::string content_type;  // "Audit.Exchange"
  std::string str() const { return tenant + "/" + content_type; }
  bool operator==(const StreamKey&) const = default;
  auto operator<=>(const StreamKey&) const = default;
};

struct ContentRef {
  StreamKey stream;
  std::string content_id;
  std::string content_uri;
  WallTime created;     // contentCreated
  WallTime expiration;  // contentExpiration
};

}  // namespace o365fwd
