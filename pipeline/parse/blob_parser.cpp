#include "pipeline/parse/blob_parser.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

#include "core/time_format.h"
#include "core/utf8.h"

namespace o365fwd {
namespace {

// Numbers are delivered as their text (RawNumber): no conversion cost, and an Id or RecordType
// written as a number keeps its exact spelling. Recursive descent (RapidJSON's default; its
// iterative state machine cost a third more per record): the recursion is bounded because the
// handler refuses to open a container beyond kMaxJsonDepth, before RapidJSON descends into it.
constexpr unsigned kParseFlags = rapidjson::kParseNumbersAsStringsFlag;

enum Field : int {
  kNone = -1,
  kId = 0,
  kOperation,
  kWorkload,
  kRecordType,
  kCreationTime,
  kUserId,
  kUserType
};

Field fieldOf(const char* key, rapidjson::SizeType len) {
  switch (len) {
    case 2: return std::memcmp(key, "Id", 2) == 0 ? kId : kNone;
    case 6: return std::memcmp(key, "UserId", 6) == 0 ? kUserId : kNone;
    case 8:
      if (std::memcmp(key, "Workload", 8) == 0) return kWorkload;
      return std::memcmp(key, "UserType", 8) == 0 ? kUserType : kNone;
    case 9: return std::memcmp(key, "Operation", 9) == 0 ? kOperation : kNone;
    case 10: return std::memcmp(key, "RecordType", 10) == 0 ? kRecordType : kNone;
    case 12: return std::memcmp(key, "CreationTime", 12) == 0 ? kCreationTime : kNone;
    default: return kNone;
  }
}

// SAX handler. Depth counts open containers: 1 inside the top-level array, 2 inside a record.
// RapidJSON's recursive parser calls StartObject/EndObject (and the array ones) just after it took
// the '{' / '}', so the brace's own offset is Tell() - 1.
// The parse runs in place on the body (rapidjson::InsituStringStream): RapidJSON ends each string
// it hands over with a NUL written over its closing quote, which Key()/String() put back at once
// (strings with escapes are restored from EscapedRegions after the parse).
class RecordHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, RecordHandler> {
 public:
  using Stream = rapidjson::InsituStringStream;
  RecordHandler(Stream& stream, std::size_t base, RecordBatch& batch)
      : stream_(stream), base_(base), batch_(batch) {}

  bool StartObject() {
    if (depth_ == 0)
      return fail(kParseCodeWrongShape, "the top level is an object, expected an array of records",
                  bracket());
    if (depth_ == 1) {
      current_ = RecordMeta{};
      seen_ = 0;
      current_.raw.offset = static_cast<std::uint32_t>(bracket());
    } else if (depth_ == 2) {
      take();
    }
    return enter();
  }

  bool EndObject(rapidjson::SizeType) {
    if (--depth_ == 1) {
      current_.raw.length = static_cast<std::uint32_t>(bracket() + 1 - current_.raw.offset);
      batch_.records.push_back(current_);
    }
    return true;
  }

  bool StartArray() {
    if (depth_ == 1) return wrongElement("an array", bracket());
    if (depth_ == 2) take();
    return enter();
  }

  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }

  bool Key(const char* str, rapidjson::SizeType len, bool) {
    if (depth_ == 2) {
      Field f = fieldOf(str, len);
      pending_ = (f != kNone && (seen_ & (1u << f)) == 0) ? f : kNone;
    }
    restoreQuote(str, len);
    return true;
  }

  bool String(const char* str, rapidjson::SizeType len, bool) {
    const bool ok = scalar(str, len, true, "a string");
    restoreQuote(str, len);
    return ok;
  }
  bool RawNumber(const char* str, rapidjson::SizeType len, bool) {
    return scalar(str, len, false, "a number");
  }
  bool Null() { return scalar(nullptr, 0, false, "null"); }
  bool Bool(bool) { return scalar(nullptr, 0, false, "a boolean"); }

  const char* code() const { return code_; }
  const std::string& reason() const { return reason_; }
  std::size_t failOffset() const { return fail_offset_; }

 private:
  std::size_t offset() const { return base_ + stream_.Tell(); }
  // In Start/EndObject and Start/EndArray: the bracket just taken.
  std::size_t bracket() const { return offset() - 1; }

  static void restoreQuote(const char* str, rapidjson::SizeType len) {
    const_cast<char*>(str)[len] = '"';
  }

  bool enter() {
    if (++depth_ > kMaxJsonDepth)
      return fail(kParseCodeTooDeep,
                  "JSON nesting is deeper than " + std::to_string(kMaxJsonDepth) + " levels",
                  bracket());
    return true;
  }

  // A value at depth 2 whose key was wanted: the first occurrence decides, whatever its type.
  void take(const char* str = nullptr, rapidjson::SizeType len = 0, bool is_string = false,
            bool usable = false) {
    if (pending_ == kNone) return;
    Field f = pending_;
    pending_ = kNone;
    seen_ |= 1u << f;
    if (!usable) return;
    // An Id or UserId must be a string: a number counts as none.
    if ((f == kId || f == kUserId) && !is_string) return;
    if (f == kCreationTime) {
      if (is_string) current_.creation_time = parseUtc(std::string_view(str, len));
      return;
    }
    Span span{static_cast<std::uint32_t>(batch_.arena.size()), len};
    batch_.arena.append(str, len);
    switch (f) {
      case kId: current_.id = span; break;
      case kOperation: current_.operation = span; break;
      case kWorkload: current_.workload = span; break;
      case kRecordType: current_.record_type = span; break;
      case kUserId: current_.user_id = span; break;
      case kUserType: current_.user_type = span; break;
      default: break;
    }
  }

  bool scalar(const char* str, rapidjson::SizeType len, bool is_string, const char* what) {
    if (depth_ == 0)
      return fail(kParseCodeWrongShape,
                  std::string("the top level is ") + what + ", expected an array of records",
                  offset());
    if (depth_ == 1) return wrongElement(what, offset());
    if (depth_ == 2) take(str, len, is_string, str != nullptr);
    return true;
  }

  bool wrongElement(const char* what, std::size_t at) {
    return fail(kParseCodeWrongShape,
                "element " + std::to_string(batch_.records.size() + 1) + " of the array is " +
                    what + ", expected a record object",
                at);
  }

  bool fail(const char* code, std::string reason, std::size_t at) {
    code_ = code;
    reason_ = std::move(reason);
    fail_offset_ = at;
    return false;
  }

  Stream& stream_;  // Tell() is not const in InsituStringStream
  std::size_t base_;
  RecordBatch& batch_;
  int depth_ = 0;
  RecordMeta current_;
  unsigned seen_ = 0;
  Field pending_ = kNone;
  const char* code_ = nullptr;
  std::string reason_;
  std::size_t fail_offset_ = 0;
};

// The bytes an in-place parse may rewrite besides closing quotes: RapidJSON decodes a string with
// escapes into its own bytes, from the first backslash to the closing quote. Saved before the
// parse (found with memchr; each region runs from a backslash to the next unescaped quote, or the
// end) and written back after it, whatever the outcome, so the body ends byte for byte as it came.
// In valid JSON a backslash only occurs inside a string; in invalid JSON RapidJSON stops at the
// first one outside a string, before it rewrites any later byte.
class EscapedRegions {
 public:
  explicit EscapedRegions(std::string& body) : body_(body) {
    const char* data = body.data();
    const std::size_t size = body.size();
    for (std::size_t at = 0; at < size;) {
      const void* hit = std::memchr(data + at, '\\', size - at);
      if (hit == nullptr) break;
      const std::size_t from = static_cast<std::size_t>(static_cast<const char*>(hit) - data);
      std::size_t to = from;
      while (to < size && data[to] != '"') to += data[to] == '\\' ? 2 : 1;
      to = std::min(to + 1, size);  // the closing quote too
      regions_.push_back(
          Region{static_cast<std::uint32_t>(from), static_cast<std::uint32_t>(to - from)});
      saved_.append(data + from, to - from);
      at = to;
    }
  }
  ~EscapedRegions() {
    std::size_t saved = 0;  // the regions' bytes lie one after another in saved_
    for (const Region& r : regions_) {
      std::memcpy(body_.data() + r.offset, saved_.data() + saved, r.length);
      saved += r.length;
    }
  }
  EscapedRegions(const EscapedRegions&) = delete;
  EscapedRegions& operator=(const EscapedRegions&) = delete;

 private:
  // 8 bytes a region (parseBlobInto refuses a body of 4 GiB or more before the parse): audit
  // records hold ~2 escaped strings each, and these live while the parse tables grow, all within
  // the parse reserve the blob was charged while it downloaded (docs/BENCHMARKS.md, issue 10).
  struct Region {
    std::uint32_t offset, length;
  };
  std::string& body_;
  std::vector<Region> regions_;
  std::string saved_;
};

struct ParseOutcome {
  rapidjson::ParseResult result;
  const char* code = nullptr;  // the handler's own failure
  std::string reason;
  std::size_t fail_offset = 0;
  std::size_t end = 0;  // where the parse stopped (body offset)
};

// One SAX pass over the body from `base`. In place (RapidJSON's in-situ mode: strings are handed
// over where they lie instead of being copied onto RapidJSON's stack, which was a fifth of the
// forwarder's CPU) with every byte restored afterwards; the body is unchanged when this returns.
ParseOutcome parseInPlace(RecordBatch& batch, std::size_t base) {
  using Stream = rapidjson::InsituStringStream;
  EscapedRegions escaped(batch.body);
  Stream stream(batch.body.data() + base);
  RecordHandler handler(stream, base, batch);
  rapidjson::Reader reader;
  ParseOutcome out;
  out.result = reader.Parse<kParseFlags | rapidjson::kParseInsituFlag>(stream, handler);
  out.code = handler.code();
  out.reason = handler.reason();
  out.fail_offset = handler.failOffset();
  out.end = base + stream.Tell();
  return out;
}

// At most 40 bytes around `offset`, printable ASCII kept, everything else \xNN-escaped.
std::string excerpt(std::string_view body, std::size_t offset) {
  constexpr std::size_t kHalf = 20;
  std::size_t from = offset > kHalf ? offset - kHalf : 0;
  std::size_t to = std::min(body.size(), offset + kHalf);
  std::string out = "\"";
  for (std::size_t i = from; i < to; ++i) {
    if (i == offset) out += "<HERE>";
    auto c = static_cast<unsigned char>(body[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (offset >= to) out += "<HERE>";
  out += "\"";
  return out;
}

std::string blobName(const ContentRef& content) {
  std::string name = "Content blob";
  if (!content.content_id.empty()) name += " " + content.content_id;
  if (!content.stream.tenant.empty()) name += " of " + content.stream.str();
  return name;
}

Error corrupt(const RecordBatch& batch, const char* code, std::size_t offset,
              const std::string& reason) {
  std::string msg = blobName(batch.content) + " is not a valid JSON array of records: " + reason +
                    " (at byte " + std::to_string(offset) + " of " +
                    std::to_string(batch.body.size()) + ", near " + excerpt(batch.body, offset) +
                    ")";
  if (std::strcmp(code, kParseCodeTooLarge) == 0)
    return Error::permanent(ErrorKind::kCorrupt, std::move(msg), code);
  msg += "; it will be downloaded again";
  return Error::retryableError(ErrorKind::kCorrupt, std::move(msg), code);
}

// Newlines inside a record are whitespace between tokens; make each record one line. Marks the
// records whose bytes are not well-formed UTF-8 (only string contents can hold non-ASCII bytes, so
// checking the record's whole span checks its strings), in the same pass.
void flattenNewlinesAndCheckUtf8(RecordBatch& batch) {
  char* data = batch.body.data();
  for (RecordMeta& r : batch.records)
    r.invalid_utf8 = !flattenLineBreaksAndCheckUtf8(data + r.raw.offset, r.raw.length);
}

}  // namespace

Status parseBlobInto(RecordBatch& batch) {
  batch.records.clear();
  batch.arena.clear();
  batch.lines_flat = false;
  const std::string& body = batch.body;
  if (body.size() >= std::numeric_limits<std::uint32_t>::max()) {
    return corrupt(batch, kParseCodeTooLarge, 0,
                   "the body of " + std::to_string(body.size()) +
                       " bytes exceeds the 4 GiB limit of the parser");
  }
  batch.records.reserve(body.size() / 1024 + 1);
  batch.arena.reserve(body.size() / 12 + 64);

  // A UTF-8 byte order mark is not JSON; tolerate it in front of the array.
  std::size_t base = body.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  const ParseOutcome outcome = parseInPlace(batch, base);
  const rapidjson::ParseResult& result = outcome.result;

  std::optional<Error> error;
  if (outcome.code != nullptr) {
    error = corrupt(batch, outcome.code, outcome.fail_offset, outcome.reason);
  } else if (result.IsError()) {
    std::size_t at = base + result.Offset();
    std::string reason = rapidjson::GetParseError_En(result.Code());
    if (at < body.size() && body[at] == '\0') reason = "unexpected NUL byte";
    if (!reason.empty() && reason.back() == '.') reason.pop_back();
    error = corrupt(batch, kParseCodeInvalidJson, at, reason);
  } else if (std::size_t end = outcome.end; end != body.size()) {
    // RapidJSON stops at a NUL byte as if the input ended there.
    error = corrupt(batch, kParseCodeInvalidJson, end, "unexpected NUL byte after the array");
  }
  if (error) {
    std::vector<RecordMeta>().swap(batch.records);
    std::string().swap(batch.arena);
    return *std::move(error);
  }
  flattenNewlinesAndCheckUtf8(batch);
  batch.lines_flat = true;
  return okStatus();
}

Result<RecordBatch> parseBlob(std::string body, const ContentRef& content) {
  RecordBatch batch;
  batch.content = content;
  batch.body = std::move(body);
  if (Status s = parseBlobInto(batch); !s.ok()) return std::move(s).takeError();
  return batch;
}

}  // namespace o365fwd
