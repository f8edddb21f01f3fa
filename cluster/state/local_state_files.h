#pragma once
// What cluster mode keeps on the host, under state_dir: the directory's lock (the same
// <state_dir>/lock the SQLite store takes, so two processes never share a state_dir) and the file
// sink positions (<state_dir>/sink_positions), which are host-local because the file sink's files
// are. Not thread-safe: the Kafka state store calls it under its own lock.
//
// Promises: lock() fails with a message naming the holder's pid; writePositions() replaces the
// file atomically (temporary file, fsync, rename, fsync of the directory).
#include <filesystem>
#include <memory>
#include <vector>

#include "core/result.h"
#include "pipeline/state/state_store.h"

namespace o365fwd {

class LocalStateFiles {
 public:
  // Creates state_dir (0700) if needed and takes its lock for the object's life.
  static Result<std::unique_ptr<LocalStateFiles>> open(const std::filesystem::path& state_dir);
  ~LocalStateFiles();
  LocalStateFiles(const LocalStateFiles&) = delete;
  LocalStateFiles& operator=(const LocalStateFiles&) = delete;

  // The stored positions (empty when the file does not exist).
  Result<std::vector<SinkPosition>> readPositions() const;
  Status writePositions(const std::vector<SinkPosition>& positions);
  const std::filesystem::path& dir() const { return dir_; }

 private:
  LocalStateFiles(std::filesystem::path dir, int lock_fd)
      : dir_(std::move(dir)), lock_fd_(lock_fd) {}
  std::filesystem::path dir_;
  int lock_fd_ = -1;
};

}  // namespace o365fwd
