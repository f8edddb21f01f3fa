#include "core/filters/record_filter.h"

#include <algorithm>

#include "core/filters/audit_names.h"

namespace o365fwd {

std::shared_ptr<const RecordFilter> makeRecordFilter(const FilterConfig& config) {
  if (config.admitsAll()) return nullptr;
  return std::make_shared<const RecordFilter>(config);
}

std::optional<int> recordTypeValue(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (auto n = parseSmallInt(text)) return n;
  return recordTypeNumber(text);
}

std::optional<int> userTypeValue(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (auto n = parseSmallInt(text)) return n;
  return userTypeNumber(text);
}

bool RecordFilter::NameList::contains(std::string_view value) const {
  return std::any_of(lower.begin(), lower.end(),
                     [&](const std::string& v) { return equalsIgnoreCase(v, value); });
}

bool RecordFilter::NumberList::contains(std::optional<int> value) const {
  return value && std::find(numbers.begin(), numbers.end(), *value) != numbers.end();
}

RecordFilter::Lists RecordFilter::compile(const FilterLists& lists) {
  Lists out;
  for (const std::string& v : lists.operation) out.operation.lower.push_back(asciiLower(v));
  for (const std::string& v : lists.workload) out.workload.lower.push_back(asciiLower(v));
  out.record_type.numbers = lists.record_type;
  out.user_type.numbers = lists.user_type;
  out.operation.active = !lists.operation.empty();
  out.workload.active = !lists.workload.empty();
  out.record_type.active = !lists.record_type.empty();
  out.user_type.active = !lists.user_type.empty();
  return out;
}

RecordFilter::RecordFilter(const FilterConfig& config)
    : admits_all_(config.admitsAll()), all_domains_(config.allDomains()) {
  if (!all_domains_)
    for (const std::string& d : config.domains) domains_.push_back(asciiLower(d));
  include_ = compile(config.include);
  exclude_ = compile(config.exclude);
}

bool RecordFilter::admits(const FilterFields& r) const {
  if (admits_all_) return true;
  if (!all_domains_) {
    std::size_t at = r.user_id.rfind('@');
    if (at == std::string_view::npos) return false;
    std::string_view domain = r.user_id.substr(at + 1);
    if (std::none_of(domains_.begin(), domains_.end(),
                     [&](const std::string& d) { return equalsIgnoreCase(d, domain); }))
      return false;
  }
  // Numbers are converted only when a list asks for them.
  std::optional<int> record_type, user_type;
  if (include_.record_type.active || exclude_.record_type.active)
    record_type = recordTypeValue(r.record_type);
  if (include_.user_type.active || exclude_.user_type.active)
    user_type = userTypeValue(r.user_type);

  if (include_.operation.active && !include_.operation.contains(r.operation)) return false;
  if (include_.workload.active && !include_.workload.contains(r.workload)) return false;
  if (include_.record_type.active && !include_.record_type.contains(record_type)) return false;
  if (include_.user_type.active && !include_.user_type.contains(user_type)) return false;

  if (exclude_.operation.active && exclude_.operation.contains(r.operation)) return false;
  if (exclude_.workload.active && exclude_.workload.contains(r.workload)) return false;
  if (exclude_.record_type.active && exclude_.record_type.contains(record_type)) return false;
  if (exclude_.user_type.active && exclude_.user_type.contains(user_type)) return false;
  return true;
}

}  // namespace o365fwd
