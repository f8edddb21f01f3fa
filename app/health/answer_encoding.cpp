#include "app/health/answer_encoding.h"

#include <zlib.h>

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

bool acceptsGzip(std::string_view header) {
  bool star = false, gzip = false, gzip_named = false;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    auto semi = item.find(';');
    std::string_view coding = trim(item.substr(0, semi));
    double q = semi == std::string_view::npos ? 1.0 : qValue(item.substr(semi + 1));
    if (equalsFolded(coding, "gzip")) {
      gzip_named = true;
      gzip = q > 0;
    } else if (coding == "*") {
      star = q > 0;
    }
  }
  return gzip_named ? gzip : star;
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

}  // namespace o365fwd
