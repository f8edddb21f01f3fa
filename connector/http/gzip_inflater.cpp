// The only file of the project that includes libdeflate.h.
#include "connector/http/gzip_inflater.h"

#include <libdeflate.h>

namespace o365fwd {
namespace {

constexpr std::size_t kMinGzipBytes = 18;  // 10-byte header, an empty block, 8-byte trailer

libdeflate_decompressor* asDecompressor(void* p) {
  return static_cast<libdeflate_decompressor*>(p);
}

}  // namespace

GzipInflater::GzipInflater() : decompressor_(libdeflate_alloc_decompressor()) {}

GzipInflater::~GzipInflater() {
  libdeflate_free_decompressor(asDecompressor(decompressor_));
}

std::optional<std::uint64_t> GzipInflater::trailerSize(std::string_view body) {
  if (body.size() < kMinGzipBytes) return std::nullopt;
  const auto* b = reinterpret_cast<const unsigned char*>(body.data());
  if (b[0] != 0x1f || b[1] != 0x8b || b[2] != 8) return std::nullopt;  // magic, deflate
  const unsigned char* t = b + body.size() - 4;
  return std::uint64_t{t[0]} | std::uint64_t{t[1]} << 8 | std::uint64_t{t[2]} << 16 |
         std::uint64_t{t[3]} << 24;
}

GzipInflater::Outcome GzipInflater::inflate(std::string_view body, std::uint64_t capacity,
                                            std::string& out) {
  out.clear();
  // Without a decompressor (out of memory at construction) the caller's other path decodes it.
  if (!decompressor_ || !trailerSize(body)) return Outcome::kInvalid;
  // Zero-filled once; the decoder writes over it.
  out.resize(static_cast<std::size_t>(capacity));
  std::size_t in_at = 0, out_at = 0;
  while (in_at < body.size()) {
    std::size_t in_used = 0, out_used = 0;
    const libdeflate_result r = libdeflate_gzip_decompress_ex(
        asDecompressor(decompressor_), body.data() + in_at, body.size() - in_at,
        out.data() + out_at, out.size() - out_at, &in_used, &out_used);
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
      out.clear();
      return Outcome::kLarger;
    }
    if (r != LIBDEFLATE_SUCCESS || in_used == 0) {
      out.clear();
      return Outcome::kInvalid;
    }
    in_at += in_used;
    out_at += out_used;
  }
  out.resize(out_at);
  return Outcome::kDecoded;
}

}  // namespace o365fwd
