#include "core/units.h"

#include <cctype>
#include <cstdio>
#include <limits>

namespace o365fwd {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits "15m" into 15 and "m". Returns false when there is no leading number.
bool splitNumber(std::string_view s, std::uint64_t& number, std::string_view& unit) {
  size_t i = 0;
  std::uint64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    std::uint64_t digit = static_cast<std::uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
    ++i;
  }
  if (i == 0) return false;
  number = v;
  unit = trim(s.substr(i));
  return true;
}

}  // namespace

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  std::uint64_t n = 0;
  std::string_view unit;
  if (!splitNumber(trim(text), n, unit)) return std::nullopt;
  if (unit.empty() && n == 0) return std::chrono::milliseconds(0);  // zero needs no unit
  std::uint64_t factor = 0;
  if (unit == "ms") factor = 1;
  else if (unit == "s") factor = 1000;
  else if (unit == "m") factor = 60'000;
  else if (unit == "h") factor = 3'600'000;
  else if (unit == "d") factor = 86'400'000;
  else return std::nullopt;
  if (n > std::numeric_limits<std::int64_t>::max() / factor) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(n * factor));
}

std::optional<std::uint64_t> parseSize(std::string_view text) {
  std::uint64_t n = 0;
  std::string_view unit;
  if (!splitNumber(trim(text), n, unit)) return std::nullopt;
  std::uint64_t factor = 0;
  if (unit.empty() || unit == "B") factor = 1;
  else if (unit == "KB" || unit == "kB") factor = 1000;
  else if (unit == "MB") factor = 1000ull * 1000;
  else if (unit == "GB") factor = 1000ull * 1000 * 1000;
  else if (unit == "KiB") factor = 1024;
  else if (unit == "MiB") factor = 1024ull * 1024;
  else if (unit == "GiB") factor = 1024ull * 1024 * 1024;
  else return std::nullopt;
  if (n > std::numeric_limits<std::uint64_t>::max() / factor) return std::nullopt;
  return n * factor;
}

std::string formatDuration(std::chrono::milliseconds d) {
  long long ms = d.count();
  struct Unit {
    long long size;
    const char* suffix;
  };
  static constexpr Unit kUnits[] = {{86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
  for (const Unit& u : kUnits)
    if (ms != 0 && ms % u.size == 0) return std::to_string(ms / u.size) + u.suffix;
  return std::to_string(ms) + "ms";
}

std::string formatSize(std::uint64_t bytes) {
  static constexpr const char* kSuffix[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int i = 0;
  while (v >= 1024 && i < 4) {
    v /= 1024;
    ++i;
  }
  char buf[32];
  if (i == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, kSuffix[i]);
  return buf;
}

}  // namespace o365fwd
