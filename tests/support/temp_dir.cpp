#include "tests/support/temp_dir.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tests/support/secret_scan.h"

namespace o365fwd::testing {

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string templ =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    std::fprintf(stderr, "TempDir: mkdtemp(%s) failed: %s\n", templ.c_str(), std::strerror(errno));
    std::abort();
  }
  path_ = buf.data();
}

TempDir::~TempDir() {
  // The suite-wide secret check looks at what the forwarder wrote here before it is removed.
  SecretScan::instance().checkDirectoriesBelow(path_);
  const char* keep = std::getenv("O365FWD_KEEP_TEMP");
  if (keep != nullptr && std::string(keep) == "1") {
    std::fprintf(stderr, "TempDir: keeping %s (O365FWD_KEEP_TEMP=1)\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace o365fwd::testing
