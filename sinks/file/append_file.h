#pragma once
// One NDJSON output file and its rotated predecessors (path.1 ... path.N), with POSIX calls only.
// Owned by FileSink and used by its writer thread only: not thread-safe.
//
// Promises:
// - The file is opened O_WRONLY|O_APPEND|O_CLOEXEC; a file it creates gets mode 0640 whatever the
//   umask (fchmod), a parent directory it creates gets 0750; creation and rotation fsync the
//   directory before anything written to the new file can be reported durable.
// - open() leaves the file ending at a line boundary: a partial last line (a crash mid-write, never
//   acknowledged) is truncated away. After a failed write or sync (abandon()), the next open()
//   first truncates the file back to the last size that was synced, because bytes after it were
//   never acknowledged and will be sent again. fsync is never retried on an fd that failed.
// - Only regular files are written (rotation renames the file).
#include <spdlog/logger.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "core/result.h"

namespace o365fwd {

class AppendFile {
 public:
  AppendFile(std::filesystem::path path, std::uint64_t max_size, int max_files,
             std::shared_ptr<spdlog::logger> logger);
  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  Status open();
  bool isOpen() const { return fd_ >= 0; }
  // Closes after a failed write/sync; the next open() repairs the file (see above).
  void abandon();
  // Closes a healthy file (everything written was synced).
  void close();

  std::uint64_t size() const { return size_; }
  // The file's identity (device, inode: kept by rotation's rename) and the size known durable.
  std::uint64_t device() const { return static_cast<std::uint64_t>(dev_); }
  std::uint64_t inode() const { return static_cast<std::uint64_t>(ino_); }
  std::uint64_t syncedSize() const { return synced_size_; }
  const std::filesystem::path& path() const { return path_; }
  // Whether appending `bytes` to a file that would then hold `planned` bytes exceeds max_size.
  // An empty file takes anything (a batch larger than max_size goes into a fresh file alone).
  bool wouldExceed(std::uint64_t planned, std::uint64_t bytes) const {
    return planned > 0 && planned + bytes > max_size_;
  }
  // path.(N-1) -> path.N ... path -> path.1 (the oldest is replaced), fsync(dir), new empty file.
  // max_files == 0: the current file is removed instead. Call only when everything is synced.
  Status rotate();
  // Writes all of `iov` (partial writes and IOV_MAX handled).
  Status write(std::vector<iovec>& iov);
  // fdatasync; on success the file's current size counts as synced.
  Status sync();

 private:
  Status openOrCreate();
  Status repairTail();
  Status syncDirectory();
  Error ioError(const char* what, int err) const;

  std::filesystem::path path_;
  std::uint64_t max_size_;
  int max_files_;
  std::shared_ptr<spdlog::logger> log_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::uint64_t synced_size_ = 0;
  bool dirty_ = false;  // the last fd failed: bytes after synced_size_ are unacknowledged
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace o365fwd
