#pragma once
// Reads one `filters:` mapping (top level or a tenant's) into a FilterConfig, reporting problems
// through ConfigIssues: wrong shapes, empty or malformed domains and unknown RecordType/UserType
// names are errors naming the key; Operation and Workload values that are not in the known lists
// are warnings with "did you mean `x`?" (they are still used as written). Pure; single-threaded
// (one call per load).
#include <string>

#include "core/config/config_reader.h"
#include "core/config/config_tree.h"
#include "core/filters/filter_config.h"

namespace o365fwd {

void parseFilters(ConfigIssues& issues, const ConfigNode& node, const std::string& path,
                  FilterConfig& out);

// "did you mean `x`?" for the name within edit distance 2 of `word` ignoring case, or "".
std::string suggestionIgnoringCase(std::string_view word,
                                   const std::vector<std::string_view>& names);

}  // namespace o365fwd
