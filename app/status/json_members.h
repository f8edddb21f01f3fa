#pragma once
// Members of the status document (/status, `o365fwd status --json`) as every part of it writes
// them: a timestamp (ISO 8601 UTC with milliseconds, or null), a string, a list of strings, a
// count, and `last_error` ({at, code, message} or null). Templates over a rapidjson writer (plain
// or pretty); and the readers of such members (json_members::read, for the views that parse the
// document back: a missing or mistyped member reads as empty). Pure, any thread.
#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/status/status_report.h"
#include "core/time_format.h"

namespace o365fwd::json_members {

template <typename W>
void optionalTime(W& w, const char* key, const std::optional<WallTime>& t) {
  w.Key(key);
  if (t)
    w.String(formatIsoMillis(*t));
  else
    w.Null();
}

template <typename W>
void string(W& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value);
}

template <typename W>
void strings(W& w, const char* key, const std::vector<std::string>& values) {
  w.Key(key);
  w.StartArray();
  for (const std::string& v : values) w.String(v);
  w.EndArray();
}

template <typename W>
void count(W& w, const char* key, std::uint64_t value) {
  w.Key(key);
  w.Uint64(value);
}

template <typename W>
void lastError(W& w, const std::optional<ErrorInfo>& e) {
  w.Key("last_error");
  if (!e) {
    w.Null();
    return;
  }
  w.StartObject();
  string(w, "at", formatIsoMillis(e->at));
  string(w, "code", e->code);
  string(w, "message", e->message);
  w.EndObject();
}

namespace read {

inline std::string text(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

inline std::optional<WallTime> when(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return parseUtc(std::string_view(it->value.GetString(), it->value.GetStringLength()));
}

inline std::vector<std::string> texts(const rapidjson::Value& o, const char* key) {
  std::vector<std::string> out;
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& v : it->value.GetArray())
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  return out;
}

inline std::uint64_t count(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsUint64() ? it->value.GetUint64() : 0;
}

}  // namespace read
}  // namespace o365fwd::json_members
