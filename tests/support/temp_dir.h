#pragma once
// A private temporary directory for one test. Owns the directory and everything in it: the
// destructor removes it, unless O365FWD_KEEP_TEMP=1 is set (then its path is printed to stderr so
// a failed test's files can be inspected). Before that, the suite-wide secret check scans the
// directories registered below it (tests/support/secret_scan.h). Not thread-safe; one owner.
#include <filesystem>
#include <string>

namespace o365fwd::testing {

class TempDir {
 public:
  // mkdtemp() under $TMPDIR (or /tmp) with the given name prefix. Aborts the test binary with a
  // message when the directory cannot be created (a broken machine, not a test failure).
  explicit TempDir(const std::string& prefix = "o365fwd-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // path() / name, as a string (convenient for argv).
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace o365fwd::testing
