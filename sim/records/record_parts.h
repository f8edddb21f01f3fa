#pragma once
// Shared building blocks of the record templates (sim/records_*.cpp): synthetic users with
// some non-ASCII display names, documentation-range IP addresses, derived GUIDs and choices.
// Internal to the simulator's record rendering. Pure functions; thread-safe.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "sim/det_hash.h"
#include "sim/records/field_writer.h"
#include "sim/records/record_templates.h"

namespace o365fwd::sim::parts {

struct User {
  std::string_view alias;         // "alice"
  std::string_view display_name;  // "Alice Andersen", "Chloé Dubois", ...
};

const User& user(std::uint64_t h);
std::string upn(const User& u, const StreamInfo& s);  // alias@domain
// Value number `n` derived from the record hash (independent streams of choices).
inline std::uint64_t sub(std::uint64_t h, std::uint64_t n) {
  return hashCombine(h, n);
}
// One of the (string literal) items; the views stay valid for the program's life.
inline std::string_view pick(std::initializer_list<std::string_view> items, std::uint64_t h) {
  return *(items.begin() + h % items.size());
}
std::string guid(std::uint64_t h, std::uint64_t n);  // a GUID derived from (h, n)
std::string ipv4(std::uint64_t h);                   // 198.51.100.x / 203.0.113.x / 192.0.2.x
std::string ipv6(std::uint64_t h);                   // 2001:db8::...
std::string hex(std::uint64_t h, size_t digits);     // upper-case hex digits
std::string digits(std::uint64_t h, size_t count);   // decimal digits
std::string isoSeconds(std::int64_t epoch_s);        // "2025-01-14T09:31:07"

// Common fields every record starts with: CreationTime, Id, Operation, OrganizationId,
// RecordType, UserKey, UserType, Version, Workload. RecordType and UserType are raw JSON ("15",
// or "\"20\"" for the string-typed Power BI records).
void commonHead(const RecordSpec& r, FieldWriter& w, std::string_view record_type_json,
                std::string_view user_key, std::string_view user_type_json,
                std::string_view workload);
// Pads the record to r.pad_to bytes with an extra string field, if it is shorter.
void pad(const RecordSpec& r, FieldWriter& w);

// Per content type renderers (records_*.cpp).
void renderAzureAd(const RecordSpec& r, FieldWriter& w);
void renderExchange(const RecordSpec& r, FieldWriter& w);
void renderSharePoint(const RecordSpec& r, FieldWriter& w);
void renderGeneral(const RecordSpec& r, FieldWriter& w);
void renderDlp(const RecordSpec& r, FieldWriter& w);

}  // namespace o365fwd::sim::parts
