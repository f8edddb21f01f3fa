#pragma once
// Safety net for free text that leaves the process (logs, /status, the page, metrics labels,
// summaries, validate output, dead-letter reasons, stored errors): every user-facing text passes
// through redactSecrets(). It masks, each with "***":
// - by value: every secret, token and client assertion in the SensitiveValues registry
//   (core/secrets/sensitive_values.h), in plain, URL-encoded and JSON-escaped spelling, wherever it
//   appears, even bare (an API may echo one without any label);
// - by pattern: any JWT or piece of one (a base64url run starting "eyJ", all three segments), and
//   the value after "Bearer", client_secret=, client_assertion=, access_token=, password= (also
//   percent-encoded) and after the JSON members access_token, refresh_token, id_token,
//   client_secret, client_assertion, password and authorization.
// Overlapping matches merge into one mask. Any thread may call it.
#include <optional>
#include <string>
#include <string_view>

namespace o365fwd {

std::string redactSecrets(std::string_view text);

// For bytes kept as they are (dead-lettered blob bodies): masks only the values this process
// registered (secrets, tokens, assertions — an API that echoes our bearer token), not patterns,
// which would alter audit data that merely looks like a token. nullopt: nothing to mask.
std::optional<std::string> maskSensitiveValues(std::string_view bytes);

}  // namespace o365fwd
