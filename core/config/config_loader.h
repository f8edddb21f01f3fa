#pragma once
// Reads conf/connector.yaml into the Config structs of core/config/config.h and checks it.
//
// Contract:
// - Every problem is collected; loading never stops at the first one. A YAML syntax error is the
//   only problem that ends parsing early (it names the line and column).
// - Unknown keys are errors at every level, with "did you mean `x`?" when an allowed key is
//   within edit distance 2. Each issue names the YAML path and line and says what to do.
// - Relative paths (state_dir, file sink path, secret/certificate/key files, TLS files,
//   health.token_file, Kafka `*_file` properties) are resolved against the directory of the
//   configuration file. Defaults (cloud URLs, content types, sink names) are filled in.
// - Pure: no secrets are read and nothing is written. loadConfigFile() also checks the file's
//   own permissions (group/world-writable, world-readable with inline secrets).
// - This file's .cpp is the only one that includes yaml-cpp. Thread-safe (no shared state).
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"

namespace o365fwd {

struct ConfigIssue {
  std::string file;     // the configuration file as named by the caller
  std::string path;     // YAML path, e.g. "tenants[1].tenant_id"; empty for the whole file
  int line = 0;         // 1-based; 0 when not tied to a line
  std::string message;  // what is wrong and what to do; never contains a secret
  bool warning = false;

  // "<file>:<line>: <path>: <message>"; parts that are unknown are left out.
  std::string describe() const;
};

// YAML path -> 1-based line of that key (or list element), for messages of later stages.
using KeyLines = std::map<std::string, int>;

struct LoadedConfig {
  Config config;
  std::vector<ConfigIssue> issues;  // sorted by line; errors and warnings
  KeyLines lines;

  bool valid() const;  // no issue is an error (warnings allowed)
  int errorCount() const;
  int warningCount() const;
  // Line of `path`, or of its nearest enclosing key that has one; 0 when none.
  int lineOf(const std::string& path) const;

  // tenants_dir: every file read, in order. The tenants of a broken file (any error in it) are
  // left out of config.tenants; its problems are in `issues`, naming the file.
  struct TenantFile {
    std::string path;
    bool valid = true;
    int tenants = 0;  // entries in the file (valid or not)
  };
  std::vector<TenantFile> tenant_files;
  std::vector<std::string> brokenTenantFiles() const;
  // No error outside the broken tenant files: the daemon can run without them.
  bool validExceptTenantFiles() const;
};

LoadedConfig loadConfigFile(const std::string& path);
// `source_name` names the text in messages; relative paths resolve against its directory.
LoadedConfig loadConfigString(std::string_view yaml, const std::string& source_name);

// $O365FWD_CONFIG when set and non-empty, else /etc/o365fwd/connector.yaml.
std::string defaultConfigPath();

// Line of `path` in `lines`, or of its nearest enclosing key that has one; 0 when none.
int lineOfPath(const KeyLines& lines, const std::string& path);

// Levenshtein distance, for "did you mean" suggestions.
int editDistance(std::string_view a, std::string_view b);

}  // namespace o365fwd
