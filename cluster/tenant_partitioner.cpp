#include "cluster/tenant_partitioner.h"

namespace o365fwd {

std::int32_t kafkaMurmur2(std::string_view data) {
  // Unsigned arithmetic: Java's int overflow wraps, C++'s signed overflow is undefined.
  const std::uint32_t length = static_cast<std::uint32_t>(data.size());
  constexpr std::uint32_t kSeed = 0x9747b28c;
  constexpr std::uint32_t kM = 0x5bd1e995;
  constexpr int kR = 24;
  std::uint32_t h = kSeed ^ length;
  auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(data[i]));
  };
  const std::size_t blocks = data.size() / 4;
  for (std::size_t i = 0; i < blocks; ++i) {
    std::size_t i4 = i * 4;
    std::uint32_t k = byte(i4) | (byte(i4 + 1) << 8) | (byte(i4 + 2) << 16) | (byte(i4 + 3) << 24);
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const std::size_t tail = data.size() & ~static_cast<std::size_t>(3);
  switch (data.size() % 4) {
    case 3: h ^= byte(tail + 2) << 16; [[fallthrough]];
    case 2: h ^= byte(tail + 1) << 8; [[fallthrough]];
    case 1: h ^= byte(tail); h *= kM;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);
}

int tenantPartition(std::string_view tenant_name, int partitions) {
  if (partitions < 1) return 0;
  auto positive = static_cast<std::uint32_t>(kafkaMurmur2(tenant_name)) & 0x7fffffffu;
  return static_cast<int>(positive % static_cast<std::uint32_t>(partitions));
}

std::map<int, std::vector<std::string>> tenantsByPartition(const std::vector<TenantConfig>& tenants,
                                                           int partitions) {
  std::map<int, std::vector<std::string>> out;
  for (const TenantConfig& t : tenants) out[tenantPartition(t.name, partitions)].push_back(t.name);
  return out;
}

}  // namespace o365fwd
