#include "sim/records/gzip_bomb.h"

#include <zlib.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace o365fwd::sim {
namespace {

// Raw deflate of kSegmentBytes zeros ending in a full flush: byte-aligned, no history, not final,
// so copies of it can follow each other.
const std::string& zeroSegment() {
  static const std::string segment = [] {
    std::vector<unsigned char> zeros(GzipBomb::kSegmentBytes, 0);
    z_stream z{};
    if (deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("deflateInit2 failed");
    std::string out(deflateBound(&z, zeros.size()) + 64, '\0');
    z.next_in = zeros.data();
    z.avail_in = static_cast<uInt>(zeros.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FULL_FLUSH);
    out.resize(out.size() - z.avail_out);
    deflateEnd(&z);
    return out;
  }();
  return segment;
}

void putLe32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

GzipBomb::GzipBomb(std::uint64_t decoded_bytes)
    : segments_(std::max<std::uint64_t>(1, (decoded_bytes + kSegmentBytes - 1) / kSegmentBytes)) {
  head_ = std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff", 10);
  std::vector<unsigned char> zeros(kSegmentBytes, 0);
  const uLong one = crc32(0L, zeros.data(), static_cast<uInt>(zeros.size()));
  // CRC of `segments_` segments by binary doubling.
  uLong crc = crc32(0L, Z_NULL, 0), power = one;
  std::uint64_t power_len = kSegmentBytes, len = 0;
  for (std::uint64_t n = segments_; n > 0; n >>= 1) {
    if (n & 1) {
      crc = len == 0 ? power : crc32_combine(crc, power, static_cast<z_off_t>(power_len));
      len += power_len;
    }
    power = crc32_combine(power, power, static_cast<z_off_t>(power_len));
    power_len *= 2;
  }
  tail_ = std::string("\x03\x00", 2);  // a final, empty fixed-Huffman block
  putLe32(tail_, static_cast<std::uint32_t>(crc));
  putLe32(tail_, static_cast<std::uint32_t>(decodedSize() & 0xffffffffu));
}

std::uint64_t GzipBomb::encodedSize() const {
  return head_.size() + segments_ * zeroSegment().size() + tail_.size();
}

void GzipBomb::read(std::uint64_t offset, std::size_t max, std::string& out) const {
  out.clear();
  const std::string& seg = zeroSegment();
  const std::uint64_t body_end = head_.size() + segments_ * seg.size();
  while (out.size() < max && offset < encodedSize()) {
    std::string_view piece;
    std::uint64_t at = 0;
    if (offset < head_.size()) {
      piece = head_;
      at = offset;
    } else if (offset < body_end) {
      piece = seg;
      at = (offset - head_.size()) % seg.size();
    } else {
      piece = tail_;
      at = offset - body_end;
    }
    std::size_t n = std::min<std::size_t>(max - out.size(), piece.size() - at);
    out.append(piece.substr(at, n));
    offset += n;
  }
}

}  // namespace o365fwd::sim
