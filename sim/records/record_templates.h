#pragma once
// Synthetic audit record templates, one family per content type, written from the shapes of
// public sample records (field names, nesting, odd types) with made-up values: Azure AD
// (RecordType 8/15), Exchange (1/2/50), SharePoint (4/6/14), General (Teams 25, Yammer 22,
// Power BI 20 with string RecordType), DLP.All (11/13 incl. DlpRuleUndo). Every value derives
// from the RecordSpec, so rendering is a pure function; thread-safe.
#include <cstdint>
#include <string>
#include <string_view>

namespace o365fwd::sim {

// Constant facts of one (tenant, content type) stream.
struct StreamInfo {
  std::string tenant_id;  // OrganizationId
  std::string domain;     // contoso.onmicrosoft.com
  std::string org;        // "contoso" (first label of the domain), for site URLs
  size_t content_type = 0;
  std::uint64_t stream_hash = 0;
};

inline constexpr int kUndoOp = -1;  // RecordSpec::op of a DLP DlpRuleUndo record

struct RecordSpec {
  const StreamInfo* stream = nullptr;
  std::uint64_t h = 0;          // hash of the record's origin slot: drives every value
  std::uint64_t id_seq = 0;     // sequence number whose Id the record carries
  int kind = 0;                 // template family within the content type
  int op = 0;                   // operation index within the family, or kUndoOp
  std::int64_t creation_s = 0;  // CreationTime, seconds since the epoch (UTC)
  bool reorder = false;         // emit keys in a different order (duplicates)
  int pad_to = 0;               // pad the record to about this many bytes (0 = natural)
};

// Picks the template family and the operation of a record from its hash.
int pickKind(size_t content_type, std::uint64_t h);
int pickOp(size_t content_type, int kind, std::uint64_t h);
// The Operation text (DlpRuleUndo for kUndoOp).
std::string_view operationName(size_t content_type, int kind, int op);
// The kind that DLP undo pairs use (Exchange DLP, RecordType 13).
int dlpExchangeKind();

// The record Id: a GUID unique per (stream, id_seq).
void appendRecordId(std::string& out, const StreamInfo& stream, std::uint64_t id_seq);
std::string recordId(const StreamInfo& stream, std::uint64_t id_seq);

// Appends one record (a JSON object) to `out`. `scratch` is a reusable buffer.
void renderRecord(const RecordSpec& spec, std::string& out, std::string& scratch);

}  // namespace o365fwd::sim
