#include "core/config/config_fleet.h"

#include <glob.h>

#include <algorithm>
#include <map>
#include <system_error>

#include "core/config/config_check.h"
#include "core/config/config_parse.h"

namespace o365fwd {
namespace {

const std::vector<std::string_view> kCredentialKeys = {"name",
                                                       "client_id",
                                                       "client_secret_file",
                                                       "client_secret_env",
                                                       "client_secret_credential",
                                                       "client_secret",
                                                       "certificate_file",
                                                       "private_key_file",
                                                       "client_secret_expires"};

bool hasOwnSecretSource(const TenantConfig& t) {
  return t.client_secret_file || t.client_secret_env || t.client_secret_credential ||
         t.client_secret || t.certificate_file || t.private_key_file;
}

bool isYamlName(const std::filesystem::path& p) {
  return p.extension() == ".yaml" || p.extension() == ".yml";
}

// A tenants_dir file: a list of tenants, a mapping with `tenants:`, or one tenant mapping.
const ConfigNode* tenantList(const ConfigNode& root, ConfigIssues& issues,
                             std::vector<const ConfigNode*>& single) {
  if (root.isList()) return &root;
  if (root.isMap()) {
    for (const ConfigEntry& e : root.entries)
      if (e.key == "tenants") {
        if (root.entries.size() > 1)
          issues.error("", root.line,
                       "a tenants file holds only `tenants:` (or a list of tenants, or one "
                       "tenant); other settings belong in the main configuration");
        if (!e.value.isList()) {
          issues.error("tenants", e.line, "expected a list of tenants (`- name: ...`)");
          return nullptr;
        }
        return &e.value;
      }
    single.push_back(&root);
    return nullptr;
  }
  issues.error("", root.line,
               "expected a list of tenants (`- name: ...`), `tenants:` with such a list, or one "
               "tenant mapping");
  return nullptr;
}

struct TenantFileLoad {
  std::vector<TenantConfig> tenants;
  std::vector<ConfigIssue> issues;
  KeyLines lines;
};

TenantFileLoad loadTenantFile(const std::string& path, const Config& main) {
  TenantFileLoad out;
  ConfigIssues issues(path, out.issues, out.lines);
  struct stat st {};
  std::string text;
  if (auto problem = readConfigText(path, text, st)) {
    issues.error("", 0, *problem);
    return out;
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    issues.error("", 0,
                 "is writable by group or others, so they could change where tokens are "
                 "requested; chmod 0640 and chown root:o365fwd");
  ConfigNode root;
  if (!parseYamlDocument(text, path, out.issues, out.lines, root)) return out;
  std::vector<const ConfigNode*> nodes;
  if (const ConfigNode* list = tenantList(root, issues, nodes))
    for (const ConfigNode& item : list->items) nodes.push_back(&item);
  const std::filesystem::path base = std::filesystem::absolute(path).parent_path();
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::string p = "tenants[" + std::to_string(i) + "]";
    issues.recordLine(p, nodes[i]->line);
    TenantConfig t;
    parseTenantEntry(issues, *nodes[i], p, base, t);
    t.source_file = path;
    if (t.client_secret && (st.st_mode & S_IROTH))
      issues.error(p + ".client_secret", nodes[i]->line,
                   "an inline secret in a world-readable file; chmod 0640 "
                   "the file or use a shared `credential:`");
    out.tenants.push_back(std::move(t));
  }
  if (nodes.empty() && out.issues.empty())
    issues.error("", 0, "holds no tenant; remove the file or add `- name: ...` entries");
  resolveCredentialRefs(main.credentials, out.tenants, "tenants", issues);
  checkTenantList(out.tenants, path, out.lines, out.issues);
  return out;
}

}  // namespace

void parseCredentials(ConfigIssues& issues, const ConfigNode& node,
                      std::vector<CredentialConfig>& out) {
  if (node.isNull()) return;
  if (!node.isList()) {
    issues.error("credentials", node.line,
                 "expected a list of credentials (`- name: ...` with client_id and one "
                 "secret source)");
    return;
  }
  for (size_t i = 0; i < node.items.size(); ++i) {
    std::string path = "credentials[" + std::to_string(i) + "]";
    issues.recordLine(path, node.items[i].line);
    MapReader r(issues, node.items[i], path, "a credential", kCredentialKeys);
    CredentialConfig c;
    c.line = r.line();
    r.getString("name", c.name);
    readCredentialKeys(issues, r, c);
    out.push_back(std::move(c));
  }
}

void resolveCredentialRefs(const std::vector<CredentialConfig>& credentials,
                           std::vector<TenantConfig>& tenants, const std::string& prefix,
                           ConfigIssues& issues) {
  for (size_t i = 0; i < tenants.size(); ++i) {
    TenantConfig& t = tenants[i];
    if (t.credential.empty()) continue;
    const std::string p = prefix + "[" + std::to_string(i) + "].credential";
    const std::string who = t.name.empty() ? "this tenant" : "tenant `" + t.name + "`";
    auto it = std::find_if(credentials.begin(), credentials.end(),
                           [&](const CredentialConfig& c) { return c.name == t.credential; });
    if (it == credentials.end()) {
      std::string known;
      for (const CredentialConfig& c : credentials) known += (known.empty() ? "" : ", ") + c.name;
      issues.error(p, t.line,
                   who + " refers to credential `" + t.credential +
                       "`, which is not defined; define it under the top-level `credentials:` (" +
                       (known.empty() ? std::string("none defined") : "defined: " + known) + ")");
      continue;  // `credential` stays set: no second "no credential" error for the tenant
    }
    if (t.client_secret_expires) {
      issues.error(prefix + "[" + std::to_string(i) + "].client_secret_expires", t.line,
                   who + " uses `credential: " + t.credential +
                       "`; its secret's expiry belongs to that credential: set "
                       "client_secret_expires there");
      continue;
    }
    if (hasOwnSecretSource(t)) {
      issues.error(p, t.line,
                   who + " has both `credential: " + t.credential +
                       "` and its own secret or certificate; keep one");
      continue;
    }
    if (t.client_id.empty()) t.client_id = it->client_id;
    t.client_secret_file = it->client_secret_file;
    t.client_secret_env = it->client_secret_env;
    t.client_secret_credential = it->client_secret_credential;
    t.client_secret = it->client_secret;
    t.certificate_file = it->certificate_file;
    t.private_key_file = it->private_key_file;
    t.client_secret_expires = it->client_secret_expires;
  }
}

std::vector<std::string> tenantFilePaths(const std::string& tenants_dir, std::string& error) {
  std::vector<std::string> paths;
  std::error_code ec;
  if (std::filesystem::is_directory(tenants_dir, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(tenants_dir, ec))
      if (isYamlName(entry.path()) && entry.path().filename().string().front() != '.')
        paths.push_back(entry.path().string());
    if (ec) error = "cannot list the directory: " + ec.message();
  } else if (tenants_dir.find_first_of("*?[") != std::string::npos) {
    glob_t g{};
    int rc = ::glob(tenants_dir.c_str(), GLOB_ERR, nullptr, &g);
    if (rc == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
    else if (rc != GLOB_NOMATCH)
      error = "cannot read the files it names";
    ::globfree(&g);
  } else {
    error = "is neither a directory nor a glob such as /etc/o365fwd/tenants.d/*.yaml";
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

void mergeTenantFile(LoadedConfig& out, const std::string& path) {
  Config& config = out.config;
  std::map<std::string, std::string> owner;  // tenant name -> file that defines it
  for (const TenantConfig& t : config.tenants)
    owner.emplace(t.name, t.source_file.empty() ? config.source_path : t.source_file);
  TenantFileLoad file = loadTenantFile(path, config);
  ConfigIssues issues(path, file.issues, file.lines);
  for (size_t i = 0; i < file.tenants.size(); ++i) {
    const std::string& name = file.tenants[i].name;
    if (name.empty()) continue;
    auto [it, fresh] = owner.emplace(name, path);
    if (!fresh) {
      std::string p = "tenants[" + std::to_string(i) + "].name";
      issues.error(p, lineOfPath(file.lines, p),
                   "tenant `" + name + "` is already defined in " + it->second +
                       "; tenant names must be unique across the configuration and "
                       "tenants_dir (" +
                       path + ")");
    }
  }
  std::stable_sort(file.issues.begin(), file.issues.end(), [](const auto& a, const auto& b) {
    return (a.line == 0 ? INT32_MAX : a.line) < (b.line == 0 ? INT32_MAX : b.line);
  });
  bool valid = std::none_of(file.issues.begin(), file.issues.end(),
                            [](const ConfigIssue& i) { return !i.warning; });
  out.tenant_files.push_back({path, valid, static_cast<int>(file.tenants.size())});
  if (valid)  // a broken file's names are not taken: a later valid file may hold them
    for (TenantConfig& t : file.tenants) config.tenants.push_back(std::move(t));
  for (ConfigIssue& i : file.issues) out.issues.push_back(std::move(i));
}

void mergeTenantFiles(LoadedConfig& out) {
  Config& config = out.config;
  ConfigIssues main_issues(config.source_path, out.issues, out.lines);
  std::string error;
  std::vector<std::string> paths = tenantFilePaths(config.tenants_dir, error);
  if (!error.empty()) main_issues.error("tenants_dir", out.lineOf("tenants_dir"), error);
  for (const std::string& path : paths) mergeTenantFile(out, path);
  if (config.tenants.empty() && out.brokenTenantFiles().empty() && error.empty())
    main_issues.error("tenants_dir", out.lineOf("tenants_dir"),
                      "no tenant configured: neither `tenants:` nor the files of tenants_dir (" +
                          config.tenants_dir + ") hold one; add a file per customer");
}

}  // namespace o365fwd
