#pragma once
// Names the calling thread for the operator's tools (`top -H`, `ps -L`, perf, gdb): the kernel
// keeps 15 bytes, longer names are cut. The only user of pthread_setname_np.
#include <string_view>

namespace o365fwd {

void nameThisThread(std::string_view name);

}  // namespace o365fwd
