#include "sim/stats.h"

namespace o365fwd::sim {

void Stats::request(const std::string& route, int status) {
  ++requests_total_;
  std::lock_guard lock(mu_);
  ++by_route_[route][status];
}

void Stats::tokenError(int code) {
  std::lock_guard lock(mu_);
  ++token_errors_[code];
}

std::string Stats::toJson() const {
  std::string out = "{\"requests_total\":" + std::to_string(requests_total_.load());
  out += ",\"requests\":{";
  std::lock_guard lock(mu_);
  bool first = true;
  for (const auto& [route, statuses] : by_route_) {
    out += std::string(first ? "" : ",") + "\"" + route + "\":{";
    first = false;
    bool f2 = true;
    for (const auto& [status, n] : statuses) {
      out += std::string(f2 ? "" : ",") + "\"" + std::to_string(status) + "\":" + std::to_string(n);
      f2 = false;
    }
    out += "}";
  }
  out += "},\"tokens_issued\":" + std::to_string(tokens_issued_.load());
  std::uint64_t errors = 0;
  std::string by_code;
  for (const auto& [code, n] : token_errors_) {
    errors += n;
    by_code += std::string(by_code.empty() ? "" : ",") + "\"" + std::to_string(code) +
               "\":" + std::to_string(n);
  }
  out += ",\"token_errors\":" + std::to_string(errors);
  out += ",\"token_errors_by_code\":{" + by_code + "}";
  out += ",\"throttled\":" + std::to_string(throttled_.load());
  out += ",\"requests_without_publisher_identifier\":" + std::to_string(without_publisher_.load());
  out += ",\"transient_errors\":" + std::to_string(transient_errors_.load());
  out += ",\"blobs_served\":" + std::to_string(blobs_served_.load());
  out += ",\"broken_blobs_served\":" + std::to_string(broken_blobs_served_.load());
  out += ",\"bytes_served\":" + std::to_string(bytes_served_.load());
  out += ",\"content_listings\":" + std::to_string(content_listings_.load());
  out += ",\"pages_served\":" + std::to_string(pages_served_.load());
  out += "}";
  return out;
}

}  // namespace o365fwd::sim
