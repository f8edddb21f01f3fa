#pragma once
// contentId text as the real API shapes it:
//   <yyyyMMddHHmmss + 9 fraction digits>$<same>$audit_exchange$Audit_Exchange$<region>
// The first 3 fraction digits are the contentCreated milliseconds; the other 6 are a
// per-blob discriminator. Pure functions; thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace o365fwd::sim {

struct ContentIdParts {
  size_t content_type = 0;  // index in kContentTypes
  std::int64_t created_ms = 0;
  std::uint32_t extra = 0;  // 0..999999
  std::string region;       // e.g. "emea0012"
};

std::string formatContentId(const ContentIdParts& parts);
// nullopt when the text does not have the shape above (the API's AF20052).
std::optional<ContentIdParts> parseContentId(std::string_view text);

}  // namespace o365fwd::sim
