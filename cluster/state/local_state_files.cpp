#include "cluster/state/local_state_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace o365fwd {
namespace {

namespace fs = std::filesystem;

Error ioError(const std::string& what, int err) {
  return Error::permanent(ErrorKind::kIo, what + ": " + std::strerror(err));
}

// Positions are one line each: <sink>\t<position>, with '\\', '\t' and '\n' escaped.
std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  return out;
}

std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char n = s[++i];
    out.push_back(n == 't' ? '\t' : n == 'n' ? '\n' : n);
  }
  return out;
}

Status syncPath(const fs::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return ioError("cannot open " + path.string(), errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0)
    return Error::retryableError(ErrorKind::kIo,
                                 "cannot sync " + path.string() + ": " + std::strerror(err));
  return okStatus();
}

}  // namespace

Result<std::unique_ptr<LocalStateFiles>> LocalStateFiles::open(const fs::path& state_dir) {
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec)
    return Error::permanent(ErrorKind::kIo, "cannot create the state directory " +
                                                state_dir.string() + ": " + ec.message());
  ::chmod(state_dir.c_str(), 0700);
  const fs::path path = state_dir / "lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ioError("cannot open the lock file " + path.string(), errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    if (err != EWOULDBLOCK) return ioError("cannot lock " + path.string(), err);
    std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "unknown";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return Error::permanent(ErrorKind::kIo, "state directory " + state_dir.string() +
                                                " is in use by another o365fwd process (pid " +
                                                pid + "); stop it or use another state_dir");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    int err = errno;
    ::close(fd);
    return ioError("cannot write the lock file " + path.string(), err);
  }
  return std::unique_ptr<LocalStateFiles>(new LocalStateFiles(state_dir, fd));
}

LocalStateFiles::~LocalStateFiles() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<std::vector<SinkPosition>> LocalStateFiles::readPositions() const {
  std::vector<SinkPosition> out;
  const fs::path path = dir_ / "sink_positions";
  std::ifstream in(path);
  if (!in) return out;
  std::string line;
  while (std::getline(in, line)) {
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    out.push_back({unescape(line.substr(0, tab)), unescape(line.substr(tab + 1))});
  }
  return out;
}

Status LocalStateFiles::writePositions(const std::vector<SinkPosition>& positions) {
  auto current = readPositions();
  std::vector<SinkPosition> all = current.ok() ? *current : std::vector<SinkPosition>{};
  for (const SinkPosition& p : positions) {
    bool replaced = false;
    for (SinkPosition& q : all)
      if (q.sink == p.sink) {
        q.position = p.position;
        replaced = true;
      }
    if (!replaced) all.push_back(p);
  }
  std::sort(all.begin(), all.end(),
            [](const SinkPosition& a, const SinkPosition& b) { return a.sink < b.sink; });
  std::string text;
  for (const SinkPosition& p : all) text += escape(p.sink) + "\t" + escape(p.position) + "\n";
  const fs::path path = dir_ / "sink_positions";
  const fs::path tmp = dir_ / "sink_positions.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ioError("cannot write " + tmp.string(), errno);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) err = errno;
    return Error::retryableError(ErrorKind::kIo,
                                 "cannot write " + path.string() + ": " + std::strerror(err));
  }
  return syncPath(dir_, O_RDONLY | O_DIRECTORY);
}

}  // namespace o365fwd
