#pragma once
// Accumulates one HTTP response body of unknown final size (a gzip body's Content-Length says
// nothing about its decoded size) without the hidden copies of a growing std::string: past a
// small first piece the bytes go into fixed chunks, each large enough to be its own mapping, so
// the memory held is the bytes stored plus at most one partly filled chunk. take() joins the
// chunks into one string and frees each chunk as soon as it is copied, so joining costs at most
// one chunk more than the body itself.
// Owned by one transfer; used by one thread at a time.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace o365fwd {

class BodyBuffer {
 public:
  // Bodies up to this size stay in one ordinary string.
  static constexpr std::size_t kSmallBytes = 1u << 20;
  // Above the mmap threshold of core/memory_policy.h, so every chunk is unmapped when freed;
  // small enough that joining (take()) costs little more than the body.
  static constexpr std::size_t kChunkBytes = 8u << 20;

  // A size announced by the server (Content-Length of an unencoded body): reserved at once.
  void reserve(std::uint64_t bytes);
  void append(const char* data, std::size_t n);
  std::uint64_t size() const { return size_; }
  // The whole body; the buffer is empty afterwards.
  std::string take();

 private:
  std::vector<std::string> chunks_;  // the last one is being filled
  std::uint64_t size_ = 0;
};

}  // namespace o365fwd
