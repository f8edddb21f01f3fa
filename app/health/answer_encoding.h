#pragma once
// Compression of health-endpoint answers (issue 11): gzip at a low level, chosen because it costs
// a few milliseconds for a 5,000-stream /status where brotli at its default quality cost over a
// second (docs/BENCHMARKS.md). Brotli is never offered: a client asking for `gzip, deflate, br`
// gets gzip. The only file that includes zlib for the daemon. Pure functions, any thread.
#include <optional>
#include <string>
#include <string_view>

namespace o365fwd {

// Answers shorter than this are sent as they are: compression would not pay for itself.
inline constexpr std::size_t kMinCompressedAnswerBytes = 1024;
// zlib level 1: ~4x smaller JSON at a fraction of level 6's CPU.
inline constexpr int kAnswerGzipLevel = 1;

// Whether an Accept-Encoding header value accepts gzip ("gzip" or "*" with a q-value above 0).
bool acceptsGzip(std::string_view accept_encoding);

// The gzip member (RFC 1952) of `text`; nullopt when zlib fails (then send it uncompressed).
std::optional<std::string> gzipCompress(std::string_view text, int level = kAnswerGzipLevel);

}  // namespace o365fwd
