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
  std::optional<WallTime> creation_time;  // "CreationTime", UTC
  bool invalid_utf8 = false;  // the raw bytes are not well-formed UTF-8 (forwarded as they are)
};

struct RecordBatch {
  ContentRef content;          // stream, content id, created, expiration
  std::string body;            // the blob as downloaded
  std::string arena;           // decoded field values
  std::vector<RecordMeta> records;  // the records to forward (duplicates already removed)

  std::string_view raw(size_t i) const { return view(body, records[i].raw); }
  std::string_view id(size_t i) const { return view(arena, records[i].id); }
  std::string_view operation(size_t i) const { return view(arena, records[i].operation); }
  std::string_view recordType(size_t i) const { return view(arena, records[i].record_type); }
  std::string_view workload(size_t i) const { return view(arena, records[i].workload); }
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

}  // namespace o365fwd
