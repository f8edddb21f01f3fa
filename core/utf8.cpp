#include "core/utf8.h"

#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace o365fwd {
namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ull;

// Length of the well-formed sequence starting at p[0] (non-ASCII), or 0 when it is ill-formed.
std::size_t sequenceLength(const unsigned char* p, std::size_t left) {
  const unsigned char b0 = p[0];
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // continuation byte, C0/C1 (overlong) or F5..FF
  }
  if (left < len || p[1] < lo || p[1] > hi) return 0;
  for (std::size_t i = 2; i < len; ++i)
    if ((p[i] & 0xC0) != 0x80) return 0;
  return len;
}

}  // namespace

bool isValidUtf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t left = bytes.size();
  while (left > 0) {
    if (left >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      if ((word & kHighBits) == 0) {
        p += 8;
        left -= 8;
        continue;
      }
    }
    if (*p < 0x80) {
      ++p;
      --left;
      continue;
    }
    std::size_t n = sequenceLength(p, left);
    if (n == 0) return false;
    p += n;
    left -= n;
  }
  return true;
}

bool flattenLineBreaksAndCheckUtf8(char* bytes, std::size_t size) {
  constexpr std::uint64_t kSpaces = 0x2020202020202020ull;
  auto* p = reinterpret_cast<unsigned char*>(bytes);
  std::size_t left = size;
  bool valid = true;
  while (left > 0) {
#if defined(__SSE2__)
    // Sixteen bytes a step: as signed bytes, both a byte below 0x20 and a non-ASCII one (high bit
    // set) compare less than 0x20 (twice the eight-byte step below on run --once's records).
    if (left >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      if (_mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20))) == 0) {
        p += 16;
        left -= 16;
        continue;
      }
    }
#endif
    if (left >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      // A high bit: non-ASCII; (word - 0x20..) & ~word & 0x80..: some byte is below 0x20.
      if (((word & kHighBits) | ((word - kSpaces) & ~word & kHighBits)) == 0) {
        p += 8;
        left -= 8;
        continue;
      }
    }
    if (*p < 0x80) {
      if (*p == '\n' || *p == '\r') *p = ' ';
      ++p;
      --left;
      continue;
    }
    std::size_t n = valid ? sequenceLength(p, left) : 1;
    if (n == 0) {
      valid = false;  // go on flattening
      n = 1;
    }
    p += n;
    left -= n;
  }
  return valid;
}

}  // namespace o365fwd
