#pragma once
// The structural half of configuration loading: a ConfigNode tree -> the Config structs.
// Reports unknown and duplicate keys, wrong types, malformed durations/sizes/enumerations and
// placeholders; fills defaults (cloud URLs, content types, sink names) and resolves relative
// paths against `base_dir`. Value rules (GUIDs, ranges, ...) are checkConfig()'s. Pure.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string_view>

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

// `client_secret_expires`: "2027-05-01" (midnight UTC of that day) or an RFC 3339 UTC time
// ("2027-05-01T12:00:00Z"). nullopt for anything else (a locale date such as 5/1/2027).
std::optional<std::chrono::system_clock::time_point> parseExpiryDate(std::string_view text);
// Reads `client_secret_expires` of mapping `r` into `out`; reports a malformed date.
void readSecretExpiry(ConfigIssues& issues, MapReader& r,
                      std::optional<std::chrono::system_clock::time_point>& out);

}  // namespace o365fwd
