#include "sinks/file/append_file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>

namespace o365fwd {
namespace {

namespace fs = std::filesystem;

constexpr mode_t kFileMode = 0640;
constexpr mode_t kDirMode = 0750;

std::string errText(int err) {
  return std::error_code(err, std::generic_category()).message();
}

int fsyncPath(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

// mkdir -p; every directory it creates gets kDirMode whatever the umask, and is made durable in its
// parent. Returns 0 or an errno.
int createDirectories(const fs::path& dir) {
  fs::path current;
  for (const fs::path& part : dir) {
    current /= part;
    if (::mkdir(current.c_str(), kDirMode) != 0) {
      if (errno == EEXIST) continue;
      return errno;
    }
    if (::chmod(current.c_str(), kDirMode) != 0) return errno;
    if (int err = fsyncPath(current.parent_path())) return err;
  }
  return 0;
}

std::string hint(int err) {
  switch (err) {
    case ENOSPC:
    case EDQUOT: return "; free space on that file system";
    case EACCES:
    case EPERM: return "; check the permissions of the file and its directory for the service user";
    case EROFS: return "; the file system is read-only, choose another sinks[].path";
    default: return "";
  }
}

}  // namespace

AppendFile::AppendFile(std::filesystem::path path, std::uint64_t max_size, int max_files,
                       std::shared_ptr<spdlog::logger> logger)
    : path_(std::move(path)),
      max_size_(max_size),
      max_files_(std::max(0, max_files)),
      log_(std::move(logger)) {}

AppendFile::~AppendFile() {
  close();
}

Error AppendFile::ioError(const char* what, int err) const {
  return Error::retryableError(ErrorKind::kIo, std::string("Cannot ") + what + " " +
                                                   path_.string() + ": " + errText(err) +
                                                   hint(err) + " (records will be sent again)");
}

Status AppendFile::openOrCreate() {
  if (int err = createDirectories(path_.parent_path()))
    return ioError("create the directory of", err);
  bool created = true;
  int fd = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CLOEXEC | O_CREAT | O_EXCL, kFileMode);
  if (fd < 0 && errno == EEXIST) {
    created = false;
    fd = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  }
  if (fd < 0) return ioError("open", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ioError("inspect", err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error::permanent(ErrorKind::kConfig,
                            path_.string() +
                                " is not a regular file; sinks[].path must name a "
                                "regular file (the file sink rotates it by renaming)");
  }
  if (created) {
    if (::fchmod(fd, kFileMode) != 0) {
      int err = errno;
      ::close(fd);
      return ioError("set the mode of", err);
    }
    if (int err = fsyncPath(path_.parent_path())) {
      ::close(fd);
      return ioError("sync the directory of", err);
    }
  }
  fd_ = fd;
  size_ = static_cast<std::uint64_t>(st.st_size);
  if (dirty_ && (st.st_dev != dev_ || st.st_ino != ino_)) dirty_ = false;  // replaced meanwhile
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  return okStatus();
}

Status AppendFile::open() {
  if (fd_ >= 0) return okStatus();
  if (Status s = openOrCreate(); !s.ok()) return s;
  if (dirty_ && size_ > synced_size_) {
    if (::ftruncate(fd_, static_cast<off_t>(synced_size_)) != 0) {
      Error e = ioError("truncate unacknowledged bytes of", errno);
      abandon();
      return e;
    }
    log_->warn(
        "Removed bytes written after the last successful sync; they were never acknowledged "
        "and will be sent again path={} bytes={}",
        path_.string(), size_ - synced_size_);
    size_ = synced_size_;
  }
  if (Status s = repairTail(); !s.ok()) {
    abandon();
    return s;
  }
  // A fresh fd: make whatever the file holds (and any truncation above) durable before appending.
  if (::fsync(fd_) != 0) {
    Error e = ioError("sync", errno);
    abandon();
    return e;
  }
  dirty_ = false;
  synced_size_ = size_;
  return okStatus();
}

Status AppendFile::repairTail() {
  if (size_ == 0) return okStatus();
  constexpr std::size_t kChunk = 64 * 1024;
  std::string buf(kChunk, '\0');
  std::uint64_t end = size_;
  std::uint64_t keep = 0;
  bool first = true;
  while (end > 0) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, end));
    std::uint64_t from = end - n;
    ssize_t got = ::pread(fd_, buf.data(), n, static_cast<off_t>(from));
    if (got < 0 && errno == EINTR) continue;
    if (got != static_cast<ssize_t>(n)) return ioError("read the end of", got < 0 ? errno : EIO);
    if (first && buf[n - 1] == '\n') return okStatus();
    first = false;
    auto it = std::find(buf.rbegin() + static_cast<std::ptrdiff_t>(kChunk - n), buf.rend(), '\n');
    if (it != buf.rend()) {
      keep = from + static_cast<std::uint64_t>(buf.rend() - it);
      break;
    }
    end = from;
  }
  if (::ftruncate(fd_, static_cast<off_t>(keep)) != 0)
    return ioError("truncate a partial line of", errno);
  log_->warn(
      "Truncated a partial last line left by an interrupted write; those records were never "
      "acknowledged and will be sent again path={} removed_bytes={}",
      path_.string(), size_ - keep);
  size_ = keep;
  return okStatus();
}

void AppendFile::abandon() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  dirty_ = true;
}

void AppendFile::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status AppendFile::rotate() {
  close();
  const std::string base = path_.string();
  auto numbered = [&](int i) { return base + "." + std::to_string(i); };
  if (max_files_ == 0) {
    if (::unlink(base.c_str()) != 0 && errno != ENOENT) return ioError("remove (rotation)", errno);
  } else {
    for (int i = max_files_ - 1; i >= 1; --i) {
      if (::rename(numbered(i).c_str(), numbered(i + 1).c_str()) != 0 && errno != ENOENT)
        return ioError("rename a rotated file of", errno);
    }
    if (::rename(base.c_str(), numbered(1).c_str()) != 0 && errno != ENOENT)
      return ioError("rotate", errno);
  }
  dirty_ = false;
  if (Status s = openOrCreate(); !s.ok()) return s;
  if (int err = fsyncPath(path_.parent_path())) {
    abandon();
    return ioError("sync the directory of", err);
  }
  synced_size_ = size_;
  log_->info("Rotated output file path={} kept_files={}", base, max_files_);
  return okStatus();
}

Status AppendFile::write(std::vector<iovec>& iov) {
  std::size_t idx = 0;
  while (idx < iov.size()) {
    int count = static_cast<int>(std::min<std::size_t>(IOV_MAX, iov.size() - idx));
    ssize_t n = ::writev(fd_, &iov[idx], count);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ioError("write to", n < 0 ? errno : EIO);
    size_ += static_cast<std::uint64_t>(n);
    auto left = static_cast<std::size_t>(n);
    while (left > 0) {
      if (left >= iov[idx].iov_len) {
        left -= iov[idx].iov_len;
        ++idx;
      } else {
        iov[idx].iov_base = static_cast<char*>(iov[idx].iov_base) + left;
        iov[idx].iov_len -= left;
        left = 0;
      }
    }
  }
  return okStatus();
}

Status AppendFile::sync() {
  if (::fdatasync(fd_) != 0) return ioError("sync", errno);
  synced_size_ = size_;
  return okStatus();
}

}  // namespace o365fwd
