#include "app/health/answer_encoding.h"

#include <brotli/encode.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>

namespace o365fwd {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool equalsFolded(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

// The q-value of one coding's parameters ("q=0.5"); 1 when absent, 0 when unparsable.
double qValue(std::string_view params) {
  while (!params.empty()) {
    auto semi = params.find(';');
    std::string_view p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      std::string value(p.substr(2));
      char* end = nullptr;
      double q = std::strtod(value.c_str(), &end);
      return end == value.c_str() ? 0.0 : q;
    }
  }
  return 1.0;
}

}  // namespace

bool acceptsCoding(std::string_view header, std::string_view wanted) {
  bool star = false, accepted = false, named = false;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    auto semi = item.find(';');
    std::string_view coding = trim(item.substr(0, semi));
    double q = semi == std::string_view::npos ? 1.0 : qValue(item.substr(semi + 1));
    if (equalsFolded(coding, wanted)) {
      named = true;
      accepted = q > 0;
    } else if (coding == "*") {
      star = q > 0;
    }
  }
  return named ? accepted : star;
}

std::optional<std::string> gzipCompress(std::string_view text, int level) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return std::nullopt;
  std::string out(deflateBound(&z, static_cast<uLong>(text.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const std::size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(written);
  return out;
}

std::optional<std::string> brotliCompress(std::string_view text, int quality) {
  std::string out(BrotliEncoderMaxCompressedSize(text.size()), '\0');
  if (out.empty()) out.resize(16);  // the bound is 0 when the input is too large to bound
  std::size_t size = out.size();
  if (!BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, text.size(),
                             reinterpret_cast<const std::uint8_t*>(text.data()), &size,
                             reinterpret_cast<std::uint8_t*>(out.data())))
    return std::nullopt;
  out.resize(size);
  return out;
}

const char* contentEncoding(AnswerEncoding encoding) {
  switch (encoding) {
    case AnswerEncoding::kGzip: return "gzip";
    case AnswerEncoding::kBrotli: return "br";
    case AnswerEncoding::kIdentity: break;
  }
  return "";
}

AnswerEncoding chooseEncoding(std::string_view accept_encoding) {
  if (acceptsCoding(accept_encoding, "br")) return AnswerEncoding::kBrotli;
  if (acceptsCoding(accept_encoding, "gzip")) return AnswerEncoding::kGzip;
  return AnswerEncoding::kIdentity;
}

std::optional<std::string> encodeAnswer(std::string_view text, AnswerEncoding encoding) {
  switch (encoding) {
    case AnswerEncoding::kGzip: return gzipCompress(text);
    case AnswerEncoding::kBrotli: return brotliCompress(text);
    case AnswerEncoding::kIdentity: break;
  }
  return std::nullopt;
}

}  // namespace o365fwd
