#pragma once
// The record key used for de-duplication (pipeline/delivery/deduplicator.h, the state store) and by
// the file sink's crash recovery (sinks/file/tail_recovery.h). A value type; thread-safe.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace o365fwd {

// De-duplication key of a record: a 128-bit hash of (tenant, Id, Operation). One Id may carry a
// DlpRuleMatch and its DlpRuleUndo; both survive because Operation is part of the key.
struct RecordKey {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  bool operator==(const RecordKey&) const = default;
  static RecordKey of(std::string_view tenant, std::string_view id, std::string_view operation);
};

struct RecordKeyHash {
  std::size_t operator()(const RecordKey& k) const {
    return static_cast<std::size_t>(k.lo ^ (k.hi * 0x9E3779B97F4A7C15ull));
  }
};

}  // namespace o365fwd
