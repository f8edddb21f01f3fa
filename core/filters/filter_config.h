#pragma once
// Record filters as configured (`filters:` at the top level and per tenant; docs/FILTERS.md):
// plain values, already normalised by parseFilters() (domains lower-case, RecordType and UserType
// names turned into their numbers). RecordFilter (core/filters/record_filter.h) evaluates them.
#include <string>
#include <vector>

namespace o365fwd {

// One include or exclude list per record field. Empty = no rule for that field.
struct FilterLists {
  std::vector<std::string> operation;  // as written; matched without case
  std::vector<std::string> workload;   // as written; matched without case
  std::vector<int> record_type;        // numbers (names converted)
  std::vector<int> user_type;          // numbers (names converted)

  bool empty() const {
    return operation.empty() && workload.empty() && record_type.empty() && user_type.empty();
  }
  bool operator==(const FilterLists&) const = default;
};

struct FilterConfig {
  // Domains of UserId (lower-case). "*" = every record, including accounts without an email
  // address (the default); listed domains alone = only records whose UserId ends in @<domain>;
  // "*" together with domains = every record.
  std::vector<std::string> domains{"*"};
  FilterLists include;  // a field with a list: the record's value must be one of them
  FilterLists exclude;  // a record whose value is listed is dropped

  bool allDomains() const;
  // Every record passes (the default): no filtering work is done at all.
  bool admitsAll() const { return allDomains() && include.empty() && exclude.empty(); }
  bool operator==(const FilterConfig&) const = default;
};

inline bool FilterConfig::allDomains() const {
  for (const std::string& d : domains)
    if (d == "*") return true;
  return false;
}

}  // namespace o365fwd
