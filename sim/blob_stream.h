#pragma once
// One (tenant, content type) stream of simulated content blobs. Built once at start from the
// seed, the knobs and an anchor time (the simulator's start); then immutable, so any thread may
// read it. Only blob metadata is stored (a few dozen bytes per blob); record bodies are
// generated on demand from (seed, tenant, content type, blob, slot), so a stream of millions
// of records costs little memory and always renders the same bytes.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/content_id.h"
#include "sim/records/record_templates.h"
#include "sim/scenario.h"

namespace o365fwd::sim {

enum class BlobFate : std::uint8_t { kDeliver, kExpired, kDeadLetter };
const char* toString(BlobFate fate);

struct BlobMeta {
  std::int64_t created_ms = 0;  // contentCreated (millisecond precision)
  std::int64_t visible_ms = 0;  // listed from this time on
  std::int64_t expires_ms = 0;  // contentExpiration
  std::uint64_t first_seq = 0;  // sequence number of the first record slot
  std::uint32_t count = 0;      // record slots
  std::uint32_t extra = 0;      // contentId discriminator
  bool expired = false;         // listed, but already past contentExpiration
  bool invalid = false;         // body is broken JSON (forever, or for the first K fetches)
  bool large = false;           // the knob's very large blob
  bool bomb = false;            // a gzip bomb: no records, its body expands to bomb_mb of zeros
};

struct StreamParams {
  std::string tenant_id;
  std::string domain;
  size_t content_type = 0;
  ContentKnobs knobs;
  std::uint64_t seed = 1;
  std::int64_t anchor_ms = 0;  // the simulator's start (wall time incl. skew)
};

class BlobStream {
 public:
  explicit BlobStream(StreamParams params);

  const StreamInfo& info() const { return info_; }
  const ContentKnobs& knobs() const { return params_.knobs; }
  size_t contentType() const { return params_.content_type; }
  size_t size() const { return blobs_.size(); }
  const BlobMeta& blob(size_t i) const { return blobs_[i]; }
  std::string contentId(size_t i) const;
  // Index of the blob with exactly this id; nullopt when no such blob exists.
  std::optional<size_t> find(const ContentIdParts& id) const;
  // First blob with created_ms >= t (blobs are sorted by contentCreated).
  size_t lowerBound(std::int64_t created_ms) const;
  BlobFate fate(size_t i) const;
  std::uint64_t totalSlots() const;

  // Appends the JSON array body of blob i (always valid JSON).
  void renderBody(size_t i, std::string& out) const;
  // Appends records [from, to) of blob i's body, with the opening bracket when from is 0 and
  // the closing one when `to` reaches the end: consecutive parts make the whole body.
  void renderBodyPart(size_t i, std::uint32_t from, std::uint32_t to, std::string& out) const;
  // Appends a deliberately truncated body of blob i (for the invalid-JSON knob).
  void renderBrokenBody(size_t i, std::string& out) const;

  struct Identity {
    std::string id;
    std::string_view operation;
  };
  Identity identity(size_t blob, std::uint32_t slot) const;
  // Calls fn once per unique (Id, Operation) of the stream, in blob order, with the fate a
  // correct forwarder gives it (deliver if any copy sits in a deliverable blob).
  void forEachUniqueRecord(const std::function<void(const Identity&, BlobFate)>& fn) const;
  // Number of record slots that repeat an earlier record (duplicate knob).
  std::uint64_t duplicateSlots() const;

 private:
  struct Origin {
    size_t blob;
    std::uint32_t slot;
  };
  std::uint64_t slotHash(size_t blob, std::uint32_t slot) const;
  bool isDuplicate(size_t blob, std::uint32_t slot) const;
  bool isUndo(size_t blob, std::uint32_t slot) const;
  Origin origin(size_t blob, std::uint32_t slot) const;
  RecordSpec spec(Origin o) const;
  void layOut();

  StreamParams params_;
  StreamInfo info_;
  std::string region_;
  std::vector<BlobMeta> blobs_;
};

}  // namespace o365fwd::sim
