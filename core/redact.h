#pragma once
// Safety net for free text that leaves the process (logs, /status last_error, validate output):
// removes bearer tokens, client secrets, client assertions and access tokens. Code should not put
// secrets in messages in the first place; this catches what a server echoes back.
#include <string>
#include <string_view>

namespace o365fwd {

std::string redactSecrets(std::string_view text);

}  // namespace o365fwd
