#pragma once
// Keeps what could not be delivered: raw blob bytes that are not valid JSON, records a sink will
// never accept, blobs larger than the limit. Each dead letter is one file under
// <state_dir>/dead-letter/ named <utc time>-<tenant>-<content type>-<reason>-<n>.json, written
// 0600 with fsync, plus one line appended to <state_dir>/dead-letter/index.ndjson describing it.
// Thread-safe. Nothing is dropped silently: every write is counted and logged at ERROR by the caller.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "connector/content_ref.h"
#include "core/clock.h"
#include "core/result.h"

namespace o365fwd {

class DeadLetterWriter {
 public:
  DeadLetterWriter(std::filesystem::path state_dir, Clock& clock);
  // Writes `bytes` and returns the path written.
  Result<std::filesystem::path> write(const ContentRef& content, std::string_view reason,
                                      std::string_view detail, std::string_view bytes);
  std::uint64_t count() const { return count_.load(); }
  std::filesystem::path directory() const { return dir_; }

 private:
  std::filesystem::path dir_;
  Clock& clock_;
  std::mutex mu_;
  std::atomic<std::uint64_t> count_{0};
  std::uint64_t sequence_ = 0;
};

}  // namespace o365fwd
