#include "app/status/status_charts.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>

#include "app/status/status_table.h"

namespace o365fwd {
namespace {

constexpr int kWidth = 600;
constexpr int kHeight = 120;
constexpr int kTop = 18;     // room for the title line
constexpr int kBottom = 16;  // room for the time span

struct Sample {
  double seconds;  // since the first point
  double value;
};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// `value` of each point that has one; x from the points' times.
std::string chart(const std::vector<HistoryPoint>& points, const char* cls, const char* title,
                  const std::function<std::optional<double>(const HistoryPoint&)>& value,
                  const std::function<std::string(double)>& label) {
  std::vector<Sample> samples;
  for (const HistoryPoint& p : points)
    if (auto v = value(p))
      samples.push_back(
          {std::chrono::duration<double>(p.at - points.front().at).count(), std::max(0.0, *v)});
  std::string svg = "<svg class=\"chart " + std::string(cls) + "\" viewBox=\"0 0 " +
                    std::to_string(kWidth) + " " + std::to_string(kHeight) +
                    "\" role=\"img\" aria-label=\"" + title + "\">";
  svg += "<rect class=\"frame\" x=\"0.5\" y=\"0.5\" width=\"" + std::to_string(kWidth - 1) +
         "\" height=\"" + std::to_string(kHeight - 1) + "\"/>";
  if (samples.size() < 2) {
    svg += "<text x=\"8\" y=\"14\">" + std::string(title) + "</text>";
    svg += "<text class=\"empty\" x=\"" + std::to_string(kWidth / 2) + "\" y=\"" +
           std::to_string(kHeight / 2 + 4) +
           "\" text-anchor=\"middle\">collecting: one point a minute</text></svg>";
    return svg;
  }
  double span = std::max(1.0, samples.back().seconds);
  double top = 0;
  for (const Sample& s : samples) top = std::max(top, s.value);
  const double scale = top > 0 ? (kHeight - kTop - kBottom) / top : 0;
  std::string line;
  for (const Sample& s : samples) {
    line += number(1 + s.seconds / span * (kWidth - 2)) + "," +
            number(kHeight - kBottom - s.value * scale) + " ";
  }
  const std::string base_y = std::to_string(kHeight - kBottom);
  svg += "<polygon class=\"area\" points=\"1," + base_y + " " + line + number(kWidth - 1) + "," +
         base_y + "\"/>";
  svg += "<polyline class=\"line\" points=\"" + line + "\"/>";
  svg += "<text x=\"8\" y=\"14\">" + std::string(title) + " — now " + label(samples.back().value) +
         ", max " + label(top) + "</text>";
  svg += "<text class=\"span\" x=\"8\" y=\"" + std::to_string(kHeight - 4) + "\">" +
         humanDuration(std::chrono::seconds(static_cast<long long>(span))) + " ago</text>";
  svg += "<text class=\"span\" x=\"" + std::to_string(kWidth - 8) + "\" y=\"" +
         std::to_string(kHeight - 4) + "\" text-anchor=\"end\">now</text></svg>";
  return svg;
}

}  // namespace

std::string throughputChart(const std::vector<HistoryPoint>& points) {
  return chart(
      points, "throughput", "Records per minute",
      [](const HistoryPoint& p) -> std::optional<double> {
        if (p.seconds == 0) return std::nullopt;  // the first point has no interval
        return static_cast<double>(p.records) * 60.0 / p.seconds;
      },
      [](double v) { return groupedCount(static_cast<std::uint64_t>(v + 0.5)); });
}

std::string lagChart(const std::vector<HistoryPoint>& points) {
  return chart(
      points, "lag", "Oldest lag",
      [](const HistoryPoint& p) -> std::optional<double> {
        if (!p.oldest_lag_seconds) return std::nullopt;
        return static_cast<double>(*p.oldest_lag_seconds);
      },
      [](double v) { return humanDuration(std::chrono::seconds(static_cast<long long>(v))); });
}

}  // namespace o365fwd
