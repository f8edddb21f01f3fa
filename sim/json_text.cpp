#include "sim/json_text.h"

#include <charconv>

#include "sim/det_hash.h"

namespace o365fwd::sim {

void appendJsonString(std::string& out, std::string_view s, bool escape_slash) {
  static const char* kHex = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    const char* esc = nullptr;
    switch (c) {
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      case '/':
        if (escape_slash) esc = "\\/";
        break;
      default: break;
    }
    if (esc == nullptr && c >= 0x20) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (esc != nullptr) {
      out.append(esc);
    } else {
      out.append("\\u00");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

std::string jsonString(std::string_view s, bool escape_slash) {
  std::string out;
  appendJsonString(out, s, escape_slash);
  return out;
}

void appendInt(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

void appendUint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

std::string afErrorBody(std::string_view code, std::string_view message) {
  std::string out = "{\"error\":{\"code\":";
  appendJsonString(out, code);
  out += ",\"message\":";
  appendJsonString(out, message);
  out += "}}";
  return out;
}

void appendGuid(std::string& out, std::uint64_t a, std::uint64_t b) {
  static const char* kHex = "0123456789abcdef";
  a = (a & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 10
  char buf[36];
  int pos = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) buf[pos++] = '-';
    std::uint64_t word = i < 8 ? a : b;
    int shift = 56 - 8 * (i % 8);
    unsigned byte = static_cast<unsigned>((word >> shift) & 0xFF);
    buf[pos++] = kHex[byte >> 4];
    buf[pos++] = kHex[byte & 15];
  }
  out.append(buf, 36);
}

std::string guidText(std::uint64_t a, std::uint64_t b) {
  std::string out;
  out.reserve(36);
  appendGuid(out, a, b);
  return out;
}

std::string guidFromLabel(std::string_view label) {
  std::uint64_t h = hashString(label);
  return guidText(mix64(h ^ 0xA5A5A5A5ull), mix64(h + 0x5A5A5A5Aull));
}

}  // namespace o365fwd::sim
