#pragma once
// A gzip body that expands to a chosen size of zeros (a "decompression bomb"), served cheaply:
// one deflate segment for 1 MiB of zeros is compressed once per process (about 1 KiB) and
// repeated, so a 10 GiB bomb costs the simulator about 10 MiB of copying per fetch and no memory.
// The gzip trailer's CRC-32 and size are right, so a client that decodes it to the end sees a
// valid stream. Deflate's ratio tops out near 1030:1, so a 10 GiB bomb is about 10 MB on the wire.
// Immutable after construction; any thread may read it.
#include <cstddef>
#include <cstdint>
#include <string>

namespace o365fwd::sim {

class GzipBomb {
 public:
  static constexpr std::uint64_t kSegmentBytes = 1u << 20;  // decoded bytes per segment
  // `decoded_bytes` is rounded up to whole MiB (at least one).
  explicit GzipBomb(std::uint64_t decoded_bytes);
  std::uint64_t decodedSize() const { return segments_ * kSegmentBytes; }
  std::uint64_t encodedSize() const;
  // Copies up to `max` encoded bytes starting at `offset` into `out` (replacing it).
  void read(std::uint64_t offset, std::size_t max, std::string& out) const;

 private:
  std::uint64_t segments_;
  std::string head_;  // gzip header
  std::string tail_;  // final empty block + CRC-32 + ISIZE
};

}  // namespace o365fwd::sim
