#pragma once
// The records of <group>.state (docs/CLUSTER.md "State records"): their keys and values, encoded
// and decoded without librdkafka. Pure functions, callable from any thread.
//
// Keys are text, readable with kafka-console-consumer; each segment is percent-escaped ('%' and
// '/' only), so a tenant name or content id holding '/' cannot be mistaken for another record:
//   c/<tenant>/<content type>                    checkpoint of a stream
//   b/<tenant>/<content type>/<contentId>        a done blob and its records' key digests
//   b/<tenant>/<content type>/<contentId>/<n>    more digests of the same blob (n >= 1): a blob of
//                                                more than kDigestsPerRecord records, or a blob
//                                                committed again with records not seen before
//   f/<tenant>/<content type>/<contentId>        failed attempts of a blob not done yet
//   l/<tenant>/<content type>/<contentId>        a blob lost (expired before it was fetched)
//   p/<partition>                                the partition's last prune: a loader drops what
//                                                that prune dropped (keys older than the window,
//                                                blobs past expiration) but still has records
// Values are binary, little-endian, starting with a format version byte (kFormatVersion). A
// record with a null value is a tombstone.
//
// Promises: decode*() never reads past its input and accepts exactly what encode*() writes (one
// encoding per value: encode(decode(x)) == x, checked by fuzz/state_records_fuzzer.cpp);
// anything else (truncated, trailing bytes, a foreign key) is a kCorrupt error saying what is
// wrong, and a version above kFormatVersion is a kCorrupt error with code "newer-format" (a newer
// o365fwd wrote it: the caller must not overwrite it).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connector/content_ref.h"
#include "core/record_key.h"
#include "core/result.h"

namespace o365fwd {

inline constexpr std::uint8_t kStateFormatVersion = 1;
// Digests per blob record: 60,000 x 12 bytes = 720 KB, below Kafka's default 1 MB message size.
inline constexpr std::size_t kDigestsPerRecord = 60'000;
// Failure and lost reasons are cut to this many bytes (as the SQLite store does).
inline constexpr std::size_t kMaxStateReasonBytes = 1024;

// 96 bits of a RecordKey (hi and the low 32 bits of lo): 12 bytes on the wire.
struct KeyDigest {
  std::uint64_t hi = 0;
  std::uint32_t lo = 0;
  bool operator==(const KeyDigest&) const = default;
};

enum class StateRecordKind : char {
  kCheckpoint = 'c',
  kBlob = 'b',
  kFailure = 'f',
  kLost = 'l',
  kPrune = 'p',
};

struct StateRecordKey {
  StateRecordKind kind = StateRecordKind::kCheckpoint;
  StreamKey stream;
  std::string content_id;      // empty for a checkpoint
  std::uint32_t part = 0;      // blob records only: 0 = the blob record, n >= 1 its n-th extra
  std::int32_t partition = 0;  // prune records only (stream and content_id empty)
  bool operator==(const StateRecordKey&) const = default;
};

struct CheckpointValue {
  std::optional<std::int64_t> watermark_ns;
  std::optional<std::int64_t> last_success_ns;
  std::optional<std::int64_t> last_sweep_ns;
  std::optional<std::int64_t> sweep_floor_ns;
  std::uint64_t blobs_done = 0;
  std::uint64_t events_forwarded = 0;
  std::uint64_t duplicates_dropped = 0;
  std::uint64_t dead_lettered = 0;
  std::uint64_t blobs_lost = 0;
  std::uint64_t records_filtered = 0;  // last; absent in values written before it (read as 0)
  bool operator==(const CheckpointValue&) const = default;
};

struct BlobValue {
  std::int64_t created_ns = 0;
  std::int64_t expiration_ns = 0;
  std::int64_t committed_at_s = 0;  // when the digests were seen (whole seconds, rounded down)
  std::vector<KeyDigest> digests;
  bool operator==(const BlobValue&) const = default;
};

// A failure (attempts >= 1) or a lost blob (attempts unused).
struct BlobNoteValue {
  std::uint32_t attempts = 0;
  std::int64_t expiration_ns = 0;
  std::string reason;
  bool operator==(const BlobNoteValue&) const = default;
};

// What the partition's last prune dropped from memory.
struct PruneValue {
  std::int64_t pruned_at_ns = 0;  // blobs that expired before this are not done
  std::int64_t key_cutoff_s = 0;  // keys committed before this second are not seen
  bool operator==(const PruneValue&) const = default;
};

KeyDigest digestOf(const RecordKey& key);

std::string encodeStateKey(const StateRecordKey& key);
Result<StateRecordKey> decodeStateKey(std::string_view key);

std::string encodeCheckpoint(const CheckpointValue& value);
Result<CheckpointValue> decodeCheckpoint(std::string_view value);
std::string encodeBlob(const BlobValue& value);
Result<BlobValue> decodeBlob(std::string_view value);
std::string encodeBlobNote(const BlobNoteValue& value);  // reason cut to kMaxStateReasonBytes
Result<BlobNoteValue> decodeBlobNote(std::string_view value);
std::string encodePrune(const PruneValue& value);
Result<PruneValue> decodePrune(std::string_view value);

}  // namespace o365fwd
