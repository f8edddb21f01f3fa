#pragma once
// One content blob's records, ready for the sinks. Immutable once built; shared (BatchPtr) by
// every sink until each has acknowledged it. Records are slices of the downloaded blob bytes:
// never re-serialised, so escapes, number text and key order survive byte for byte.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connector/content_ref.h"
#include "core/clock.h"
#include "core/filters/record_filter.h"

namespace o365fwd {

struct Span {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};

struct RecordMeta {
  Span raw;          // the record's JSON object in RecordBatch::body
  Span id;           // decoded "Id" in RecordBatch::arena (length 0 when absent)
  Span operation;    // decoded "Operation"
  Span record_type;  // "RecordType" as text ("15"), number or string in the source
  Span workload;     // decoded "Workload"
  Span user_id;      // decoded "UserId" (a string only)
  Span user_type;    // "UserType" as text ("0"), number or string in the source
  std::optional<WallTime> creation_time;  // "CreationTime", UTC
  bool invalid_utf8 = false;  // the raw bytes are not well-formed UTF-8 (forwarded as they are)
};

struct RecordBatch {
  ContentRef content;          // stream, content id, created, expiration
  std::string body;            // the blob as downloaded
  std::string arena;           // decoded field values
  std::vector<RecordMeta> records;  // the records to forward (duplicates already removed)
  // Set by parseBlobInto: no record holds a raw CR or LF (it replaced them), so a sink that
  // frames records by lines need not look for them again (the file sink's check was a pass over
  // every byte). False for batches built otherwise.
  bool lines_flat = false;

  std::string_view raw(size_t i) const { return view(body, records[i].raw); }
  std::string_view id(size_t i) const { return view(arena, records[i].id); }
  std::string_view operation(size_t i) const { return view(arena, records[i].operation); }
  std::string_view recordType(size_t i) const { return view(arena, records[i].record_type); }
  std::string_view workload(size_t i) const { return view(arena, records[i].workload); }
  std::string_view userId(size_t i) const { return view(arena, records[i].user_id); }
  std::string_view userType(size_t i) const { return view(arena, records[i].user_type); }
  std::size_t size() const { return records.size(); }
  // Records with ill-formed UTF-8 (forwarded all the same; records without Id: DedupOutcome).
  std::uint64_t invalidUtf8Count() const {
    std::uint64_t n = 0;
    for (const RecordMeta& r : records) n += r.invalid_utf8 ? 1 : 0;
    return n;
  }
  // Memory the parse added to the body: the decoded-field arena and the record table (counted
  // against the in-flight budget with the body).
  std::uint64_t parseOverheadBytes() const {
    return arena.capacity() + records.capacity() * sizeof(RecordMeta);
  }
  // Sum of the forwarded records' byte lengths.
  std::uint64_t recordBytes() const {
    std::uint64_t n = 0;
    for (const RecordMeta& r : records) n += r.raw.length;
    return n;
  }

  static std::string_view view(const std::string& s, Span span) {
    return std::string_view(s).substr(span.offset, span.length);
  }
};

using BatchPtr = std::shared_ptr<const RecordBatch>;

// The fields record filters look at, as the parser decoded them.
inline FilterFields filterFields(const RecordBatch& batch, std::size_t i) {
  return FilterFields{batch.userId(i), batch.operation(i), batch.workload(i), batch.recordType(i),
                      batch.userType(i)};
}

// Removes the records `filter` does not admit from batch.records (the order of the others is
// kept; the body is untouched, so forwarded records stay byte-exact). Returns how many went.
inline std::uint64_t applyRecordFilter(const RecordFilter& filter, RecordBatch& batch) {
  if (filter.admitsAll()) return 0;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < batch.records.size(); ++i)
    if (filter.admits(filterFields(batch, i))) batch.records[kept++] = batch.records[i];
  const std::uint64_t dropped = batch.records.size() - kept;
  batch.records.resize(kept);
  return dropped;
}

}  // namespace o365fwd
