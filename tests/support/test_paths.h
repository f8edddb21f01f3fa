#pragma once
// Where the tests find the built binaries and the public sample records.
#include <filesystem>
#include <string>

namespace o365fwd::testing {

std::filesystem::path binaryDir();
std::filesystem::path sourceDir();  // the repository root
std::filesystem::path forwarderBinary();  // build/app/o365fwd
std::filesystem::path simulatorBinary();  // build/sim/o365fwd-sim
// ../shared/samples/o365 (or $O365FWD_SAMPLES_DIR). Empty when absent: tests that need the
// samples call GTEST_SKIP() with a message then.
std::filesystem::path samplesDir();

}  // namespace o365fwd::testing
