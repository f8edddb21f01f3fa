#pragma once
// Fleet configuration: shared application credentials (`credentials:` referenced by a tenant's
// `credential: NAME`) and tenant files (`tenants_dir:`, a directory or a glob; one or more
// tenants per file) merged with `tenants:`.
//
// Promises: a tenant file is read and checked on its own; its problems name the file. A broken
// file contributes no tenant (the caller decides what that means: `validate` fails, the daemon
// keeps what it runs). A tenant name used twice (two files, or a file and `tenants:`) is an
// error in the later file naming both. Secrets are never read here and never put in a message.
// Pure apart from reading the files; thread-safe (no shared state).
#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/config/config_loader.h"
#include "core/config/config_reader.h"
#include "core/config/config_tree.h"

namespace o365fwd {

// `credentials:` — a list of {name, client_id, <one secret source>}.
void parseCredentials(ConfigIssues& issues, const ConfigNode& node,
                      std::vector<CredentialConfig>& out);

// Copies the secret source (and client_id when the tenant has none) of each tenant's
// `credential:` into the tenant. Unknown names and a tenant with both `credential:` and its own
// secret source are errors at `<prefix>[i].credential`.
void resolveCredentialRefs(const std::vector<CredentialConfig>& credentials,
                           std::vector<TenantConfig>& tenants, const std::string& prefix,
                           ConfigIssues& issues);

// The files `tenants_dir` names, sorted: every *.yaml / *.yml of a directory, or the matches of
// a glob. A directory or glob that does not exist yields an empty list and `error` set.
std::vector<std::string> tenantFilePaths(const std::string& tenants_dir, std::string& error);

// Reads every tenants_dir file into `out` (called by loadConfigString after the main file).
void mergeTenantFiles(LoadedConfig& out);
// Reads one tenants file into `out` as if tenants_dir held it (`validate --tenants-file` of a
// file not yet in tenants_dir): its names must not clash with the tenants already loaded.
void mergeTenantFile(LoadedConfig& out, const std::string& path);

// Implemented in core/config/config_loader.cpp (the yaml-cpp user): one YAML text into a tree, and
// the bounded, regular-file-only read of a configuration file (nullopt, or what is wrong).
bool parseYamlDocument(std::string_view yaml, const std::string& source_name,
                       std::vector<ConfigIssue>& issues, KeyLines& lines, ConfigNode& root);
std::optional<std::string> readConfigText(const std::string& path, std::string& text,
                                          struct stat& st);

}  // namespace o365fwd
