#include "sim/window_rules.h"

#include <cstdio>

#include "core/time_format.h"
#include "sim/det_hash.h"

namespace o365fwd::sim {
namespace {

constexpr std::int64_t kHourMs = 3600 * 1000;

std::int64_t toMs(WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

WindowCheck failure(std::string code, std::string message) {
  WindowCheck c;
  c.code = std::move(code);
  c.message = std::move(message);
  return c;
}

}  // namespace

WindowCheck checkWindow(const std::optional<std::string>& start,
                        const std::optional<std::string>& end, std::int64_t now_ms,
                        const std::string& code) {
  const std::string message =
      code == "AF20030"
          ? "Start time and end time must both be specified (or both omitted) and must be less "
            "than or equal to 24 hours apart, with the start time no more than 7 days in the past."
          : "Start time and end time must both be specified (or both omitted) and must be less "
            "than or equal to 24 hours apart, with the start time prior to end time and start "
            "time no more than 7 days in the past.";
  WindowCheck c;
  if (start.has_value() != end.has_value()) return failure(code, message);
  if (!start) {
    // Whole seconds, so that the times written into NextPageUri parse back to the same window.
    c.window.end_ms = now_ms - now_ms % 1000;
    c.window.start_ms = c.window.end_ms - 24 * kHourMs;
    c.window.start_text = formatApiTime(WallTime(std::chrono::milliseconds(c.window.start_ms)));
    c.window.end_text = formatApiTime(WallTime(std::chrono::milliseconds(c.window.end_ms)));
    c.ok = true;
    return c;
  }
  auto s = parseUtc(*start);
  if (!s) return failure("AF20002", "Invalid parameter type startTime. Expected type: DateTime.");
  auto e = parseUtc(*end);
  if (!e) return failure("AF20002", "Invalid parameter type endTime. Expected type: DateTime.");
  c.window = Window{toMs(*s), toMs(*e), *start, *end};
  if (c.window.end_ms - c.window.start_ms > 24 * kHourMs) return failure(code, message);
  if (c.window.start_ms < now_ms - 7 * 24 * kHourMs) return failure(code, message);
  if (c.window.start_ms >= c.window.end_ms) return failure(code, message);
  c.ok = true;
  return c;
}

std::uint64_t PageTokens::check(size_t tenant, size_t content_type, const Window& w,
                                size_t position) const {
  std::uint64_t h = hashCombine(secret_, tenant);
  h = hashCombine(h, content_type);
  h = hashCombine(h, static_cast<std::uint64_t>(w.start_ms));
  h = hashCombine(h, static_cast<std::uint64_t>(w.end_ms));
  h = hashCombine(h, position);
  return h % 10'000'000'000ull;
}

std::string PageTokens::encode(size_t tenant, size_t content_type, const Window& w,
                               size_t position) const {
  std::string stamp = formatApiTime(WallTime(std::chrono::milliseconds(w.start_ms)));
  std::string prefix;
  for (char ch : stamp.substr(0, 13))
    if (ch >= '0' && ch <= '9') prefix.push_back(ch);
  char tail[32];
  std::snprintf(tail, sizeof tail, "R%010zu%010llu", position,
                static_cast<unsigned long long>(check(tenant, content_type, w, position)));
  return prefix + tail;
}

std::optional<size_t> PageTokens::decode(std::string_view token, size_t tenant, size_t content_type,
                                         const Window& w) const {
  if (token.size() != 31 || token[10] != 'R') return std::nullopt;
  for (size_t i = 0; i < token.size(); ++i)
    if (i != 10 && (token[i] < '0' || token[i] > '9')) return std::nullopt;
  size_t position = std::stoull(std::string(token.substr(11, 10)));
  std::uint64_t sum = std::stoull(std::string(token.substr(21, 10)));
  if (sum != check(tenant, content_type, w, position)) return std::nullopt;
  if (encode(tenant, content_type, w, position) != token) return std::nullopt;
  return position;
}

}  // namespace o365fwd::sim
