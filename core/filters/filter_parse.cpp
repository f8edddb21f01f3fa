#include "core/filters/filter_parse.h"

#include <algorithm>

#include "core/filters/audit_names.h"

namespace o365fwd {
namespace {

const std::vector<std::string_view> kFilterKeys = {"domains", "include", "exclude"};
const std::vector<std::string_view> kFieldKeys = {"Operation", "Workload", "RecordType",
                                                  "UserType"};

bool isDomainChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

// The scalars of a list value; reports anything else. Null = empty list.
bool readList(ConfigIssues& issues, const ConfigNode& node, const std::string& path,
              std::string_view example, std::vector<std::pair<std::string, int>>& out) {
  if (node.isNull()) return true;
  if (!node.isList()) {
    issues.error(path, node.line,
                 std::string("expected a list, e.g. ") + std::string(example) + ", found a " +
                     node.kindName());
    return false;
  }
  bool ok = true;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const ConfigNode& item = node.items[i];
    std::string item_path = path + "[" + std::to_string(i) + "]";
    if (!item.isScalar() || item.scalar.empty()) {
      issues.error(item_path, item.line,
                   std::string("expected a single non-empty value, found ") +
                       (item.isScalar() ? "an empty one" : std::string("a ") + item.kindName()));
      ok = false;
      continue;
    }
    out.emplace_back(item.scalar, item.line);
  }
  return ok;
}

void parseDomains(ConfigIssues& issues, const ConfigNode& node, const std::string& path,
                  std::vector<std::string>& out) {
  std::vector<std::pair<std::string, int>> values;
  if (!readList(issues, node, path, "[\"*\"] or [contoso.com, fabrikam.com]", values)) return;
  if (values.empty()) {
    issues.error(path, node.line,
                 "lists no domain, which would drop every record; use [\"*\"] for all records "
                 "or list the domains of UserId to collect");
    return;
  }
  std::vector<std::string> domains;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto& [value, line] = values[i];
    std::string item_path = path + "[" + std::to_string(i) + "]";
    if (value == "*") {
      domains.push_back(value);
      continue;
    }
    std::string domain = asciiLower(value);
    if (domain.front() == '@') {
      issues.error(item_path, line,
                   showValue(value) + ": write the domain without `@` (" +
                       showValue(domain.substr(1)) + ")");
      continue;
    }
    if (domain.find('*') != std::string::npos) {
      issues.error(item_path, line,
                   showValue(value) +
                       ": only `*` alone is a wildcard (all records); list each domain, "
                       "e.g. contoso.com, sales.contoso.com");
      continue;
    }
    if (!std::all_of(domain.begin(), domain.end(), isDomainChar) || domain.front() == '.' ||
        domain.back() == '.') {
      issues.error(item_path, line,
                   showValue(value) +
                       " is not a domain name; write it as in the users' addresses, "
                       "e.g. contoso.com or contoso.onmicrosoft.com");
      continue;
    }
    domains.push_back(std::move(domain));
  }
  std::sort(domains.begin(), domains.end());
  domains.erase(std::unique(domains.begin(), domains.end()), domains.end());
  if (!domains.empty()) out = std::move(domains);
}

// RecordType or UserType: a number, or a name of the schema's enumeration.
void parseNumbered(ConfigIssues& issues, const ConfigNode& node, const std::string& path,
                   std::string_view field, std::optional<int> (*lookup)(std::string_view),
                   const std::vector<std::string_view>& names, std::vector<int>& out) {
  std::vector<std::pair<std::string, int>> values;
  std::string example = field == "RecordType" ? "[SharePointFileOperation, 15]" : "[Admin, 2]";
  if (!readList(issues, node, path, example, values)) return;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto& [value, line] = values[i];
    std::optional<int> number = parseSmallInt(value);
    if (!number) number = lookup(value);
    if (!number) {
      std::string hint = suggestionIgnoringCase(value, names);
      if (hint.empty())
        hint =
            std::string("use the number, or a name of the Management Activity API schema, e.g. ") +
            (field == "RecordType" ? "SharePointFileOperation (6)" : "Admin (2)");
      issues.error(
          path + "[" + std::to_string(i) + "]", line,
          showValue(value) + " is not a " + std::string(field) + " name or number; " + hint);
      continue;
    }
    if (std::find(out.begin(), out.end(), *number) == out.end()) out.push_back(*number);
  }
}

// Operation or Workload: any text; a value not in the known list is a warning.
void parseNames(ConfigIssues& issues, const ConfigNode& node, const std::string& path,
                std::string_view field, const std::vector<std::string_view>& known,
                std::vector<std::string>& out) {
  std::vector<std::pair<std::string, int>> values;
  std::string example =
      field == "Operation" ? "[FileAccessed, MailItemsAccessed]" : "[Exchange, SharePoint]";
  if (!readList(issues, node, path, example, values)) return;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto& [value, line] = values[i];
    bool is_known = std::any_of(known.begin(), known.end(),
                                [&](std::string_view k) { return equalsIgnoreCase(k, value); });
    if (!is_known) {
      std::string hint = suggestionIgnoringCase(value, known);
      issues.warning(path + "[" + std::to_string(i) + "]", line,
                     showValue(value) + " is not " + (field == "Operation" ? "an" : "a") + " " +
                         std::string(field) + " o365fwd knows" + (hint.empty() ? "" : "; " + hint) +
                         " (it is matched as written, ignoring case; check the spelling against "
                         "the records you receive)");
    }
    bool listed = std::any_of(out.begin(), out.end(),
                              [&](const std::string& v) { return equalsIgnoreCase(v, value); });
    if (!listed) out.push_back(value);
  }
}

void parseLists(ConfigIssues& issues, const ConfigNode& node, const std::string& path,
                FilterLists& out) {
  const char* what = path.ends_with("include") ? "filters.include" : "filters.exclude";
  MapReader r(issues, node, path, what, kFieldKeys);
  if (const ConfigNode* n = r.find("Operation"))
    parseNames(issues, *n, r.pathOf("Operation"), "Operation", knownOperations(), out.operation);
  if (const ConfigNode* n = r.find("Workload"))
    parseNames(issues, *n, r.pathOf("Workload"), "Workload", knownWorkloads(), out.workload);
  if (const ConfigNode* n = r.find("RecordType"))
    parseNumbered(issues, *n, r.pathOf("RecordType"), "RecordType", recordTypeNumber,
                  recordTypeNames(), out.record_type);
  if (const ConfigNode* n = r.find("UserType"))
    parseNumbered(issues, *n, r.pathOf("UserType"), "UserType", userTypeNumber, userTypeNames(),
                  out.user_type);
}

}  // namespace

std::string suggestionIgnoringCase(std::string_view word,
                                   const std::vector<std::string_view>& names) {
  const std::string lower = asciiLower(word);
  int best = 3;
  std::string_view best_name;
  for (std::string_view name : names) {
    int d = editDistance(lower, asciiLower(name));
    if (d < best) best = d, best_name = name;
  }
  return best_name.empty() ? "" : "did you mean `" + std::string(best_name) + "`?";
}

void parseFilters(ConfigIssues& issues, const ConfigNode& node, const std::string& path,
                  FilterConfig& out) {
  MapReader r(issues, node, path, "filters", kFilterKeys);
  if (const ConfigNode* d = r.find("domains"))
    parseDomains(issues, *d, r.pathOf("domains"), out.domains);
  if (const ConfigNode* i = r.find("include"))
    parseLists(issues, *i, r.pathOf("include"), out.include);
  if (const ConfigNode* e = r.find("exclude"))
    parseLists(issues, *e, r.pathOf("exclude"), out.exclude);
}

}  // namespace o365fwd
