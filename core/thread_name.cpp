#include "core/thread_name.h"

#include <pthread.h>

#include <string>

namespace o365fwd {

void nameThisThread(std::string_view name) {
  std::string cut(name.substr(0, 15));  // TASK_COMM_LEN - 1: a longer name is refused (ERANGE)
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace o365fwd
