#include "app/health/watchdog.h"

#include <charconv>
#include <cstring>

namespace o365fwd {

std::optional<std::chrono::microseconds> watchdogInterval(const char* watchdog_usec,
                                                          const char* watchdog_pid, long self_pid) {
  if (watchdog_usec == nullptr) return std::nullopt;
  if (watchdog_pid != nullptr) {
    long pid = 0;
    auto [end, ec] = std::from_chars(watchdog_pid, watchdog_pid + std::strlen(watchdog_pid), pid);
    if (ec != std::errc() || *end != '\0' || pid != self_pid) return std::nullopt;
  }
  unsigned long long usec = 0;
  auto [end, ec] = std::from_chars(watchdog_usec, watchdog_usec + std::strlen(watchdog_usec), usec);
  if (ec != std::errc() || *end != '\0' || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

Watchdog::Watchdog(std::chrono::microseconds interval, std::function<void()> probe,
                   std::function<bool(const std::string&)> notify, Clock& clock)
    : interval_(interval), probe_(std::move(probe)), notify_(std::move(notify)), clock_(clock) {}

void Watchdog::start() {
  thread_ = std::jthread([this](std::stop_token stop) {
    const auto period = interval_ / 2;
    do {
      probe_();  // hangs while the daemon is deadlocked: no ping, systemd acts
      if (stop.stop_requested()) break;
      notify_("WATCHDOG=1");
    } while (clock_.sleepFor(period, stop));
  });
}

void Watchdog::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

}  // namespace o365fwd
