#include "core/config/config_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <utility>

#include "core/config/config_check.h"
#include "core/config/config_fleet.h"
#include "core/config/config_parse.h"
#include "core/config/config_tree.h"

namespace o365fwd {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;

constexpr size_t kMaxNodes = 100'000;  // bounds alias expansion ("billion laughs")
constexpr int kMaxDepth = 64;

int lineOfMark(const YAML::Mark& mark) {
  return mark.is_null() ? 0 : mark.line + 1;
}

// Copies a yaml-cpp node into our tree. Returns false when the size or depth bound is exceeded.
bool convert(const YAML::Node& in, ConfigNode& out, size_t& budget, int depth) {
  if (budget == 0 || depth > kMaxDepth) return false;
  --budget;
  out.line = lineOfMark(in.Mark());
  switch (in.Type()) {
    case YAML::NodeType::Scalar:
      out.kind = ConfigNode::Kind::kScalar;
      out.scalar = in.Scalar();
      return true;
    case YAML::NodeType::Sequence:
      out.kind = ConfigNode::Kind::kList;
      out.items.resize(in.size());
      for (size_t i = 0; i < in.size(); ++i)
        if (!convert(in[i], out.items[i], budget, depth + 1)) return false;
      return true;
    case YAML::NodeType::Map:
      out.kind = ConfigNode::Kind::kMap;
      for (auto it = in.begin(); it != in.end(); ++it) {
        ConfigEntry& e = out.entries.emplace_back();
        e.line = lineOfMark(it->first.Mark());
        e.plain_key = it->first.IsScalar();
        if (e.plain_key) e.key = it->first.Scalar();
        if (!convert(it->second, e.value, budget, depth + 1)) return false;
      }
      return true;
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: out.kind = ConfigNode::Kind::kNull; return true;
  }
  return true;
}

std::filesystem::path baseDirOf(const std::string& source_name) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(source_name, ec);
  if (ec) return std::filesystem::current_path(ec);
  return abs.parent_path();
}

}  // namespace

std::string ConfigIssue::describe() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  if (!out.empty()) out += ": ";
  if (!path.empty()) out += path + ": ";
  if (warning) out += "warning: ";
  return out + message;
}

bool LoadedConfig::valid() const {
  return errorCount() == 0;
}

int LoadedConfig::errorCount() const {
  return static_cast<int>(
      std::count_if(issues.begin(), issues.end(), [](const ConfigIssue& i) { return !i.warning; }));
}

int LoadedConfig::warningCount() const {
  return static_cast<int>(issues.size()) - errorCount();
}

std::vector<std::string> LoadedConfig::brokenTenantFiles() const {
  std::vector<std::string> out;
  for (const TenantFile& f : tenant_files)
    if (!f.valid) out.push_back(f.path);
  return out;
}

bool LoadedConfig::validExceptTenantFiles() const {
  std::vector<std::string> broken = brokenTenantFiles();
  return std::none_of(issues.begin(), issues.end(), [&](const ConfigIssue& i) {
    return !i.warning && std::find(broken.begin(), broken.end(), i.file) == broken.end();
  });
}

int LoadedConfig::lineOf(const std::string& path) const {
  return lineOfPath(lines, path);
}

int lineOfPath(const KeyLines& lines, const std::string& path) {
  std::string p = path;
  while (!p.empty()) {
    if (auto it = lines.find(p); it != lines.end()) return it->second;
    size_t cut = p.find_last_of(".[");
    if (cut == std::string::npos) break;
    p.resize(cut);
  }
  return 0;
}

int editDistance(std::string_view a, std::string_view b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

namespace {

// Counts the documents of a stream without building them. yaml-cpp 0.7's LoadAll() never ends
// on some inputs (a lone ","; upstream issue #1040, found by fuzz/config_loader_fuzzer.cpp), so
// the stream is only walked far enough to see whether a second document exists.
class DocumentCounter final : public YAML::EventHandler {
 public:
  int documents = 0;
  YAML::Mark second;
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents == 2) second = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Parses one YAML text into `root`. Reports syntax errors, more than one document, an empty
// document and the size bound; false when there is nothing to read further.
bool parseYaml(std::string_view yaml, ConfigIssues& issues, ConfigNode& root) {
  try {
    const std::string text(yaml);
    YAML::Node first = YAML::Load(text);  // the first document only
    if (first.IsNull()) {
      issues.error("", 0,
                   "the configuration is empty; start from the commented example "
                   "/etc/o365fwd/connector.yaml (conf/connector.yaml in the sources)");
      return false;
    }
    {
      std::istringstream stream(text);
      YAML::Parser parser(stream);
      DocumentCounter counter;
      for (int i = 0; i < 2 && parser.HandleNextDocument(counter); ++i) {
      }
      if (counter.documents > 1)
        issues.error("", lineOfMark(counter.second),
                     "more than one YAML document (`---`); keep one");
    }
    size_t budget = kMaxNodes;
    if (!convert(first, root, budget, 0)) {
      issues.error("", 0,
                   "the document is too large or too deeply nested (aliases expanded to "
                   "more than 100000 values); a configuration is a few hundred values");
      return false;
    }
  } catch (const YAML::Exception& e) {
    std::string where = e.mark.is_null() ? "" : " at column " + std::to_string(e.mark.column + 1);
    issues.error("", lineOfMark(e.mark),
                 "YAML syntax error" + where + ": " + e.msg +
                     "; check the indentation (spaces, not tabs) and quoting");
    return false;
  }
  return true;
}

void loadInto(std::string_view yaml, const std::string& source_name, LoadedConfig& out) {
  ConfigIssues issues(source_name, out.issues, out.lines);
  ConfigNode root;
  if (!parseYaml(yaml, issues, root)) return;
  if (!root.isMap()) {
    issues.error("", root.line,
                 "expected a mapping with keys tenants, collection, state_dir, "
                 "sinks, health, log");
    return;
  }
  parseConfig(root, baseDirOf(source_name), issues, out.config);
  checkConfig(out.config, source_name, out.lines, out.issues);
}

void sortByLine(std::vector<ConfigIssue>& issues) {
  std::stable_sort(issues.begin(), issues.end(), [](const auto& a, const auto& b) {
    return (a.line == 0 ? INT32_MAX : a.line) < (b.line == 0 ? INT32_MAX : b.line);
  });
}

}  // namespace

LoadedConfig loadConfigString(std::string_view yaml, const std::string& source_name) {
  LoadedConfig out;
  out.config.source_path = source_name;
  loadInto(yaml, source_name, out);
  // Every path, the early returns included, lists the problems in file order.
  sortByLine(out.issues);
  // tenants_dir files follow, each with its own problems in its own line order.
  if (!out.config.tenants_dir.empty()) mergeTenantFiles(out);
  // The top-level filters apply to every tenant without its own (tenants_dir ones included).
  for (TenantConfig& t : out.config.tenants)
    if (!t.own_filters) t.filters = out.config.filters;
  return out;
}

bool parseYamlDocument(std::string_view yaml, const std::string& source_name,
                       std::vector<ConfigIssue>& issues, KeyLines& lines, ConfigNode& root) {
  ConfigIssues reporter(source_name, issues, lines);
  return parseYaml(yaml, reporter, root);
}

std::optional<std::string> readConfigText(const std::string& path, std::string& text,
                                          struct stat& st) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT)
      return "the configuration file does not exist; copy the commented example from "
             "conf/connector.yaml, or name the file with -c FILE or $O365FWD_CONFIG";
    if (err == EACCES)
      return "cannot read the configuration file (permission denied); run as root or the "
             "service user (chown root:o365fwd, chmod 0640)";
    return std::string("cannot open the configuration file: ") + std::strerror(err);
  }
  bool read_ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                 static_cast<size_t>(st.st_size) <= kMaxConfigBytes;
  if (read_ok) {
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() <= kMaxConfigBytes)
      text.append(buf, static_cast<size_t>(n));
    read_ok = n == 0;
  }
  ::close(fd);
  if (!S_ISREG(st.st_mode)) return "is not a regular file; name the YAML file itself";
  if (!read_ok || text.size() > kMaxConfigBytes)
    return "cannot be read, or is larger than 1 MiB; a configuration is a few KiB of YAML";
  return std::nullopt;
}

LoadedConfig loadConfigFile(const std::string& path) {
  auto fail = [&](std::string message) {
    LoadedConfig out;
    out.config.source_path = path;
    out.issues.push_back(ConfigIssue{path, "", 0, std::move(message), false});
    return out;
  };
  struct stat st {};
  std::string text;
  if (auto problem = readConfigText(path, text, st)) return fail(std::move(*problem));

  LoadedConfig out = loadConfigString(text, path);
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    out.issues.insert(out.issues.begin(),
                      ConfigIssue{path, "", 0,
                                  "is writable by group or others, so they could change where "
                                  "data and secrets go; chmod 0640 and chown root:o365fwd",
                                  false});
  struct stat dir_st {};
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (::stat(dir.empty() ? "." : dir.c_str(), &dir_st) == 0 && (dir_st.st_mode & S_IWOTH) &&
      !(dir_st.st_mode & S_ISVTX))
    out.issues.insert(out.issues.begin(),
                      ConfigIssue{path, "", 0,
                                  "lies in a world-writable directory, where anyone can replace "
                                  "it; move it to /etc/o365fwd (chmod 0755)",
                                  false});
  if (st.st_mode & S_IROTH) {
    for (size_t i = 0; i < out.config.tenants.size(); ++i) {
      if (!out.config.tenants[i].client_secret || !out.config.tenants[i].source_file.empty())
        continue;
      std::string key = "tenants[" + std::to_string(i) + "].client_secret";
      out.issues.push_back(ConfigIssue{path, key, out.lineOf(key),
                                       "an inline secret in a world-readable file; chmod 0640 "
                                       "the file or move the secret to client_secret_file",
                                       false});
    }
  }
  return out;
}

std::string defaultConfigPath() {
  const char* env = std::getenv("O365FWD_CONFIG");
  return env && *env ? env : "/etc/o365fwd/connector.yaml";
}

}  // namespace o365fwd
