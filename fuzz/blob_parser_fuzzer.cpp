// Fuzz target: parseBlobInto (pipeline/parse/blob_parser.h), the parser of every downloaded blob.
// Invariants: on error the body is unchanged and records/arena are empty, with one of the four
// documented codes; on success every record slice lies inside the body, in order, without overlap,
// is itself one valid JSON object without raw CR/LF, the only bytes changed are CR/LF inside
// slices, the decoded fields lie inside the arena, a string "Id" is decoded exactly (any other Id
// is none), a record is marked invalid_utf8 exactly when its bytes are not well-formed; and the
// parser agrees with a RapidJSON DOM parse about which inputs are arrays of objects.
#include <rapidjson/document.h>

#include <cstring>
#include <string>

#include "core/utf8.h"
#include "fuzz/fuzz_check.h"
#include "pipeline/parse/blob_parser.h"

namespace {

using o365fwd::RecordBatch;
using o365fwd::Span;

constexpr unsigned kDomFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;

bool spanInside(Span s, std::size_t size) {
  return s.offset <= size && s.length <= size - s.offset;
}

// True when `text` is, as a whole, an array whose elements are all objects (the oracle), with at
// most kMaxJsonDepth levels. `count` receives the number of elements.
bool domSaysRecordArray(std::string_view text, std::size_t& count) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (text.find('\0') != std::string_view::npos) return false;  // RapidJSON stops at NUL
  // The NUL-terminated overload: the (pointer, length) one reads through an EncodedInputStream
  // that drops a lone leading 0xEF byte as if it began a byte order mark.
  const std::string copy(text);
  rapidjson::Document doc;
  doc.Parse<kDomFlags>(copy.c_str());
  if (doc.HasParseError() || !doc.IsArray()) return false;
  for (const auto& v : doc.GetArray())
    if (!v.IsObject()) return false;
  count = doc.Size();
  return true;
}

int depthOf(std::string_view text) {  // container depth, ignoring brackets inside strings
  int depth = 0, max = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max = std::max(max, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string original(reinterpret_cast<const char*>(data), size);
  RecordBatch batch;
  batch.content.stream = {"fuzz", "Audit.General"};
  batch.content.content_id = "fuzz-blob";
  batch.body = original;
  batch.records.push_back({});  // parseBlobInto replaces previous content
  batch.arena = "stale";

  o365fwd::Status status = o365fwd::parseBlobInto(batch);
  std::size_t dom_count = 0;
  const bool dom_ok = domSaysRecordArray(original, dom_count);

  if (!status.ok()) {
    const o365fwd::Error& e = status.error();
    FUZZ_CHECK(batch.body == original);
    FUZZ_CHECK(batch.records.empty() && batch.arena.empty());
    FUZZ_CHECK(e.kind == o365fwd::ErrorKind::kCorrupt);
    FUZZ_CHECK(e.code == o365fwd::kParseCodeInvalidJson ||
               e.code == o365fwd::kParseCodeWrongShape || e.code == o365fwd::kParseCodeTooDeep);
    // Only excessive depth may make the streaming parser refuse what the DOM accepts.
    if (dom_ok) FUZZ_CHECK(e.code == o365fwd::kParseCodeTooDeep);
    return 0;
  }

  FUZZ_CHECK(batch.body.size() == original.size());
  FUZZ_CHECK(dom_ok);
  FUZZ_CHECK(batch.records.size() == dom_count);
  FUZZ_CHECK(depthOf(original) <= o365fwd::kMaxJsonDepth);

  std::size_t previous_end = 0;
  std::string expected_body = original;  // what the body must look like after flattening
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const o365fwd::RecordMeta& m = batch.records[i];
    FUZZ_CHECK(spanInside(m.raw, batch.body.size()));
    FUZZ_CHECK(m.raw.offset >= previous_end);
    previous_end = m.raw.offset + m.raw.length;
    for (Span s : {m.id, m.operation, m.record_type, m.workload})
      FUZZ_CHECK(spanInside(s, batch.arena.size()));

    for (std::size_t j = m.raw.offset; j < previous_end; ++j)
      if (expected_body[j] == '\n' || expected_body[j] == '\r') expected_body[j] = ' ';

    std::string_view raw = batch.raw(i);
    FUZZ_CHECK(raw.size() >= 2 && raw.front() == '{' && raw.back() == '}');
    FUZZ_CHECK(raw.find('\n') == std::string_view::npos);
    FUZZ_CHECK(raw.find('\r') == std::string_view::npos);

    rapidjson::Document record;
    record.Parse<kDomFlags>(raw.data(), raw.size());
    FUZZ_CHECK(!record.HasParseError() && record.IsObject());
    // A string Id is decoded exactly (FindMember returns the first occurrence, like the parser);
    // any other Id (a number, too) is no Id. Numbers are told from strings by a parse that keeps
    // them numbers; when that parse fails (a number beyond double), the Id is either exact or none.
    rapidjson::Document plain;
    plain.Parse<rapidjson::kParseIterativeFlag>(raw.data(), raw.size());
    const rapidjson::Document& typed = plain.HasParseError() ? record : plain;
    auto id = typed.FindMember("Id");
    if (id != typed.MemberEnd() && id->value.IsString()) {
      std::string_view expected(id->value.GetString(), id->value.GetStringLength());
      FUZZ_CHECK(batch.id(i) == expected || (plain.HasParseError() && batch.id(i).empty()));
    } else {
      FUZZ_CHECK(batch.id(i).empty());
    }
    // The UTF-8 mark is exactly "these bytes are not well-formed UTF-8".
    FUZZ_CHECK(m.invalid_utf8 == !o365fwd::isValidUtf8(raw));
  }
  FUZZ_CHECK(batch.body == expected_body);
  return 0;
}
