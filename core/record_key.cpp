// RecordKey::of: MurmurHash3_x64_128 (Austin Appleby's public-domain algorithm, written out here),
// seed 0, over the length-prefixed fields
//     le64(len(tenant)) tenant le64(len(id)) id le64(len(operation)) operation
// so ("ab","c") and ("a","bc") never collide by construction. hi = h1, lo = h2 of the reference
// implementation (its first and second 64-bit output words). The value is stored in the state
// database: it must never change across versions, compilers or machines (byte order is fixed
// little-endian below; tests pin vectors).
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/record_key.h"

namespace o365fwd {
namespace {

constexpr std::uint64_t kC1 = 0x87c37b91114253d5ull;
constexpr std::uint64_t kC2 = 0x4cf5ad432745937full;

std::uint64_t load64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::uint64_t fmix64(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

// Streaming MurmurHash3_x64_128: feeds 16-byte blocks as they fill; identical to the one-shot
// reference over the concatenation of everything fed.
class Murmur3x64128 {
 public:
  void feed(const void* data, std::size_t len) {
    if (len == 0) return;  // data may be null then
    const auto* p = static_cast<const unsigned char*>(data);
    total_ += len;
    if (fill_ > 0) {
      std::size_t n = std::min(len, buf_.size() - fill_);
      std::memcpy(buf_.data() + fill_, p, n);
      fill_ += n;
      p += n;
      len -= n;
      if (fill_ < buf_.size()) return;
      block(buf_.data());
      fill_ = 0;
    }
    for (; len >= 16; p += 16, len -= 16) block(p);
    std::memcpy(buf_.data(), p, len);
    fill_ = len;
  }

  void feedLengthPrefixed(std::string_view s) {
    unsigned char len[8];
    std::uint64_t n = s.size();
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
    feed(len, sizeof len);
    feed(s.data(), s.size());
  }

  RecordKey finish() {
    std::uint64_t k1 = 0, k2 = 0;
    const unsigned char* tail = buf_.data();
    // The reference switch falls through from the highest tail byte down.
    for (std::size_t i = fill_; i > 8; --i) k2 = (k2 << 8) | tail[i - 1];
    for (std::size_t i = std::min<std::size_t>(fill_, 8); i > 0; --i) k1 = (k1 << 8) | tail[i - 1];
    if (fill_ > 8) {
      k2 *= kC2;
      k2 = std::rotl(k2, 33);
      k2 *= kC1;
      h2_ ^= k2;
    }
    if (fill_ > 0) {
      k1 *= kC1;
      k1 = std::rotl(k1, 31);
      k1 *= kC2;
      h1_ ^= k1;
    }
    h1_ ^= total_;
    h2_ ^= total_;
    h1_ += h2_;
    h2_ += h1_;
    h1_ = fmix64(h1_);
    h2_ = fmix64(h2_);
    h1_ += h2_;
    h2_ += h1_;
    return RecordKey{h1_, h2_};
  }

 private:
  void block(const unsigned char* p) {
    std::uint64_t k1 = load64(p);
    std::uint64_t k2 = load64(p + 8);
    k1 *= kC1;
    k1 = std::rotl(k1, 31);
    k1 *= kC2;
    h1_ ^= k1;
    h1_ = std::rotl(h1_, 27);
    h1_ += h2_;
    h1_ = h1_ * 5 + 0x52dce729;
    k2 *= kC2;
    k2 = std::rotl(k2, 33);
    k2 *= kC1;
    h2_ ^= k2;
    h2_ = std::rotl(h2_, 31);
    h2_ += h1_;
    h2_ = h2_ * 5 + 0x38495ab5;
  }

  std::uint64_t h1_ = 0;  // seed 0
  std::uint64_t h2_ = 0;
  std::uint64_t total_ = 0;
  std::array<unsigned char, 16> buf_{};
  std::size_t fill_ = 0;
};

}  // namespace

RecordKey RecordKey::of(std::string_view tenant, std::string_view id, std::string_view operation) {
  Murmur3x64128 h;
  h.feedLengthPrefixed(tenant);
  h.feedLengthPrefixed(id);
  h.feedLengthPrefixed(operation);
  return h.finish();
}

}  // namespace o365fwd
