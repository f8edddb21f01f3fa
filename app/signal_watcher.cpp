#include "app/signal_watcher.h"

#include <pthread.h>
#include <signal.h>

#include "core/logging.h"

namespace o365fwd {
namespace {

sigset_t watchedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);  // internal: wakes the watcher for shutdown
  return set;
}

}  // namespace

void blockSignals() {
  sigset_t set = watchedSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed socket is an error value, not a process kill
}

SignalWatcher::SignalWatcher(SignalHandlers handlers) : handlers_(std::move(handlers)) {
  thread_ = std::thread([this] {
    sigset_t set = watchedSignals();
    bool stopping = false;
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (sig == SIGUSR2) return;
      if (sig == SIGTERM || sig == SIGINT) {
        if (stopping) {
          getLogger("app")->warn("Second stop signal ignored; the drain is already running");
          continue;
        }
        stopping = true;
        getLogger("app")->info("Received {}; draining and stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        if (handlers_.on_stop) handlers_.on_stop();
      } else if (sig == SIGHUP) {
        getLogger("app")->info("Received SIGHUP; reloading secrets and log level");
        if (handlers_.on_reload) handlers_.on_reload();
      } else if (sig == SIGUSR1) {
        getLogger("app")->info("Received SIGUSR1; polling every stream now");
        if (handlers_.on_sync) handlers_.on_sync();
      }
    }
  });
}

SignalWatcher::~SignalWatcher() {
  if (thread_.joinable()) {
    pthread_kill(thread_.native_handle(), SIGUSR2);
    thread_.join();
  }
}

}  // namespace o365fwd
