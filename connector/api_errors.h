#pragma once
// Classification of Management Activity API answers that are not 2xx (docs/management-api.md §4).
// Pure functions; thread-safe. The body's error.code decides first, the HTTP status second:
//   AF429 (any status)                 -> kThrottled, retryable
//   AF50000 / AF50005 / AF50006        -> kApi, retryable
//   AF10001                            -> kPermission, permanent (consent remedy)
//   other AFxxxxx                      -> kApi with that code; retryable only with a 5xx status
//   "... does not exist" (free-form)   -> kApi "AuditingDisabled", permanent (unified audit log
//   off) 401 without a known code           -> kAuth, retryable (refresh the token once) 408, 429,
//   5xx without a code       -> kHttp (429: kThrottled), retryable other statuses -> kHttp,
//   permanent
// Messages carry the API's own error.message (secrets redacted, at most 300 characters) and a
// remedy when one exists; never the raw body, never headers.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "connector/api_client.h"
#include "connector/http/http_transport.h"
#include "core/clock.h"
#include "core/result.h"

namespace o365fwd {

inline constexpr std::size_t kMaxApiMessageChars = 300;

// `now` is used to turn a Retry-After HTTP date into a delay when the response has no Date
// header (the Date header, the server's own clock, is preferred).
Error classifyApiResponse(ApiCall call, const HttpResponse& response,
                          std::optional<WallTime> now = std::nullopt);

// Retry-After: delay-seconds or an HTTP date relative to `reference`. nullopt when absent or
// unparseable; never negative.
std::optional<std::chrono::seconds> parseRetryAfter(std::string_view value,
                                                    std::optional<WallTime> reference);

// The remedy sentence for a documented code, or empty.
std::string apiErrorRemedy(const std::string& code);

// Redacts secrets and cuts `text` to at most `max_chars` bytes on a UTF-8 boundary, appending
// "..." when it was cut; control characters (CR, LF, tabs) become spaces.
std::string sanitizeApiText(std::string_view text, std::size_t max_chars = kMaxApiMessageChars);

}  // namespace o365fwd
