#pragma once
// Reading a ConfigNode tree with reporting: ConfigIssues collects the problems of one
// configuration text; MapReader reads one mapping, rejecting unknown and duplicate keys and
// converting values (durations, sizes, numbers, enumerations) with operator-facing messages.
// Used by core/config/config_parse.cpp. Single-threaded: one reader per load.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config/config_loader.h"
#include "core/config/config_tree.h"

namespace o365fwd {

// Names of an enumeration in the configuration, in the order they are listed to the operator.
template <typename E>
using Names = std::vector<std::pair<std::string_view, E>>;

// Collects the issues and key lines of one configuration text.
class ConfigIssues {
 public:
  ConfigIssues(std::string file, std::vector<ConfigIssue>& issues, KeyLines& lines)
      : file_(std::move(file)), issues_(issues), lines_(lines) {}
  void error(const std::string& path, int line, std::string message) {
    issues_.push_back(ConfigIssue{file_, path, line, std::move(message), false});
  }
  void warning(const std::string& path, int line, std::string message) {
    issues_.push_back(ConfigIssue{file_, path, line, std::move(message), true});
  }
  void recordLine(const std::string& path, int line) { lines_.emplace(path, line); }

 private:
  std::string file_;
  std::vector<ConfigIssue>& issues_;
  KeyLines& lines_;
};

// `"value"`, cut at 80 characters: how messages quote what the operator wrote.
std::string showValue(std::string_view value);
// "did you mean `x`?" for the name within edit distance 2 of `word`, or "".
std::string suggestion(std::string_view word, const std::vector<std::string_view>& names);
// "<your-tenant-guid>": a value still holding a placeholder of the shipped example.
bool isPlaceholder(std::string_view value);

// One mapping. The constructor reports a non-mapping, unknown keys (with a suggestion, or the
// list of allowed keys; keys in `elsewhere` are named as belonging to another sink type) and
// duplicates, and records the line of every allowed key. Getters leave `out` unchanged and
// return false when the key is absent; they report and return false when the value is wrong.
// A null value reads as "" (an empty list or mapping for getStringList/getScalarMap).
class MapReader {
 public:
  MapReader(ConfigIssues& issues, const ConfigNode& node, std::string path, const std::string& what,
            const std::vector<std::string_view>& allowed,
            const std::vector<std::string_view>& elsewhere = {});

  int line() const { return line_; }
  std::string pathOf(std::string_view key) const;
  // The value of an allowed key that is present, else nullptr.
  const ConfigNode* find(std::string_view key) const;

  bool getString(std::string_view key, std::string& out);
  bool getOptString(std::string_view key, std::optional<std::string>& out);
  bool getDuration(std::string_view key, std::chrono::milliseconds& out);
  bool getSize(std::string_view key, std::uint64_t& out);
  bool getInt(std::string_view key, int& out);
  bool getBool(std::string_view key, bool& out);
  template <typename E>
  bool getEnum(std::string_view key, const Names<E>& names, E& out, std::string_view what) {
    std::vector<std::string_view> texts;
    for (const auto& entry : names) texts.push_back(entry.first);
    size_t index = 0;
    if (!getChoice(key, texts, index, what)) return false;
    out = names[index].second;
    return true;
  }
  // A number in [first, last] of `names`' values, or one of the names (syslog facility).
  bool getNumberOrName(std::string_view key, const Names<int>& names, int& out,
                       std::string_view what);
  bool getStringList(std::string_view key, std::vector<std::string>& out);
  bool getScalarMap(std::string_view key, std::map<std::string, std::string>& out);

 private:
  bool getChoice(std::string_view key, const std::vector<std::string_view>& names, size_t& index,
                 std::string_view what);
  bool readScalar(const ConfigNode& node, const std::string& path, std::string_view key,
                  std::string& out);
  void fail(std::string_view key, std::string message);

  struct Entry {
    std::string key;
    const ConfigNode* value = nullptr;
    int line = 0;
    bool allowed = false;
  };
  ConfigIssues& issues_;
  std::string path_;
  int line_ = 0;
  std::vector<Entry> entries_;  // first occurrence of each key, in document order
};

}  // namespace o365fwd
