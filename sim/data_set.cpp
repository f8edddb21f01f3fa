#include "sim/data_set.h"

#include "sim/json_text.h"

namespace o365fwd::sim {

DataSet::DataSet(const std::vector<TenantConfig>& tenants, std::uint64_t seed,
                 std::int64_t anchor_ms)
    : anchor_ms_(anchor_ms) {
  streams_.resize(tenants.size());
  for (size_t t = 0; t < tenants.size(); ++t) {
    for (size_t c = 0; c < kContentTypeCount; ++c) {
      if (!tenants[t].has_content[c]) continue;
      StreamParams p;
      p.tenant_id = tenants[t].tenant_id;
      p.domain = tenants[t].domain;
      p.content_type = c;
      p.knobs = tenants[t].content[c];
      p.seed = seed;
      p.anchor_ms = anchor_ms;
      streams_[t][c] = std::make_unique<BlobStream>(std::move(p));
    }
  }
}

const BlobStream* DataSet::stream(size_t tenant, size_t content_type) const {
  if (tenant >= streams_.size() || content_type >= kContentTypeCount) return nullptr;
  return streams_[tenant][content_type].get();
}

std::uint64_t DataSet::totalSlots() const {
  std::uint64_t n = 0;
  for (const auto& t : streams_)
    for (const auto& s : t)
      if (s) n += s->totalSlots();
  return n;
}

bool DataSet::writeLedger(const std::function<bool(std::string_view)>& sink) const {
  constexpr size_t kChunk = 1 << 20;
  std::string buf;
  bool go_on = true;
  for (const auto& t : streams_) {
    for (const auto& s : t) {
      if (!s || !go_on) continue;
      const std::string prefix =
          "{\"tenant\":" + jsonString(s->info().tenant_id) +
          ",\"content_type\":" + jsonString(kContentTypes[s->contentType()]) + ",\"id\":\"";
      s->forEachUniqueRecord([&](const BlobStream::Identity& id, BlobFate fate) {
        if (!go_on) return;
        buf += prefix;
        buf += id.id;
        buf += "\",\"operation\":";
        appendJsonString(buf, id.operation);
        buf += ",\"fate\":\"";
        buf += toString(fate);
        buf += "\"}\n";
        if (buf.size() >= kChunk) {
          go_on = sink(buf);
          buf.clear();
        }
      });
    }
  }
  if (go_on && !buf.empty()) go_on = sink(buf);
  return go_on;
}

}  // namespace o365fwd::sim
