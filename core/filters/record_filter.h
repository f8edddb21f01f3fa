#pragma once
// Decides whether one audit record is forwarded, from the few fields the blob parser already took
// out of it (pipeline/blob_parser.h: UserId, Operation, Workload, RecordType, UserType). Built once
// per tenant from its effective FilterConfig; immutable afterwards, so the download workers share
// it without locks. Never looks at the record's bytes, never changes them.
//
// Rules, in this order (docs/FILTERS.md):
// - domains: unless "*" is listed, the domain of UserId (the text after its last '@', compared
//   without case) must be listed; a UserId without '@' (system accounts, "NT AUTHORITY\SYSTEM",
//   a missing UserId) is dropped.
// - include: for each field with a list, the record's value must be listed; a record without the
//   field is dropped.
// - exclude: a record whose value is listed for any field is dropped.
// Operation and Workload compare without case; RecordType and UserType compare as numbers, the
// record's value read from a number or a numeric string ("15"), or a schema name ("Yammer").
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/filters/filter_config.h"

namespace o365fwd {

// The record's fields as the parser decoded them (empty = absent).
struct FilterFields {
  std::string_view user_id;
  std::string_view operation;
  std::string_view workload;
  std::string_view record_type;  // the number's text ("15"), or a string value
  std::string_view user_type;
};

class RecordFilter {
 public:
  explicit RecordFilter(const FilterConfig& config);

  // True when the record is forwarded.
  bool admits(const FilterFields& record) const;
  // No rule at all: every record passes (callers skip the per-record work).
  bool admitsAll() const { return admits_all_; }

 private:
  struct NameList {
    std::vector<std::string> lower;  // lower-case values
    bool active = false;
    bool contains(std::string_view value) const;
  };
  struct NumberList {
    std::vector<int> numbers;
    bool active = false;
    bool contains(std::optional<int> value) const;
  };
  struct Lists {
    NameList operation, workload;
    NumberList record_type, user_type;
  };
  static Lists compile(const FilterLists& lists);

  bool admits_all_ = true;
  bool all_domains_ = true;
  std::vector<std::string> domains_;  // lower-case
  Lists include_, exclude_;
};

// The compiled filter of `config`, or null when it admits every record (the default).
std::shared_ptr<const RecordFilter> makeRecordFilter(const FilterConfig& config);

// The number of a RecordType value as the record holds it (number text or schema name).
std::optional<int> recordTypeValue(std::string_view text);
std::optional<int> userTypeValue(std::string_view text);

}  // namespace o365fwd
