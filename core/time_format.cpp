#include "core/time_format.h"

#include <array>
#include <cstdio>
#include <cstring>

namespace o365fwd {
namespace {

// WallTime counts nanoseconds in 64 bits: it holds 1677-09-21 .. 2262-04-11. Dates outside
// whole years of that range are refused rather than wrapped around.
constexpr int kMinYear = 1678;
constexpr int kMaxYear = 2261;

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
long long daysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<long long>(era) * 146097 + static_cast<long long>(doe) - 719468;
}

struct Civil {
  int y;
  unsigned m, d;
};

Civil civilFromDays(long long z) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long long y = static_cast<long long>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Civil{static_cast<int>(y + (m <= 2)), m, d};
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

unsigned daysInMonth(int y, unsigned m) {
  static constexpr std::array<unsigned, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

struct Parts {
  int y, mo, d, h, mi, s;
  long long micros;
};

Parts split(WallTime t) {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  long long secs = us >= 0 ? us / 1'000'000 : (us - 999'999) / 1'000'000;
  long long rem_us = us - secs * 1'000'000;
  long long days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  long long sod = secs - days * 86400;
  Civil c = civilFromDays(days);
  return Parts{c.y,
               static_cast<int>(c.m),
               static_cast<int>(c.d),
               static_cast<int>(sod / 3600),
               static_cast<int>((sod % 3600) / 60),
               static_cast<int>(sod % 60),
               rem_us};
}

}  // namespace

std::optional<WallTime> parseUtc(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  size_t pos = 10;
  long long micros = 0;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ')) {
    if (!digits(s, pos + 1, 2, h) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, mi))
      return std::nullopt;
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, sec)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        ++pos;
        size_t start = pos;
        long long scale = 100000;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          if (scale > 0) micros += (s[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
        if (pos == start) return std::nullopt;
      }
    }
  }
  if (pos < s.size()) {
    std::string_view zone = s.substr(pos);
    if (zone != "Z" && zone != "z" && zone != "+00:00" && zone != "+0000" && zone != "-00:00")
      return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 ||
      static_cast<unsigned>(d) > daysInMonth(y, static_cast<unsigned>(mo)) || h > 23 || mi > 59 ||
      sec > 60)
    return std::nullopt;
  if (y < kMinYear || y > kMaxYear) return std::nullopt;
  long long days = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  long long total = days * 86400 + h * 3600 + mi * 60 + sec;
  return WallTime(std::chrono::duration_cast<WallTime::duration>(
      std::chrono::seconds(total) + std::chrono::microseconds(micros)));
}

std::string formatApiTime(WallTime t) {
  Parts p = split(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", p.y, p.mo, p.d, p.h, p.mi, p.s);
  return buf;
}

std::string formatIsoMillis(WallTime t) {
  Parts p = split(t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", p.y, p.mo, p.d, p.h, p.mi,
                p.s, p.micros / 1000);
  return buf;
}

std::string formatIsoMicros(WallTime t) {
  Parts p = split(t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", p.y, p.mo, p.d, p.h, p.mi,
                p.s, p.micros);
  return buf;
}

namespace {
constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<const char*, 7> kWeekdays{"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
}  // namespace

std::optional<WallTime> parseHttpDate(std::string_view s) {
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (s.size() < 29 || s[3] != ',') return std::nullopt;
  int d = 0, y = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, 5, 2, d) || !digits(s, 12, 4, y) || !digits(s, 17, 2, h) ||
      !digits(s, 20, 2, mi) || !digits(s, 23, 2, sec))
    return std::nullopt;
  std::string_view mon = s.substr(8, 3);
  int mo = 0;
  for (size_t i = 0; i < kMonths.size(); ++i)
    if (mon == kMonths[i]) mo = static_cast<int>(i) + 1;
  if (mo == 0 || s.substr(26, 3) != "GMT") return std::nullopt;
  if (y < kMinYear || y > kMaxYear) return std::nullopt;
  long long days = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return WallTime(std::chrono::seconds(days * 86400 + h * 3600 + mi * 60 + sec));
}

std::string formatHttpDate(WallTime t) {
  Parts p = split(t);
  using namespace std::chrono;
  long long secs = duration_cast<seconds>(t.time_since_epoch()).count();
  long long days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int wd = static_cast<int>(((days % 7) + 7) % 7);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kWeekdays[wd], p.d,
                kMonths[p.mo - 1], p.y, p.h, p.mi, p.s);
  return buf;
}

}  // namespace o365fwd
