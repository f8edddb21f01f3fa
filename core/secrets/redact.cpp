#include "core/secrets/redact.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>
#include <vector>

#include "core/secrets/sensitive_values.h"

namespace o365fwd {
namespace {

using Span = std::pair<size_t, size_t>;

// ASCII only, like std::tolower in the "C" locale, without a library call per character: the
// redactor runs over whole /status and /metrics documents.
char asciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

bool startsWithNoCase(std::string_view s, size_t pos, std::string_view prefix) {
  if (pos + prefix.size() > s.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (asciiLower(s[pos + i]) != asciiLower(prefix[i])) return false;
  return true;
}

bool isBase64Url(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// Where a value that follows a marker ends: at the closing quote of a JSON string (skipping
// escaped characters), or at the first delimiter of an unquoted value.
size_t valueEnd(std::string_view s, size_t pos, bool quoted) {
  while (pos < s.size()) {
    char c = s[pos];
    if (quoted) {
      if (c == '\\' && pos + 1 < s.size()) {
        pos += 2;
        continue;
      }
      if (c == '"') break;
    } else if (c == '&' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\' || c == ',' ||
               c == ';' || std::isspace(static_cast<unsigned char>(c))) {
      break;
    }
    ++pos;
  }
  return pos;
}

struct Marker {
  std::string_view prefix;
  bool quoted;
};

// Labels whose value is masked: form fields (plain and percent-encoded), JSON members, and the
// Authorization scheme. "Bearer" takes any run of blanks (or its URL spellings) before the value.
constexpr std::array<Marker, 18> kMarkers{{
    {"client_secret=", false},
    {"client_secret%3d", false},
    {"client_assertion=", false},
    {"client_assertion%3d", false},
    {"access_token=", false},
    {"password=", false},
    {"\"access_token\":\"", true},
    {"\"access_token\": \"", true},
    {"\"refresh_token\":\"", true},
    {"\"id_token\":\"", true},
    {"\"client_secret\":\"", true},
    {"\"client_secret\": \"", true},
    {"\"client_assertion\":\"", true},
    {"\"client_assertion\": \"", true},
    {"\"password\":\"", true},
    {"\"password\": \"", true},
    {"\"authorization\":\"", true},
    {"\"authorization\": \"", true},
}};

constexpr std::string_view kBearer = "bearer";

// kLabelPairs[a][b]: some label (or "bearer") starts with the ASCII characters a, b (lower case).
// Derived from kMarkers, so a new marker needs no second edit.
using PairTable = std::array<std::array<bool, 128>, 128>;
constexpr PairTable kLabelPairs = [] {
  PairTable t{};
  t[static_cast<unsigned char>(kBearer[0])][static_cast<unsigned char>(kBearer[1])] = true;
  for (const Marker& m : kMarkers)
    t[static_cast<unsigned char>(m.prefix[0])][static_cast<unsigned char>(m.prefix[1])] = true;
  return t;
}();

void markLabelledValues(std::string_view text, std::vector<Span>& spans) {
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    // Every label is at least two characters: its first two (lower-case) decide cheaply whether
    // a full comparison is worth it — a JSON document has a quote before every key.
    auto c = static_cast<unsigned char>(asciiLower(text[i]));
    auto c1 = static_cast<unsigned char>(asciiLower(text[i + 1]));
    if (c >= 128 || c1 >= 128 || !kLabelPairs[c][c1]) continue;
    if (startsWithNoCase(text, i, kBearer)) {
      size_t v = i + kBearer.size();
      size_t start = v;
      while (true) {
        if (v < text.size() && (text[v] == ' ' || text[v] == '\t' || text[v] == '+')) {
          ++v;
        } else if (startsWithNoCase(text, v, "%20")) {
          v += 3;
        } else {
          break;
        }
      }
      if (v == start) continue;  // "Bearer" glued to something else: a word, not a scheme
      size_t end = valueEnd(text, v, false);
      if (end > v) spans.emplace_back(v, end);
      i = end > i ? end - 1 : i;
      continue;
    }
    for (const Marker& m : kMarkers) {
      if (!startsWithNoCase(text, i, m.prefix)) continue;
      size_t v = i + m.prefix.size();
      size_t end = valueEnd(text, v, m.quoted);
      if (end > v) spans.emplace_back(v, end);
      i = std::max(i, end > 0 ? end - 1 : 0);
      break;
    }
  }
}

// A JWT (or any piece of one) starts with "eyJ" (base64 of '{"'). The whole run of base64url
// characters and dots from there is masked: header, payload and signature.
void markJwts(std::string_view text, std::vector<Span>& spans) {
  for (size_t j = text.find("eyJ"); j != std::string_view::npos; j = text.find("eyJ", j + 1)) {
    bool boundary = j == 0 || !isBase64Url(text[j - 1]);
    // A percent escape right before it ("%20eyJ...", "%3DeyJ...") is a boundary too.
    if (!boundary && j >= 3 && text[j - 3] == '%' &&
        std::isxdigit(static_cast<unsigned char>(text[j - 2])) &&
        std::isxdigit(static_cast<unsigned char>(text[j - 1])))
      boundary = true;
    if (!boundary) continue;
    size_t k = j, dots = 0;
    while (k < text.size() && (isBase64Url(text[k]) || text[k] == '.')) {
      if (text[k] == '.') ++dots;
      ++k;
    }
    // Trailing dots end a sentence, not a token.
    while (k > j && text[k - 1] == '.') {
      --k;
      --dots;
    }
    if (dots >= 2 || k - j >= 12) {
      spans.emplace_back(j, k);
      j = k - 1;
    }
  }
}

// Replaces every span (merged where they overlap or touch) with "***".
std::string maskSpans(std::string_view text, std::vector<Span>& spans) {
  std::sort(spans.begin(), spans.end());
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (size_t s = 0; s < spans.size();) {
    size_t begin = spans[s].first, end = spans[s].second;
    // Merge overlapping and touching spans into one mask.
    for (++s; s < spans.size() && spans[s].first <= end; ++s) end = std::max(end, spans[s].second);
    if (begin < pos) begin = pos;
    out.append(text.substr(pos, begin - pos));
    out.append("***");
    pos = std::max(pos, end);
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace

std::string redactSecrets(std::string_view text) {
  std::vector<Span> spans;
  sensitiveValues().findAll(text, spans);
  markLabelledValues(text, spans);
  markJwts(text, spans);
  if (spans.empty()) return std::string(text);
  return maskSpans(text, spans);
}

std::optional<std::string> maskSensitiveValues(std::string_view bytes) {
  std::vector<Span> spans;
  sensitiveValues().findAll(bytes, spans);
  if (spans.empty()) return std::nullopt;
  return maskSpans(bytes, spans);
}

}  // namespace o365fwd
