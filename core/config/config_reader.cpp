#include "core/config/config_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/config/config.h"
#include "core/units.h"

namespace o365fwd {
namespace {

std::string joinNames(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string placeholderHint(std::string_view key) {
  if (key == "tenant_id")
    return "the Directory (tenant) ID from the app registration's Overview page";
  if (key == "client_id")
    return "the Application (client) ID from the app registration's Overview page";
  if (key == "publisher_id") return "your tenant GUID, or remove the key to use tenant_id";
  if (key == "name") return "a short name of letters a-z, digits, '_' or '-'";
  return "the real value for your installation";
}

}  // namespace

std::string showValue(std::string_view value) {
  constexpr size_t kMax = 80;
  std::string out = "\"";
  out.append(value.substr(0, kMax));
  if (value.size() > kMax) out += "...";
  return out + "\"";
}

std::string suggestion(std::string_view word, const std::vector<std::string_view>& names) {
  int best = 3;
  std::string_view best_name;
  for (std::string_view name : names) {
    int d = editDistance(word, name);
    if (d < best) best = d, best_name = name;
  }
  return best_name.empty() ? "" : "did you mean `" + std::string(best_name) + "`?";
}

bool isPlaceholder(std::string_view value) {
  return value.size() >= 3 && value.front() == '<' && value.back() == '>';
}

MapReader::MapReader(ConfigIssues& issues, const ConfigNode& node, std::string path,
                     const std::string& what, const std::vector<std::string_view>& allowed,
                     const std::vector<std::string_view>& elsewhere)
    : issues_(issues), path_(std::move(path)), line_(node.line) {
  if (node.isNull()) return;
  if (!node.isMap()) {
    issues_.error(
        path_, line_,
        "expected a mapping of `key: value` lines for " + what + ", found a " + node.kindName());
    return;
  }
  for (const ConfigEntry& e : node.entries) {
    if (!e.plain_key) {
      issues_.error(path_, e.line, "a key must be a plain word");
      continue;
    }
    std::string key_path = pathOf(e.key);
    if (auto prev = std::find_if(entries_.begin(), entries_.end(),
                                 [&](const Entry& seen) { return seen.key == e.key; });
        prev != entries_.end()) {
      issues_.error(key_path, e.line,
                    "duplicate key (first at line " + std::to_string(prev->line) + "); keep one");
      continue;
    }
    bool is_allowed = std::find(allowed.begin(), allowed.end(), e.key) != allowed.end();
    entries_.push_back(Entry{e.key, &e.value, e.line, is_allowed});
    if (is_allowed) {
      issues_.recordLine(key_path, e.line);
      continue;
    }
    std::string message = "unknown key";
    std::string hint = suggestion(e.key, allowed);
    if (std::find(elsewhere.begin(), elsewhere.end(), e.key) != elsewhere.end())
      message += " for " + what + " (it belongs to another sink type); " + what +
                 " takes: " + joinNames(allowed);
    else if (!hint.empty())
      message += "; " + hint;
    else
      message += "; " + what + " takes: " + joinNames(allowed);
    issues_.error(key_path, e.line, message);
  }
}

std::string MapReader::pathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const ConfigNode* MapReader::find(std::string_view key) const {
  for (const Entry& e : entries_)
    if (e.key == key && e.allowed) return e.value;
  return nullptr;
}

bool MapReader::readScalar(const ConfigNode& node, const std::string& path, std::string_view key,
                           std::string& out) {
  if (node.isNull()) {
    out.clear();
    return true;
  }
  if (!node.isScalar()) {
    issues_.error(path, node.line,
                  std::string("expected a single value, found a ") + node.kindName());
    return false;
  }
  if (isPlaceholder(node.scalar)) {
    issues_.error(
        path, node.line,
        "still holds the placeholder " + node.scalar + "; replace it with " + placeholderHint(key));
    return false;
  }
  out = node.scalar;
  return true;
}

void MapReader::fail(std::string_view key, std::string message) {
  const ConfigNode* n = find(key);
  issues_.error(pathOf(key), n && n->line ? n->line : line_, std::move(message));
}

bool MapReader::getString(std::string_view key, std::string& out) {
  const ConfigNode* n = find(key);
  return n && readScalar(*n, pathOf(key), key, out);
}

bool MapReader::getOptString(std::string_view key, std::optional<std::string>& out) {
  std::string value;
  if (!getString(key, value)) return false;
  out = std::move(value);
  return true;
}

bool MapReader::getDuration(std::string_view key, std::chrono::milliseconds& out) {
  std::string text;
  if (!getString(key, text)) return false;
  if (auto d = parseDuration(text)) {
    out = *d;
    return true;
  }
  fail(key, showValue(text) +
                " is not a duration; write a number and a unit: 500ms, 90s, 15m, "
                "12h or 7d");
  return false;
}

bool MapReader::getSize(std::string_view key, std::uint64_t& out) {
  std::string text;
  if (!getString(key, text)) return false;
  if (auto s = parseSize(text)) {
    out = *s;
    return true;
  }
  fail(key, showValue(text) +
                " is not a size; write a number and a unit: 64KiB, 512MiB, 1GiB "
                "(or KB, MB, GB; no unit means bytes)");
  return false;
}

bool MapReader::getInt(std::string_view key, int& out) {
  std::string text;
  if (!getString(key, text)) return false;
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) {
    out = value;
    return true;
  }
  fail(key, showValue(text) + " is not a whole number");
  return false;
}

bool MapReader::getBool(std::string_view key, bool& out) {
  std::string text;
  if (!getString(key, text)) return false;
  if (text == "true" || text == "yes" || text == "on") {
    out = true;
  } else if (text == "false" || text == "no" || text == "off") {
    out = false;
  } else {
    fail(key, showValue(text) + " is not a boolean; write true or false");
    return false;
  }
  return true;
}

bool MapReader::getChoice(std::string_view key, const std::vector<std::string_view>& names,
                          size_t& index, std::string_view what) {
  std::string text;
  if (!getString(key, text)) return false;
  for (size_t i = 0; i < names.size(); ++i)
    if (text == names[i]) {
      index = i;
      return true;
    }
  std::string hint = suggestion(text, names);
  fail(key, showValue(text) + " is not a " + std::string(what) + "; use one of " +
                joinNames(names) + (hint.empty() ? "" : " (" + hint + ")"));
  return false;
}

bool MapReader::getNumberOrName(std::string_view key, const Names<int>& names, int& out,
                                std::string_view what) {
  const ConfigNode* n = find(key);
  if (!n) return false;
  if (!n->isScalar() || n->scalar.empty() ||
      !std::isdigit(static_cast<unsigned char>(n->scalar[0])))
    return getEnum(key, names, out, what);
  int value = -1;
  if (!getInt(key, value)) return false;
  int lo = names.front().second, hi = names.back().second;
  if (value < lo || value > hi) {
    fail(key, std::to_string(value) + " is not a " + std::string(what) + "; use " +
                  std::to_string(lo) + ".." + std::to_string(hi) + " or a name");
    return false;
  }
  out = value;
  return true;
}

bool MapReader::getStringList(std::string_view key, std::vector<std::string>& out) {
  const ConfigNode* n = find(key);
  if (!n) return false;
  out.clear();
  if (n->isNull()) return true;
  if (!n->isList()) {
    fail(key, std::string("expected a list, e.g. [") + kContentTypes[0] + ", " + kContentTypes[1] +
                  "], found a " + n->kindName());
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < n->items.size(); ++i) {
    std::string item;
    if (readScalar(n->items[i], pathOf(key) + "[" + std::to_string(i) + "]", key, item))
      out.push_back(std::move(item));
    else
      ok = false;
  }
  return ok;
}

bool MapReader::getScalarMap(std::string_view key, std::map<std::string, std::string>& out) {
  const ConfigNode* n = find(key);
  if (!n || n->isNull()) return false;
  if (!n->isMap()) {
    fail(key, std::string("expected a mapping of `name: value` lines, found a ") + n->kindName());
    return false;
  }
  bool ok = true;
  for (const ConfigEntry& e : n->entries) {
    std::string item_path = pathOf(key) + "." + e.key;
    std::string value;
    if (!e.plain_key || e.key.empty()) {
      issues_.error(pathOf(key), e.line, "a key must be a plain word");
      ok = false;
    } else if (out.count(e.key)) {
      issues_.error(item_path, e.line, "duplicate key; keep one");
      ok = false;
    } else if (readScalar(e.value, item_path, e.key, value)) {
      issues_.recordLine(item_path, e.line);
      out.emplace(e.key, std::move(value));
    } else {
      ok = false;
    }
  }
  return ok;
}

}  // namespace o365fwd
