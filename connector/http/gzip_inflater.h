#pragma once
// Decodes a whole gzip body in one call into a buffer sized beforehand, instead of inflating it
// piece by piece as it arrives: libdeflate, 2-3x zlib's inflate and CRC-32. The only file of the
// project that includes libdeflate.h is gzip_inflater.cpp.
// One object per thread (it owns the decompressor's tables, reused call after call); not
// thread-safe. The transport's I/O thread owns one.
// Promises: never writes more than `capacity` bytes; a body is kDecoded only when every member
// decoded with its CRC-32 and size checked and nothing but gzip members followed.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace o365fwd {

class GzipInflater {
 public:
  GzipInflater();
  ~GzipInflater();
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;

  // The size the body's gzip trailer gives (ISIZE: the last member's decoded size modulo 2^32),
  // or nullopt when `body` does not start like gzip or is too short to be one. For any valid gzip
  // body it is at most the decoded size (several members, or one of 4 GiB and more, decode to
  // more), so a body whose trailer is over a limit is over it too.
  static std::optional<std::uint64_t> trailerSize(std::string_view body);

  enum class Outcome {
    kDecoded,  // `out` holds the decoded body
    kLarger,   // it decodes to more than `capacity` (its trailer understated it)
    kInvalid,  // not gzip, corrupt, a checksum or size that does not match, trailing bytes,
               // or no decompressor (out of memory)
  };
  // Decodes every gzip member of `body` into `out` (replaced; its size is the decoded size).
  Outcome inflate(std::string_view body, std::uint64_t capacity, std::string& out);

 private:
  void* decompressor_;  // libdeflate_decompressor*
};

}  // namespace o365fwd
