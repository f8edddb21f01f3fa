// Fuzz target: UTC timestamp parsing and formatting (core/time_format.h).
// Invariants: a time parseUtc accepts formats (formatIsoMicros) to text that parseUtc reads back to
// the same instant, and whose date is the date written (the next day at most, for a leap second
// :60), so the result never wraps around; formatIsoMillis/formatApiTime of it parse back to the
// instant truncated to the millisecond/second; parseHttpDate(formatHttpDate(t)) == t in seconds.
#include <chrono>
#include <string>

#include "core/time_format.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto t = o365fwd::parseUtc(text)) {
    const std::string micros = o365fwd::formatIsoMicros(*t);
    auto back = o365fwd::parseUtc(micros);
    FUZZ_CHECK(back && *back == *t);
    // "YYYY-MM-DD" written vs formatted: equal, or one day later (a leap second rolls over).
    const int written_year = std::stoi(std::string(text.substr(0, 4)));
    const int formatted_year = std::stoi(micros.substr(0, micros.find('-', 1)));
    FUZZ_CHECK(formatted_year == written_year || formatted_year == written_year + 1);
    if (text.substr(0, 4) == micros.substr(0, 4) &&
        (text.size() < 17 || text.substr(17, 2) != "60"))
      FUZZ_CHECK(text.substr(0, 10) == std::string_view(micros).substr(0, 10));

    auto millis = o365fwd::parseUtc(o365fwd::formatIsoMillis(*t));
    FUZZ_CHECK(millis && *millis == floor<milliseconds>(*t));
    auto secs = o365fwd::parseUtc(o365fwd::formatApiTime(*t));
    FUZZ_CHECK(secs && *secs == floor<seconds>(*t));
    if (formatted_year >= 0 && formatted_year <= 9999) {
      auto http = o365fwd::parseHttpDate(o365fwd::formatHttpDate(*t));
      FUZZ_CHECK(http && *http == floor<seconds>(*t));
    }
  }
  // parseHttpDate reads fixed offsets: it must not read outside the text (ASan).
  (void)o365fwd::parseHttpDate(text);
  return 0;
}
