#pragma once
// Turns one downloaded content blob (a JSON array of audit records) into a RecordBatch.
//
// Stateless and thread-safe (each call uses its own RapidJSON reader); called by the download
// workers. One SAX pass (recursive descent, whose depth the handler bounds at kMaxJsonDepth before
// RapidJSON descends, so deep nesting cannot overflow the stack) finds each record's exact byte
// range in the body and decodes a few top-level fields into RecordBatch::arena. The pass runs in
// place (RapidJSON's in-situ mode, no copy of each string): it writes into the body
// while it runs and puts every byte back before returning (closing quotes at once, strings with
// escapes from a copy of their bytes saved first), so the body is only ever changed as below. The
// records themselves are never re-serialised: RecordBatch::raw(i) is the original text of the
// object, from its '{' to its matching '}', so escapes ("\/"), number text ("1156492.00") and key
// order survive.
//
// The one byte change: a raw '\n' or '\r' inside a record can only be insignificant whitespace
// (JSON strings cannot hold raw control characters), but it would break NDJSON lines and syslog
// framing, so after a successful parse every such byte inside a record slice is replaced by a
// space, in place in the body. Bytes between records are not part of any slice and are left alone.
//
// Accepted input: optional UTF-8 BOM, whitespace, one array whose elements are all objects,
// whitespace. UTF-8 well-formedness is checked but never rejected: a record with ill-formed bytes
// is marked (RecordMeta::invalid_utf8, counted by the pipeline) and forwarded as it came;
// rejecting the whole blob for one bad byte would dead-letter thousands of good records, and the
// sinks forward bytes, not text (docs/STATE.md, "Records the API should not send").
//
// Extracted from each record's top level only (first occurrence wins; escapes decoded):
//   Id — a string only (a number, null, ... counts as no Id);
//   Operation, Workload, RecordType, UserType — a string or a number (kept as its text, "15");
//   UserId — a string only (record filters match its domain, core/filters/record_filter.h);
//   CreationTime — a string parsed as UTC (no zone = UTC); unparseable → nullopt, not an error.
// Any other type (null, bool, object, array) leaves the field absent. Nothing else is inspected:
// Version, nested ModifiedProperties/Parameters/... may have any shape.
// A record without an Id (missing, empty, not a string) is kept: the pipeline forwards it, never
// drops it as a duplicate (it has no de-duplication key) and counts it.
#include <cstddef>
#include <string>

#include "connector/content_ref.h"
#include "core/result.h"
#include "pipeline/parse/record_batch.h"

namespace o365fwd {

// Nesting deeper than this (the top-level array counts as 1) is rejected as corrupt.
inline constexpr int kMaxJsonDepth = 256;

// Error::code values of parse failures (machine-readable; dead-letter reasons).
inline constexpr const char* kParseCodeInvalidJson = "invalid-json";     // syntax, truncation, NUL
inline constexpr const char* kParseCodeWrongShape = "not-record-array";  // valid JSON, wrong shape
inline constexpr const char* kParseCodeTooDeep = "too-deep";
inline constexpr const char* kParseCodeTooLarge = "too-large";  // body >= 4 GiB

// Parses batch.body (batch.content is only used in messages) and fills batch.records and
// batch.arena, replacing any previous content. On error, batch.body is unchanged byte for byte
// (so the caller can dead-letter it) and records/arena are empty. Errors: kCorrupt; retryable
// (the blob may be downloaded again) except kParseCodeTooLarge. The message names the byte offset,
// RapidJSON's error text and at most 40 bytes of context around the offset.
Status parseBlobInto(RecordBatch& batch);

// Convenience: builds a RecordBatch from `body` and `content`. The body is lost on error; use
// parseBlobInto() when the raw bytes must be kept for a dead letter.
Result<RecordBatch> parseBlob(std::string body, const ContentRef& content);

}  // namespace o365fwd
