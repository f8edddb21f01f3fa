#pragma once
// Assignment partitions as an operator reads them: "0-3,7,9-10" for ascending partitions, "-" for
// none. Header-only and pure (the status views and `cluster status` both print it; the fuzzed
// status reader links no cluster library).
#include <cstddef>
#include <string>
#include <vector>

namespace o365fwd {

inline std::string partitionRanges(const std::vector<int>& partitions) {
  std::string out;
  for (std::size_t i = 0; i < partitions.size();) {
    std::size_t j = i;
    while (j + 1 < partitions.size() && partitions[j + 1] == partitions[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(partitions[i]);
    if (j > i) out += "-" + std::to_string(partitions[j]);
    i = j + 1;
  }
  return out.empty() ? "-" : out;
}

}  // namespace o365fwd
