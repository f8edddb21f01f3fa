#pragma once
// systemd's service watchdog (WatchdogSec=): while the daemon is healthy, sends WATCHDOG=1 every
// half interval. Healthy = `probe` returned — the probe takes every status lock once (the same
// check as /livez), so a deadlocked collector stops the pings and systemd restarts the service
// (Restart=on-failure), which resumes from the committed state: nothing is lost.
// Enabled only when $WATCHDOG_USEC is set and $WATCHDOG_PID is unset or this process (the
// sd_watchdog_enabled() rules). Owns one thread; stop() (idempotent, destructor) joins it. Every
// wait honours the stop token.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"

namespace o365fwd {

// The interval systemd expects pings within, from the two environment values (nullopt: off).
std::optional<std::chrono::microseconds> watchdogInterval(const char* watchdog_usec,
                                                          const char* watchdog_pid, long self_pid);

class Watchdog {
 public:
  // `notify` sends one sd_notify state ("WATCHDOG=1"); `probe` blocks while the daemon is stuck.
  Watchdog(std::chrono::microseconds interval, std::function<void()> probe,
           std::function<bool(const std::string&)> notify, Clock& clock);
  ~Watchdog() { stop(); }
  void start();
  void stop();

 private:
  std::chrono::microseconds interval_;
  std::function<void()> probe_;
  std::function<bool(const std::string&)> notify_;
  Clock& clock_;
  std::jthread thread_;
};

}  // namespace o365fwd
