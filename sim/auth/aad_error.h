#pragma once
// Microsoft Entra ID (AADSTS) token-endpoint errors in the exact shape the real endpoint
// answers (docs/management-api.md §1.4): {error, error_description "AADSTSnnnnn: ...\r\nTrace
// ID: ...\r\nCorrelation ID: ...\r\nTimestamp: ...", error_codes, timestamp, trace_id,
// correlation_id, error_uri}. Pure functions; thread-safe.
#include <string>

#include "core/clock.h"

namespace o365fwd::sim {

struct AadError {
  int code = 0;  // 7000215, 90002, ...
  int http_status = 400;
  std::string error;  // invalid_client, invalid_request, ...
  std::string text;   // the sentence after "AADSTSnnnnn: "
};

// The catalogue entry for `code` with {placeholders} filled from the arguments; unknown codes
// (a forced error knob may name any) give a generic invalid_request/400 entry.
AadError aadError(int code, const std::string& client_id = {}, const std::string& tenant = {},
                  const std::string& detail = {});

// The JSON body. trace/correlation ids are fresh GUIDs supplied by the caller.
std::string aadErrorBody(const AadError& e, WallTime now, const std::string& trace_id,
                         const std::string& correlation_id);

}  // namespace o365fwd::sim
