#pragma once
// UTC timestamp text <-> WallTime. Never uses the local time zone.
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace o365fwd {

// Parses the API's timestamps: "2015-06-29T20:03:19" (CreationTime, no zone = UTC),
// "2015-05-23T17:35:00.000Z" (contentCreated), "2015-05-23", "2015-05-23T17:35",
// fractional seconds of any length, a trailing "Z" or "+00:00". Returns nullopt otherwise, and
// for years outside 1678..2261 (what WallTime can hold; found by fuzz/time_format_fuzzer.cpp).
std::optional<WallTime> parseUtc(std::string_view text);

// "2025-01-14T09:45:12" — the documented form for startTime/endTime query parameters.
std::string formatApiTime(WallTime t);
// "2025-01-14T09:45:12.345Z" — contentCreated style, millisecond precision.
std::string formatIsoMillis(WallTime t);
// "2025-01-14T09:45:12.345678Z" — RFC 3339 with microseconds (syslog TIMESTAMP).
std::string formatIsoMicros(WallTime t);
// Parses an HTTP Date header ("Tue, 14 Jan 2025 12:00:00 GMT").
std::optional<WallTime> parseHttpDate(std::string_view text);
std::string formatHttpDate(WallTime t);

}  // namespace o365fwd
