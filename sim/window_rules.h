#pragma once
// The /subscriptions/content time-window rules (docs/management-api.md §3.4) and the opaque
// nextPage tokens of its pagination. Pure functions / immutable object; thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace o365fwd::sim {

struct Window {
  std::int64_t start_ms = 0;  // inclusive
  std::int64_t end_ms = 0;    // exclusive
  std::string start_text;     // as the client sent it (or formatted when omitted)
  std::string end_text;
};

struct WindowCheck {
  bool ok = false;
  std::string code;  // AF20055 / AF20030 / AF20002 when !ok
  std::string message;
  Window window;
};

// Both-or-neither; omitted = the last 24 h; end - start <= 24 h; start >= now - 7 d;
// start < end. `window_error_code` is AF20055 (default) or AF20030. Unparsable times give
// AF20002. End times in the future are accepted, as the real API does.
WindowCheck checkWindow(const std::optional<std::string>& start,
                        const std::optional<std::string>& end, std::int64_t now_ms,
                        const std::string& window_error_code);

// nextPage tokens: "<yyyyMMddHH of start>R<position><check>" where the check binds the token
// to the tenant, content type, window and position, so a forged or edited token is refused.
class PageTokens {
 public:
  explicit PageTokens(std::uint64_t secret) : secret_(secret) {}
  std::string encode(size_t tenant, size_t content_type, const Window& w, size_t position) const;
  // The position, or nullopt for a token that is malformed or was not issued for this query.
  std::optional<size_t> decode(std::string_view token, size_t tenant, size_t content_type,
                               const Window& w) const;

 private:
  std::uint64_t check(size_t tenant, size_t content_type, const Window& w, size_t position) const;
  std::uint64_t secret_;
};

}  // namespace o365fwd::sim
