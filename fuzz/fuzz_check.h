#pragma once
// Shared helpers of the fuzz targets (fuzz/*_fuzzer.cpp): the invariant check that stops the
// process, and a reader that cuts one fuzz input into several fields. Test code only; each target
// runs single-threaded under libFuzzer or fuzz/standalone_main.cpp.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

// Aborts (a crash for libFuzzer and the regression driver) when an invariant does not hold.
#define FUZZ_CHECK(cond)                                                                        \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "fuzz invariant violated: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                             \
    }                                                                                           \
  } while (false)

namespace o365fwd::fuzz {

// Reads fields from the input front to back. A field taken with text() ends at a lone '\\'
// followed by any other byte (the pair is consumed); "\\\\" stands for one backslash. This is
// libFuzzer's FuzzedDataProvider::ConsumeRandomLengthString rule, so hand-written seeds stay
// readable: "tenant\|Audit.Exchange\|...".
class FieldReader {
 public:
  FieldReader(const std::uint8_t* data, std::size_t size)
      : data_(reinterpret_cast<const char*>(data), size) {}

  std::string text(std::size_t max = 4096) {
    std::string out;
    while (pos_ < data_.size() && out.size() < max) {
      char c = data_[pos_++];
      if (c == '\\' && pos_ < data_.size()) {
        char next = data_[pos_++];
        if (next != '\\') break;
      }
      out.push_back(c);
    }
    return out;
  }
  std::uint8_t byte() { return pos_ < data_.size() ? static_cast<std::uint8_t>(data_[pos_++]) : 0; }
  std::string_view rest() {
    std::string_view r = data_.substr(pos_);
    pos_ = data_.size();
    return r;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

inline bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace o365fwd::fuzz
