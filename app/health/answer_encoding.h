#pragma once
// Compression of health-endpoint answers (issue 11): brotli at quality 1 when the client accepts
// it (every current browser, `curl --compressed` with a brotli-enabled libcurl), else gzip at
// level 1. Both cost a few milliseconds for a 5,000-stream /status, where brotli at its default
// quality (11) costs seconds (docs/BENCHMARKS.md, status_encoding_bench); brotli 1 is both faster
// and smaller than gzip 1 there. The only file that includes zlib and brotli for the daemon.
// Pure functions, any thread.
#include <optional>
#include <string>
#include <string_view>

namespace o365fwd {

// Answers shorter than this are sent as they are: compression would not pay for itself.
inline constexpr std::size_t kMinCompressedAnswerBytes = 1024;
// zlib level 1 and brotli quality 1: the cheapest levels; higher ones buy little here.
inline constexpr int kAnswerGzipLevel = 1;
inline constexpr int kAnswerBrotliQuality = 1;

enum class AnswerEncoding { kIdentity, kGzip, kBrotli };
// "" | "gzip" | "br": the Content-Encoding value.
const char* contentEncoding(AnswerEncoding encoding);
// The cheapest coding the Accept-Encoding header value allows: br, then gzip, then identity.
AnswerEncoding chooseEncoding(std::string_view accept_encoding);

// Whether an Accept-Encoding header value accepts the coding ("gzip", "br"; named, or "*", with a
// q-value above 0; a coding named with q=0 is refused whatever "*" says).
bool acceptsCoding(std::string_view accept_encoding, std::string_view coding);
inline bool acceptsGzip(std::string_view accept_encoding) {
  return acceptsCoding(accept_encoding, "gzip");
}

// The gzip member (RFC 1952) of `text`; nullopt when zlib fails (then send it uncompressed).
std::optional<std::string> gzipCompress(std::string_view text, int level = kAnswerGzipLevel);
// A brotli stream (RFC 7932) of `text`; nullopt when the encoder fails.
std::optional<std::string> brotliCompress(std::string_view text,
                                          int quality = kAnswerBrotliQuality);
// `text` in `encoding`; nullopt for identity or when the encoder failed (send it as it is).
std::optional<std::string> encodeAnswer(std::string_view text, AnswerEncoding encoding);

}  // namespace o365fwd
