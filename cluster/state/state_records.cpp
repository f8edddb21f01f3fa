#include "cluster/state/state_records.h"

#include <algorithm>
#include <cstring>

namespace o365fwd {
namespace {

Error corrupt(std::string what) {
  return Error::permanent(ErrorKind::kCorrupt, std::move(what));
}

std::string escapeSegment(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '%')
      out += "%25";
    else if (c == '/')
      out += "%2F";
    else
      out.push_back(c);
  }
  return out;
}

std::optional<std::string> unescapeSegment(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    std::string_view esc = s.substr(i, 3);
    if (esc == "%25")
      out.push_back('%');
    else if (esc == "%2F")
      out.push_back('/');
    else
      return std::nullopt;
    i += 2;
  }
  return out;
}

std::vector<std::string_view> splitSlash(std::string_view s) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    std::size_t at = s.find('/', start);
    parts.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

void putU8(std::string& out, std::uint8_t v) {
  out.push_back(static_cast<char>(v));
}
void putU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void putU64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void putI64(std::string& out, std::int64_t v) {
  putU64(out, static_cast<std::uint64_t>(v));
}

// Reads little-endian fields; any read past the end marks the reader failed.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool take(std::size_t n, std::string_view& out) {
    if (failed_ || in_.size() - at_ < n) {
      failed_ = true;
      return false;
    }
    out = in_.substr(at_, n);
    at_ += n;
    return true;
  }
  std::uint64_t uint(int bytes) {
    std::string_view b;
    if (!take(static_cast<std::size_t>(bytes), b)) return 0;
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[i]);
    return v;
  }
  std::int64_t i64() { return static_cast<std::int64_t>(uint(8)); }
  std::size_t left() const { return in_.size() - at_; }
  bool failed() const { return failed_; }

 private:
  std::string_view in_;
  std::size_t at_ = 0;
  bool failed_ = false;
};

// The version byte: ok, or why the value cannot be read.
Status readVersion(Reader& r, const char* what) {
  if (r.left() == 0) return corrupt(std::string("empty ") + what + " value");
  const auto version = static_cast<std::uint8_t>(r.uint(1));
  if (version == 0) return corrupt(std::string(what) + " value has format version 0");
  if (version > kStateFormatVersion) {
    Error e = corrupt(std::string(what) + " value has format version " + std::to_string(version) +
                      ", newer than this o365fwd reads (" + std::to_string(kStateFormatVersion) +
                      "): upgrade every instance of the group to the same version");
    e.code = "newer-format";
    return e;
  }
  return okStatus();
}

Status finish(const Reader& r, const char* what) {
  if (r.failed()) return corrupt(std::string(what) + " value is truncated");
  if (r.left() != 0)
    return corrupt(std::string(what) + " value has " + std::to_string(r.left()) +
                   " unexpected trailing bytes");
  return okStatus();
}

std::string_view cutUtf8(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

KeyDigest digestOf(const RecordKey& key) {
  return KeyDigest{key.hi, static_cast<std::uint32_t>(key.lo)};
}

std::string encodeStateKey(const StateRecordKey& key) {
  if (key.kind == StateRecordKind::kPrune) return "p/" + std::to_string(key.partition);
  std::string out(1, static_cast<char>(key.kind));
  out += '/';
  out += escapeSegment(key.stream.tenant);
  out += '/';
  out += escapeSegment(key.stream.content_type);
  if (key.kind == StateRecordKind::kCheckpoint) return out;
  out += '/';
  out += escapeSegment(key.content_id);
  if (key.kind == StateRecordKind::kBlob && key.part > 0) out += "/" + std::to_string(key.part);
  return out;
}

Result<StateRecordKey> decodeStateKey(std::string_view key) {
  auto show = [&] {
    return "\"" + std::string(key.substr(0, 120)) + (key.size() > 120 ? "...\"" : "\"");
  };
  std::vector<std::string_view> parts = splitSlash(key);
  if (parts.size() == 2 && parts[0] == "p") {
    std::string_view n = parts[1];
    bool digits = !n.empty() && n.size() <= 9 && (n[0] != '0' || n.size() == 1) &&
                  std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) return corrupt("record key " + show() + " has a bad partition number");
    StateRecordKey out;
    out.kind = StateRecordKind::kPrune;
    out.partition = std::stoi(std::string(n));
    return out;
  }
  if (parts.size() < 3 || parts[0].size() != 1)
    return corrupt("record key " + show() + " is not an o365fwd state key");
  StateRecordKey out;
  const char kind = parts[0][0];
  std::size_t expected = 4;
  switch (kind) {
    case 'c': expected = 3; break;
    case 'b':
      if (parts.size() == 5) expected = 5;
      break;
    case 'f':
    case 'l': break;
    default: return corrupt("record key " + show() + " is not an o365fwd state key");
  }
  if (parts.size() != expected)
    return corrupt("record key " + show() + " has " + std::to_string(parts.size()) +
                   " segments, not " + std::to_string(expected));
  out.kind = static_cast<StateRecordKind>(kind);
  auto tenant = unescapeSegment(parts[1]);
  auto type = unescapeSegment(parts[2]);
  if (!tenant || !type || tenant->empty() || type->empty())
    return corrupt("record key " + show() + " has an empty or badly escaped tenant or type");
  out.stream = StreamKey{std::move(*tenant), std::move(*type)};
  if (expected >= 4) {
    auto id = unescapeSegment(parts[3]);
    if (!id) return corrupt("record key " + show() + " has a badly escaped content id");
    out.content_id = std::move(*id);
  }
  if (expected == 5) {
    std::uint64_t n = 0;
    if (parts[4].empty() || parts[4].size() > 9 || parts[4][0] == '0')
      return corrupt("record key " + show() + " has a bad part number");
    for (char c : parts[4]) {
      if (c < '0' || c > '9') return corrupt("record key " + show() + " has a bad part number");
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    out.part = static_cast<std::uint32_t>(n);
  }
  return out;
}

namespace {
enum CheckpointFlags : std::uint8_t {
  kHasWatermark = 1,
  kHasLastSuccess = 2,
  kHasLastSweep = 4,
  kHasSweepFloor = 8,
  kHasRecordsFiltered = 16,  // records_filtered follows blobs_lost (written when not 0)
};
}  // namespace

std::string encodeCheckpoint(const CheckpointValue& v) {
  std::string out;
  out.reserve(2 + 4 * 8 + 6 * 8);
  putU8(out, kStateFormatVersion);
  std::uint8_t flags =
      (v.watermark_ns ? kHasWatermark : 0) | (v.last_success_ns ? kHasLastSuccess : 0) |
      (v.last_sweep_ns ? kHasLastSweep : 0) | (v.sweep_floor_ns ? kHasSweepFloor : 0) |
      (v.records_filtered != 0 ? kHasRecordsFiltered : 0);
  putU8(out, flags);
  putI64(out, v.watermark_ns.value_or(0));
  putI64(out, v.last_success_ns.value_or(0));
  putI64(out, v.last_sweep_ns.value_or(0));
  putI64(out, v.sweep_floor_ns.value_or(0));
  putU64(out, v.blobs_done);
  putU64(out, v.events_forwarded);
  putU64(out, v.duplicates_dropped);
  putU64(out, v.dead_lettered);
  putU64(out, v.blobs_lost);
  if (v.records_filtered != 0) putU64(out, v.records_filtered);
  return out;
}

Result<CheckpointValue> decodeCheckpoint(std::string_view value) {
  Reader r(value);
  if (Status s = readVersion(r, "checkpoint"); !s.ok()) return s.error();
  const auto flags = static_cast<std::uint8_t>(r.uint(1));
  if (flags & ~0x1f) return corrupt("checkpoint value has unknown flags");
  CheckpointValue v;
  bool stray = false;  // an absent field must be written as 0 (one encoding per value)
  auto opt = [&](std::uint8_t bit, std::optional<std::int64_t>& field) {
    std::int64_t x = r.i64();
    if (flags & bit)
      field = x;
    else if (x != 0)
      stray = true;
  };
  opt(kHasWatermark, v.watermark_ns);
  opt(kHasLastSuccess, v.last_success_ns);
  opt(kHasLastSweep, v.last_sweep_ns);
  opt(kHasSweepFloor, v.sweep_floor_ns);
  v.blobs_done = r.uint(8);
  v.events_forwarded = r.uint(8);
  v.duplicates_dropped = r.uint(8);
  v.dead_lettered = r.uint(8);
  v.blobs_lost = r.uint(8);
  if (flags & kHasRecordsFiltered) {
    v.records_filtered = r.uint(8);
    if (v.records_filtered == 0) stray = true;  // 0 is written as absent
  }
  if (Status s = finish(r, "checkpoint"); !s.ok()) return s.error();
  if (stray)
    return corrupt("checkpoint value holds a time its flags say is absent, or a zero it must omit");
  return v;
}

std::string encodeBlob(const BlobValue& v) {
  std::string out;
  out.reserve(1 + 3 * 8 + 4 + 12 * v.digests.size());
  putU8(out, kStateFormatVersion);
  putI64(out, v.created_ns);
  putI64(out, v.expiration_ns);
  putI64(out, v.committed_at_s);
  putU32(out, static_cast<std::uint32_t>(v.digests.size()));
  for (const KeyDigest& d : v.digests) {
    putU64(out, d.hi);
    putU32(out, d.lo);
  }
  return out;
}

Result<BlobValue> decodeBlob(std::string_view value) {
  Reader r(value);
  if (Status s = readVersion(r, "blob"); !s.ok()) return s.error();
  BlobValue v;
  v.created_ns = r.i64();
  v.expiration_ns = r.i64();
  v.committed_at_s = r.i64();
  const std::uint64_t n = r.uint(4);
  if (r.failed()) return corrupt("blob value is truncated");
  if (n * 12 != r.left())
    return corrupt("blob value announces " + std::to_string(n) + " digests but holds " +
                   std::to_string(r.left()) + " bytes of them");
  v.digests.resize(n);
  for (KeyDigest& d : v.digests) {
    d.hi = r.uint(8);
    d.lo = static_cast<std::uint32_t>(r.uint(4));
  }
  if (Status s = finish(r, "blob"); !s.ok()) return s.error();
  return v;
}

std::string encodeBlobNote(const BlobNoteValue& v) {
  std::string_view reason = cutUtf8(v.reason, kMaxStateReasonBytes);
  std::string out;
  putU8(out, kStateFormatVersion);
  putU32(out, v.attempts);
  putI64(out, v.expiration_ns);
  putU32(out, static_cast<std::uint32_t>(reason.size()));
  out += reason;
  return out;
}

Result<BlobNoteValue> decodeBlobNote(std::string_view value) {
  Reader r(value);
  if (Status s = readVersion(r, "blob note"); !s.ok()) return s.error();
  BlobNoteValue v;
  v.attempts = static_cast<std::uint32_t>(r.uint(4));
  v.expiration_ns = r.i64();
  const std::uint64_t n = r.uint(4);
  if (n > kMaxStateReasonBytes) return corrupt("blob note value has a reason too long");
  std::string_view reason;
  if (r.take(static_cast<std::size_t>(n), reason)) v.reason = std::string(reason);
  if (Status s = finish(r, "blob note"); !s.ok()) return s.error();
  return v;
}

std::string encodePrune(const PruneValue& v) {
  std::string out;
  putU8(out, kStateFormatVersion);
  putI64(out, v.pruned_at_ns);
  putI64(out, v.key_cutoff_s);
  return out;
}

Result<PruneValue> decodePrune(std::string_view value) {
  Reader r(value);
  if (Status s = readVersion(r, "prune"); !s.ok()) return s.error();
  PruneValue v;
  v.pruned_at_ns = r.i64();
  v.key_cutoff_s = r.i64();
  if (Status s = finish(r, "prune"); !s.ok()) return s.error();
  return v;
}

}  // namespace o365fwd
