#pragma once
// Members of the status document (/status, `o365fwd status --json`) as every part of it writes
// them: a timestamp (ISO 8601 UTC with milliseconds, or null), a string, a list of strings, a
// count, and `last_error` ({at, code, message} or null). Templates over a rapidjson writer (plain
// or pretty); pure, any thread.
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

}  // namespace o365fwd::json_members
