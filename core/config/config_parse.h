#pragma once
// The structural half of configuration loading: a ConfigNode tree -> the Config structs.
// Reports unknown and duplicate keys, wrong types, malformed durations/sizes/enumerations and
// placeholders; fills defaults (cloud URLs, content types, sink names) and resolves relative
// paths against `base_dir`. Value rules (GUIDs, ranges, ...) are checkConfig()'s. Pure.
#include <filesystem>

#include "core/config/config.h"
#include "core/config/config_reader.h"
#include "core/config/config_tree.h"

namespace o365fwd {

// `root` must be a mapping (the caller reports anything else).
void parseConfig(const ConfigNode& root, const std::filesystem::path& base_dir,
                 ConfigIssues& issues, Config& config);

// One tenant mapping at YAML `path` (a tenants_dir file's entries); relative paths resolve
// against `base_dir`. Credential references are resolved by the caller.
void parseTenantEntry(ConfigIssues& issues, const ConfigNode& node, const std::string& path,
                      const std::filesystem::path& base_dir, TenantConfig& tenant);

}  // namespace o365fwd
