#include "tests/support/test_paths.h"

#include <cstdlib>

namespace o365fwd::testing {

std::filesystem::path binaryDir() { return O365FWD_BINARY_DIR; }
std::filesystem::path sourceDir() { return O365FWD_SOURCE_DIR; }
std::filesystem::path forwarderBinary() { return binaryDir() / "app" / "o365fwd"; }
std::filesystem::path simulatorBinary() { return binaryDir() / "sim" / "o365fwd-sim"; }

std::filesystem::path samplesDir() {
  std::filesystem::path dir = O365FWD_SAMPLES_DIR;
  if (const char* env = std::getenv("O365FWD_SAMPLES_DIR")) dir = env;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return {};
  return std::filesystem::canonical(dir, ec);
}

}  // namespace o365fwd::testing
