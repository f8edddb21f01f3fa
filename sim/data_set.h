#pragma once
// Every simulated stream: one BlobStream per (tenant, content type that has content), built
// once at start from the configuration, the seed and the anchor time; immutable afterwards,
// so any thread may read it. Also writes the ledger.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "sim/blob_stream.h"
#include "sim/scenario.h"

namespace o365fwd::sim {

class DataSet {
 public:
  DataSet(const std::vector<TenantConfig>& tenants, std::uint64_t seed, std::int64_t anchor_ms);

  // nullptr when the tenant has no content of that type.
  const BlobStream* stream(size_t tenant, size_t content_type) const;
  std::int64_t anchorMs() const { return anchor_ms_; }
  std::uint64_t totalSlots() const;

  // The ledger as NDJSON, one line per unique (tenant, Id, Operation):
  //   {"tenant":"<guid>","content_type":"...","id":"...","operation":"...","fate":"deliver"}
  // handed to `sink` in chunks of roughly 1 MiB; a false return from sink stops early.
  bool writeLedger(const std::function<bool(std::string_view)>& sink) const;

 private:
  std::int64_t anchor_ms_;
  std::vector<std::array<std::unique_ptr<BlobStream>, kContentTypeCount>> streams_;
};

}  // namespace o365fwd::sim
