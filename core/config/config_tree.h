#pragma once
// A YAML document as plain data: what core/config/config_loader.cpp (the only user of yaml-cpp)
// hands to the configuration reader, so that no other file sees yaml-cpp types. Immutable once
// built. Lines are 1-based (0 = unknown). Mapping entries keep document order and duplicate keys,
// so the reader can report duplicates; aliases are expanded (the loader bounds the node count).
#include <string>
#include <vector>

namespace o365fwd {

struct ConfigEntry;

struct ConfigNode {
  enum class Kind { kNull, kScalar, kList, kMap };
  Kind kind = Kind::kNull;
  std::string scalar;                // kScalar: the text, unquoted
  std::vector<ConfigNode> items;     // kList
  std::vector<ConfigEntry> entries;  // kMap
  int line = 0;

  bool isNull() const { return kind == Kind::kNull; }
  bool isScalar() const { return kind == Kind::kScalar; }
  bool isList() const { return kind == Kind::kList; }
  bool isMap() const { return kind == Kind::kMap; }
  const char* kindName() const;  // "nothing", "single value", "list", "mapping"
};

struct ConfigEntry {
  std::string key;        // the key's text; empty when the key is not a plain scalar
  bool plain_key = true;  // false for a list or mapping used as a key
  int line = 0;           // line of the key
  ConfigNode value;
};

inline const char* ConfigNode::kindName() const {
  switch (kind) {
    case Kind::kNull: return "nothing";
    case Kind::kScalar: return "single value";
    case Kind::kList: return "list";
    case Kind::kMap: return "mapping";
  }
  return "nothing";
}

}  // namespace o365fwd
