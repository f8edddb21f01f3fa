#pragma once
// The structural half of configuration loading: a ConfigNode tree -> the Config structs.
// Reports unknown and duplicate keys, wrong types, malformed durations/sizes/enumerations and
// placeholders; fills defaults (cloud URLs, content types, sink names) and resolves relative
// paths against `base_dir`. Value rules (GUIDs, ranges, ...) are checkConfig()'s. Pure.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
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

// The application credential keys a tenant and a `credentials:` entry share: client_id, the
// secret sources (file, env, systemd credential, inline), certificate_file + private_key_file and
// client_secret_expires. `C` is TenantConfig or CredentialConfig (the same member names).
template <typename C>
void readCredentialKeys(ConfigIssues& issues, MapReader& r, C& c) {
  r.getString("client_id", c.client_id);
  r.getOptString("client_secret_file", c.client_secret_file);
  r.getOptString("client_secret_env", c.client_secret_env);
  r.getOptString("client_secret_credential", c.client_secret_credential);
  std::optional<std::string> inline_secret;
  if (r.getOptString("client_secret", inline_secret)) c.client_secret = Secret(*inline_secret);
  r.getOptString("certificate_file", c.certificate_file);
  r.getOptString("private_key_file", c.private_key_file);
  readSecretExpiry(issues, r, c.client_secret_expires);
}

}  // namespace o365fwd
