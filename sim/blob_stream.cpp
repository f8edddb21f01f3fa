#include "sim/blob_stream.h"

#include <algorithm>
#include <unordered_set>

#include "sim/det_hash.h"

namespace o365fwd::sim {
namespace {

// Salts that make the independent per-slot choices independent.
constexpr std::uint64_t kSaltDup = 11, kSaltDupBlob = 12, kSaltDupSlot = 13, kSaltUndo = 14,
                        kSaltBackfill = 15, kSaltAge = 16, kSaltUndoDelay = 17;
constexpr std::uint64_t kSaltTime = 21, kSaltLate = 22, kSaltExpired = 23, kSaltExtra = 24;
constexpr double kUndoFraction = 0.2;
constexpr std::int64_t kDayS = 86400;

}  // namespace

const char* toString(BlobFate fate) {
  switch (fate) {
    case BlobFate::kDeliver: return "deliver";
    case BlobFate::kExpired: return "expired";
    case BlobFate::kDeadLetter: return "dead_letter";
  }
  return "deliver";
}

BlobStream::BlobStream(StreamParams params) : params_(std::move(params)) {
  info_.tenant_id = params_.tenant_id;
  info_.domain = params_.domain;
  info_.org = params_.domain.substr(0, params_.domain.find('.'));
  info_.content_type = params_.content_type;
  info_.stream_hash = hashCombine(hashCombine(params_.seed, hashString(params_.tenant_id)),
                                  hashString(kContentTypes[params_.content_type]));
  std::uint64_t rh = hashString(params_.tenant_id);
  region_ = std::string(rh % 3 == 0   ? "emea"
                        : rh % 3 == 1 ? "namp"
                                      : "apac") +
            "00" + std::to_string(10 + (rh >> 8) % 90);
  layOut();
}

void BlobStream::layOut() {
  const ContentKnobs& k = params_.knobs;
  const std::int64_t span = std::chrono::milliseconds(k.span).count();
  const std::int64_t future = std::chrono::milliseconds(k.future_span).count();
  const std::int64_t total = std::max<std::int64_t>(span + future, 1000);
  const std::int64_t begin = params_.anchor_ms - (span + future > 0 ? span : 1000);
  const size_t n = static_cast<size_t>(std::max(k.blobs, 0));
  blobs_.resize(n);
  std::int64_t prev = begin - 1;
  for (size_t b = 0; b < n; ++b) {
    BlobMeta& m = blobs_[b];
    std::uint64_t h = hashCombine(info_.stream_hash, b);
    double u = 0.1 + 0.8 * unitOf(hashCombine(h, kSaltTime));
    auto t = begin + static_cast<std::int64_t>((static_cast<double>(b) + u) *
                                               static_cast<double>(total) / static_cast<double>(n));
    m.created_ms = std::max(t, prev + 1);
    prev = m.created_ms;
    m.extra = static_cast<std::uint32_t>(hashCombine(h, kSaltExtra) % 1000000);
    m.visible_ms = m.created_ms;
    if (unitOf(hashCombine(h, kSaltLate)) < k.late_visible_fraction)
      m.visible_ms += std::chrono::milliseconds(k.late_visible_delay).count();
    m.expires_ms = m.created_ms + std::chrono::milliseconds(k.expiration).count();
    m.count = static_cast<std::uint32_t>(k.records_per_blob);
  }
  for (const LateBlobs& late : k.late_blobs)  // chosen blobs: listable only `delay` late
    for (size_t b = static_cast<size_t>(late.index);
         b < std::min(n, static_cast<size_t>(late.index) + static_cast<size_t>(late.count)); ++b)
      blobs_[b].visible_ms = blobs_[b].created_ms + std::chrono::milliseconds(late.delay).count();
  // Special blobs are chosen among those already created at the anchor ("past" blobs).
  std::vector<size_t> past;
  for (size_t b = 0; b < n; ++b)
    if (blobs_[b].created_ms < params_.anchor_ms) past.push_back(b);
  if (k.large_blob_mb > 0 && n > 0) {
    size_t li = past.empty() ? 0 : past[past.size() / 2];
    blobs_[li].large = true;
  }
  std::vector<size_t> candidates;
  for (size_t b : past) {
    BlobMeta& m = blobs_[b];
    if (m.large) continue;
    if (unitOf(hashCombine(hashCombine(info_.stream_hash, b), kSaltExpired)) < k.expired_fraction) {
      m.expired = true;
      m.expires_ms = m.created_ms + 1;
      continue;
    }
    candidates.push_back(b);
  }
  const size_t invalid = std::min(candidates.size(), static_cast<size_t>(k.invalid_json_blobs));
  for (size_t i = 0; i < invalid; ++i)
    blobs_[candidates[(2 * i + 1) * candidates.size() / (2 * invalid)]].invalid = true;
  // Gzip bombs: the latest past blobs that are not special otherwise; they hold no records.
  int bombs = k.bomb_blobs;
  for (auto it = candidates.rbegin(); it != candidates.rend() && bombs > 0; ++it) {
    BlobMeta& m = blobs_[*it];
    if (m.invalid) continue;
    m.bomb = true;
    m.count = 0;
    --bombs;
  }
  // Sequence numbers; the large blob gets as many slots as its size needs.
  auto number = [&] {
    std::uint64_t seq = 0;
    for (auto& m : blobs_) {
      m.first_seq = seq;
      seq += m.count;
    }
  };
  number();
  for (size_t b = 0; b < n; ++b) {
    if (!blobs_[b].large) continue;
    std::string sample;
    size_t probe = b == 0 ? (n > 1 ? 1 : 0) : 0;
    std::uint32_t slots = std::min<std::uint32_t>(blobs_[probe].count, 32);
    for (std::uint32_t j = 0; j < slots; ++j) {
      std::string scratch;
      renderRecord(spec(Origin{probe, j}), sample, scratch);
    }
    double avg = slots > 0 ? static_cast<double>(sample.size()) / slots + 1 : 1000;
    double want = static_cast<double>(k.large_blob_mb) * 1024 * 1024;
    blobs_[b].count =
        std::max<std::uint32_t>(blobs_[b].count, static_cast<std::uint32_t>(want / avg));
    number();
  }
}

std::string BlobStream::contentId(size_t i) const {
  return formatContentId(
      ContentIdParts{params_.content_type, blobs_[i].created_ms, blobs_[i].extra, region_});
}

std::optional<size_t> BlobStream::find(const ContentIdParts& id) const {
  if (id.content_type != params_.content_type || id.region != region_) return std::nullopt;
  size_t i = lowerBound(id.created_ms);
  for (; i < blobs_.size() && blobs_[i].created_ms == id.created_ms; ++i)
    if (blobs_[i].extra == id.extra) return i;
  return std::nullopt;
}

size_t BlobStream::lowerBound(std::int64_t created_ms) const {
  auto it = std::lower_bound(blobs_.begin(), blobs_.end(), created_ms,
                             [](const BlobMeta& m, std::int64_t t) { return m.created_ms < t; });
  return static_cast<size_t>(it - blobs_.begin());
}

BlobFate BlobStream::fate(size_t i) const {
  const BlobMeta& m = blobs_[i];
  if (m.expired) return BlobFate::kExpired;
  if (m.invalid && params_.knobs.invalid_json_fetches == 0) return BlobFate::kDeadLetter;
  if (m.bomb) return BlobFate::kDeadLetter;
  return BlobFate::kDeliver;
}

std::uint64_t BlobStream::totalSlots() const {
  return blobs_.empty() ? 0 : blobs_.back().first_seq + blobs_.back().count;
}

std::uint64_t BlobStream::slotHash(size_t blob, std::uint32_t slot) const {
  return hashCombine(info_.stream_hash ^ 0x5bd1e995ull, blobs_[blob].first_seq + slot);
}

bool BlobStream::isDuplicate(size_t blob, std::uint32_t slot) const {
  double f = params_.knobs.duplicate_fraction;
  return blob > 0 && f > 0 && unitOf(hashCombine(slotHash(blob, slot), kSaltDup)) < f;
}

bool BlobStream::isUndo(size_t blob, std::uint32_t slot) const {
  if (params_.content_type != 4 || slot % 2 == 0) return false;
  if (isDuplicate(blob, slot) || isDuplicate(blob, slot - 1)) return false;
  return unitOf(hashCombine(slotHash(blob, slot), kSaltUndo)) < kUndoFraction;
}

BlobStream::Origin BlobStream::origin(size_t blob, std::uint32_t slot) const {
  while (isDuplicate(blob, slot)) {
    std::uint64_t h = slotHash(blob, slot);
    size_t nb = hashCombine(h, kSaltDupBlob) % blob;
    slot = static_cast<std::uint32_t>(hashCombine(h, kSaltDupSlot) % blobs_[nb].count);
    blob = nb;
  }
  return Origin{blob, slot};
}

RecordSpec BlobStream::spec(Origin o) const {
  const size_t ct = params_.content_type;
  RecordSpec s;
  s.stream = &info_;
  s.pad_to = params_.knobs.record_size;
  auto creation = [&](std::uint64_t h) {
    std::int64_t created_s = blobs_[o.blob].created_ms / 1000;
    if (unitOf(hashCombine(h, kSaltBackfill)) < params_.knobs.backfill_fraction)
      return created_s - 2 * kDayS -
             static_cast<std::int64_t>(hashCombine(h, kSaltAge) % (4 * kDayS));
    return created_s - 30 - static_cast<std::int64_t>(hashCombine(h, kSaltAge) % 5400);
  };
  std::uint64_t h = slotHash(o.blob, o.slot);
  if (isUndo(o.blob, o.slot)) {
    std::uint64_t match_h = slotHash(o.blob, o.slot - 1);
    s.h = match_h;
    s.id_seq = blobs_[o.blob].first_seq + o.slot - 1;
    s.kind = dlpExchangeKind();
    s.op = kUndoOp;
    s.creation_s =
        creation(match_h) + 60 + static_cast<std::int64_t>(hashCombine(h, kSaltUndoDelay) % 540);
    return s;
  }
  s.h = h;
  s.id_seq = blobs_[o.blob].first_seq + o.slot;
  s.creation_s = creation(h);
  if (ct == 4 && o.slot + 1 < blobs_[o.blob].count && isUndo(o.blob, o.slot + 1)) {
    s.kind = dlpExchangeKind();
    s.op = 0;
  } else {
    s.kind = pickKind(ct, h);
    s.op = pickOp(ct, s.kind, h);
  }
  return s;
}

BlobStream::Identity BlobStream::identity(size_t blob, std::uint32_t slot) const {
  RecordSpec s = spec(origin(blob, slot));
  return Identity{recordId(info_, s.id_seq), operationName(params_.content_type, s.kind, s.op)};
}

void BlobStream::renderBody(size_t i, std::string& out) const {
  const BlobMeta& m = blobs_[i];
  out.reserve(out.size() + m.count * static_cast<size_t>(std::max(params_.knobs.record_size, 900)));
  renderBodyPart(i, 0, m.count, out);
}

void BlobStream::renderBodyPart(size_t i, std::uint32_t from, std::uint32_t to,
                                std::string& out) const {
  const BlobMeta& m = blobs_[i];
  to = std::min(to, m.count);
  std::string scratch;
  if (from == 0) out.push_back('[');
  for (std::uint32_t j = from; j < to; ++j) {
    if (j > 0) out.push_back(',');
    bool dup = isDuplicate(i, j);
    RecordSpec s = spec(dup ? origin(i, j) : Origin{i, j});
    s.reorder = dup;
    renderRecord(s, out, scratch);
  }
  if (to == m.count) out.push_back(']');
}

void BlobStream::renderBrokenBody(size_t i, std::string& out) const {
  size_t start = out.size();
  renderBody(i, out);
  size_t len = out.size() - start;
  out.resize(start + std::max<size_t>(len * 3 / 5, 1));  // cut mid-record
  out.append(",{\"Id\":");                               // and leave a dangling member
}

void BlobStream::forEachUniqueRecord(
    const std::function<void(const Identity&, BlobFate)>& fn) const {
  // Origins in non-deliverable blobs that a duplicate in a deliverable blob rescues.
  std::unordered_set<std::uint64_t> rescued;
  if (params_.knobs.duplicate_fraction > 0) {
    for (size_t b = 0; b < blobs_.size(); ++b) {
      if (fate(b) != BlobFate::kDeliver) continue;
      for (std::uint32_t j = 0; j < blobs_[b].count; ++j) {
        if (!isDuplicate(b, j)) continue;
        Origin o = origin(b, j);
        if (fate(o.blob) != BlobFate::kDeliver) rescued.insert(blobs_[o.blob].first_seq + o.slot);
      }
    }
  }
  for (size_t b = 0; b < blobs_.size(); ++b) {
    BlobFate f = fate(b);
    for (std::uint32_t j = 0; j < blobs_[b].count; ++j) {
      if (isDuplicate(b, j)) continue;
      RecordSpec s = spec(Origin{b, j});
      BlobFate rf = f;
      if (rf != BlobFate::kDeliver && rescued.count(blobs_[b].first_seq + j) > 0)
        rf = BlobFate::kDeliver;
      fn(Identity{recordId(info_, s.id_seq), operationName(params_.content_type, s.kind, s.op)},
         rf);
    }
  }
}

std::uint64_t BlobStream::duplicateSlots() const {
  std::uint64_t n = 0;
  for (size_t b = 0; b < blobs_.size(); ++b)
    for (std::uint32_t j = 0; j < blobs_[b].count; ++j) n += isDuplicate(b, j) ? 1 : 0;
  return n;
}

}  // namespace o365fwd::sim
