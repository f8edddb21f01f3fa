#include "core/redact.h"

#include <array>
#include <cctype>

namespace o365fwd {
namespace {

bool startsWithNoCase(std::string_view s, size_t pos, std::string_view prefix) {
  if (pos + prefix.size() > s.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[pos + i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

// Where a value that follows `marker` ends.
size_t valueEnd(std::string_view s, size_t pos, bool quoted) {
  while (pos < s.size()) {
    char c = s[pos];
    if (quoted ? c == '"' : (c == '&' || c == '"' || c == '\'' || std::isspace(static_cast<unsigned char>(c))))
      break;
    ++pos;
  }
  return pos;
}

}  // namespace

std::string redactSecrets(std::string_view text) {
  struct Marker {
    std::string_view prefix;
    bool quoted;
  };
  static constexpr std::array<Marker, 8> kMarkers{{
      {"bearer ", false},
      {"client_secret=", false},
      {"client_assertion=", false},
      {"password=", false},
      {"\"access_token\":\"", true},
      {"\"access_token\": \"", true},
      {"\"client_secret\":\"", true},
      {"\"password\":\"", true},
  }};
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool matched = false;
    for (const Marker& m : kMarkers) {
      if (startsWithNoCase(text, i, m.prefix)) {
        out.append(text.substr(i, m.prefix.size()));
        size_t end = valueEnd(text, i + m.prefix.size(), m.quoted);
        if (end > i + m.prefix.size()) out.append("***");
        i = end;
        matched = true;
        break;
      }
    }
    if (!matched) out.push_back(text[i++]);
  }
  // A JWT anywhere (three base64url parts starting with eyJ) is a token.
  std::string result;
  result.reserve(out.size());
  for (size_t j = 0; j < out.size();) {
    if (out.compare(j, 3, "eyJ") == 0 && (j == 0 || !std::isalnum(static_cast<unsigned char>(out[j - 1])))) {
      size_t k = j, dots = 0;
      while (k < out.size() && (std::isalnum(static_cast<unsigned char>(out[k])) || out[k] == '-' ||
                                out[k] == '_' || out[k] == '.')) {
        if (out[k] == '.') ++dots;
        ++k;
      }
      if (dots >= 2) {
        result.append("***");
        j = k;
        continue;
      }
    }
    result.push_back(out[j++]);
  }
  return result;
}

}  // namespace o365fwd
