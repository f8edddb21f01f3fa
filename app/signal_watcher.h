#pragma once
// Turns process signals into calls on a dedicated thread (sigwait), so handlers may lock and log:
// SIGTERM/SIGINT -> on_stop (a second one is logged and ignored: the drain is already running),
// SIGHUP -> on_reload, SIGUSR1 -> on_sync. blockSignals() must run in main() before any thread is
// created so every thread inherits the blocked mask. Owns its thread; the destructor joins it.
#include <functional>
#include <thread>

namespace o365fwd {

struct SignalHandlers {
  std::function<void()> on_stop;
  std::function<void()> on_reload;
  std::function<void()> on_sync;
};

void blockSignals();

class SignalWatcher {
 public:
  explicit SignalWatcher(SignalHandlers handlers);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  SignalHandlers handlers_;
  std::thread thread_;
};

}  // namespace o365fwd
