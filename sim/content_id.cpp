#include "sim/content_id.h"

#include <array>
#include <cctype>

#include "core/time_format.h"
#include "sim/scenario.h"

namespace o365fwd::sim {
namespace {

constexpr std::array<std::string_view, kContentTypeCount> kLower = {
    "audit_azureactivedirectory", "audit_exchange", "audit_sharepoint", "audit_general", "dlp_all"};
constexpr std::array<std::string_view, kContentTypeCount> kUpper = {
    "Audit_AzureActiveDirectory", "Audit_Exchange", "Audit_SharePoint", "Audit_General", "DLP_All"};

bool allDigits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return !s.empty();
}

}  // namespace

std::string formatContentId(const ContentIdParts& p) {
  // "2025-01-14T09:45:12.345Z" -> "20250114094512345"
  std::string iso = formatIsoMillis(WallTime(std::chrono::milliseconds(p.created_ms)));
  std::string stamp;
  for (char c : iso)
    if (c >= '0' && c <= '9') stamp.push_back(c);
  char extra[8];
  std::snprintf(extra, sizeof extra, "%06u", static_cast<unsigned>(p.extra % 1000000));
  stamp += extra;
  std::string out = stamp;
  out += '$';
  out += stamp;
  out += '$';
  out += kLower[p.content_type];
  out += '$';
  out += kUpper[p.content_type];
  out += '$';
  out += p.region;
  return out;
}

std::optional<ContentIdParts> parseContentId(std::string_view text) {
  std::array<std::string_view, 5> f;
  size_t pos = 0;
  for (size_t i = 0; i < 5; ++i) {
    size_t end = i < 4 ? text.find('$', pos) : text.size();
    if (end == std::string_view::npos) return std::nullopt;
    f[i] = text.substr(pos, end - pos);
    pos = end + 1;
  }
  if (f[0].size() != 23 || !allDigits(f[0]) || f[0] != f[1]) return std::nullopt;
  ContentIdParts p;
  bool found = false;
  for (size_t i = 0; i < kContentTypeCount; ++i) {
    if (f[2] == kLower[i] && f[3] == kUpper[i]) {
      p.content_type = i;
      found = true;
    }
  }
  if (!found || f[4].empty()) return std::nullopt;
  for (char c : f[4])
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) return std::nullopt;
  std::string_view s = f[0];
  std::string iso = std::string(s.substr(0, 4)) + "-" + std::string(s.substr(4, 2)) + "-" +
                    std::string(s.substr(6, 2)) + "T" + std::string(s.substr(8, 2)) + ":" +
                    std::string(s.substr(10, 2)) + ":" + std::string(s.substr(12, 2)) + "." +
                    std::string(s.substr(14, 3)) + "Z";
  auto t = parseUtc(iso);
  if (!t) return std::nullopt;
  p.created_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
  p.extra = static_cast<std::uint32_t>(std::stoul(std::string(s.substr(17, 6))));
  p.region = std::string(f[4]);
  return p;
}

}  // namespace o365fwd::sim
