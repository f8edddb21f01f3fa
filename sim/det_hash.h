#pragma once
// Deterministic, stateless hashing used to derive every simulated value from (seed, stream,
// blob, record): the same inputs always give the same bytes, so blob bodies can be generated
// lazily on any thread without storing them. Header-only, pure, thread-safe.
#include <cstdint>
#include <string>
#include <string_view>

namespace o365fwd::sim {

// SplitMix64 finaliser: a bijection on 64-bit values with good avalanche.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

constexpr std::uint64_t hashCombine(std::uint64_t a, std::uint64_t b) {
  return mix64(a ^ (mix64(b) + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2)));
}

// FNV-1a of a string, then mixed.
constexpr std::uint64_t hashString(std::string_view s) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ull;
  }
  return mix64(h);
}

// Uniform double in [0, 1) from a hash value.
constexpr double unitOf(std::uint64_t h) {
  return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

// A bijection on 62-bit values (xor-shift/multiply modulo 2^62): distinct inputs below 2^62
// give distinct outputs, which is what makes generated record Ids unique within a stream.
constexpr std::uint64_t mix62(std::uint64_t x) {
  constexpr std::uint64_t kMask = (1ull << 62) - 1;
  x &= kMask;
  x = (x ^ (x >> 31)) & kMask;
  x = (x * 0x7FB5D329728EA185ull) & kMask;
  x = (x ^ (x >> 27)) & kMask;
  x = (x * 0x81DADEF4BC2DD44Dull) & kMask;
  x = (x ^ (x >> 33)) & kMask;
  return x;
}

// Lower-case version-4 GUID text from two 64-bit values. `b` keeps its low 62 bits intact,
// so GUIDs built with distinct mix62() values in `b` are distinct.
std::string guidText(std::uint64_t a, std::uint64_t b);
// Appends the GUID text (36 characters) to `out` without allocating a temporary.
void appendGuid(std::string& out, std::uint64_t a, std::uint64_t b);
// A GUID that is a pure function of a label (stable ids for tenants, apps, sites...).
std::string guidFromLabel(std::string_view label);

}  // namespace o365fwd::sim
