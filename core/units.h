#pragma once
// Durations ("90s", "15m", "12h", "7d", "500ms") and sizes ("512MiB", "1GiB", "64KB", "100")
// as they appear in the configuration.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace o365fwd {

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);
std::optional<std::uint64_t> parseSize(std::string_view text);
// 90000ms -> "90s", 86400000ms -> "1d", 5400000ms -> "90m"; for messages and status.
std::string formatDuration(std::chrono::milliseconds d);
std::string formatSize(std::uint64_t bytes);

}  // namespace o365fwd
