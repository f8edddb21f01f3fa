#pragma once
// The pure half of configuration loading: rules on an already parsed Config (formats, ranges,
// required fields, exclusive credentials, unique names). No YAML, no file system, no secrets.
// Called by loadConfigString() after parsing. Thread-safe.
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/config/config_loader.h"

namespace o365fwd {

// For a librdkafka property that cluster mode sets itself (group.id, isolation.level, ...): what
// to do instead ("set cluster.kafka.group instead"); nullptr when the user may set it.
const char* clusterOwnedKafkaProperty(std::string_view key);

// Appends the problems of `config` to `issues`. A path that already has an issue (a parse or
// placeholder error) is not reported a second time.
void checkConfig(const Config& config, const std::string& file, const KeyLines& lines,
                 std::vector<ConfigIssue>& issues);

// The tenant rules alone, for the tenants of one tenants_dir file (paths "tenants[i]...").
void checkTenantList(const std::vector<TenantConfig>& tenants, const std::string& file,
                     const KeyLines& lines, std::vector<ConfigIssue>& issues);

}  // namespace o365fwd
